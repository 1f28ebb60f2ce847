"""`notification.inbox`: the in-app messages, one per event and recipient."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from services.notification.domain.model import EventFacts, Notice, TicketFacts

__all__ = ["InboxItem", "InboxRepository"]


@dataclass(frozen=True, slots=True)
class InboxItem:
    """One stored in-app message."""

    id: int
    username: str
    ticket_id: str
    ticket_number: str
    event_type: str
    kind: str
    title: str
    body: str
    locale: str
    created_at: datetime
    read_at: datetime | None


_COLUMNS = (
    "id, username, ticket_id, ticket_number, event_type, kind, title, body, locale,"
    " created_at, read_at"
)


class InboxRepository:
    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def add(self, event: EventFacts, ticket: TicketFacts, notice: Notice) -> bool:
        """Store the message unless this event already gave this user one; True when new."""
        async with self._conn.cursor() as cur:
            await cur.execute(
                "INSERT INTO notification.inbox (username, event_id, ticket_id, ticket_number,"
                " event_type, kind, locale, title, body) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (event_id, username) DO NOTHING",
                (notice.recipient, event.id, event.ticket_id, ticket.number, event.type,
                 notice.kind.value, notice.locale, notice.title, notice.body),
            )  # fmt: skip
            return cur.rowcount == 1

    async def page(
        self, owners: list[str], unread_only: bool, size: int, before_id: int | None
    ) -> list[InboxItem]:
        """Up to `size` messages of `owners` (a user and their groups), newest first, older
        than `before_id` when given."""
        async with self._conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                f"SELECT {_COLUMNS} FROM notification.inbox WHERE username = ANY(%s)"
                " AND (%s::bigint IS NULL OR id < %s) AND (NOT %s OR read_at IS NULL)"
                " ORDER BY id DESC LIMIT %s",
                (owners, before_id, before_id, unread_only, size),
            )
            return [InboxItem(**row) for row in await cur.fetchall()]

    async def unread_count(self, owners: list[str]) -> int:
        """How many messages of `owners` are unread."""
        async with self._conn.cursor() as cur:
            await cur.execute(
                "SELECT count(*) FROM notification.inbox WHERE username = ANY(%s)"
                " AND read_at IS NULL",
                (owners,),
            )
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def mark_read(self, owners: list[str], ids: list[int] | None) -> int:
        """Mark unread messages of `owners` with `ids` (None: all of them) read; returns
        how many."""
        async with self._conn.cursor() as cur:
            await cur.execute(
                "UPDATE notification.inbox SET read_at = now() WHERE username = ANY(%s)"
                " AND read_at IS NULL AND (%s::bigint[] IS NULL OR id = ANY(%s))",
                (owners, ids, ids),
            )
            return cur.rowcount
