"""`notification.inbox`: the in-app messages, one per event and recipient.

Readers name the owners whose messages they see (a user and their groups) and the site
whose group messages they see ('' for every site): a user's own messages are theirs
wherever the ticket is, a group's shared ones are split by the ticket's site."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from services.notification.domain.model import EventFacts, Notice, TicketFacts

__all__ = ["InboxItem", "InboxRepository", "Owners"]


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


@dataclass(frozen=True, slots=True)
class Owners:
    """Whose messages a reader sees: the user's own, and their groups' at `site` (every
    site when '')."""

    username: str
    groups: tuple[str, ...] = ()
    site: str = ""


_OWNED = "(username = %s OR (username = ANY(%s) AND (%s = '' OR site = %s)))"


def _owned(owners: Owners) -> tuple[Any, ...]:
    return owners.username, list(owners.groups), owners.site, owners.site


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
                " event_type, kind, locale, title, body, site)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (event_id, username) DO NOTHING",
                (notice.recipient, event.id, event.ticket_id, ticket.number, event.type,
                 notice.kind.value, notice.locale, notice.title, notice.body, ticket.site),
            )  # fmt: skip
            return cur.rowcount == 1

    async def page(
        self, owners: Owners, unread_only: bool, size: int, before_id: int | None
    ) -> list[InboxItem]:
        """Up to `size` messages of `owners`, newest first, older than `before_id` when
        given."""
        async with self._conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                f"SELECT {_COLUMNS} FROM notification.inbox WHERE {_OWNED}"
                " AND (%s::bigint IS NULL OR id < %s) AND (NOT %s OR read_at IS NULL)"
                " ORDER BY id DESC LIMIT %s",
                (*_owned(owners), before_id, before_id, unread_only, size),
            )
            return [InboxItem(**row) for row in await cur.fetchall()]

    async def unread_count(self, owners: Owners) -> int:
        """How many messages of `owners` are unread."""
        async with self._conn.cursor() as cur:
            await cur.execute(
                f"SELECT count(*) FROM notification.inbox WHERE {_OWNED} AND read_at IS NULL",
                _owned(owners),
            )
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def mark_read(self, owners: Owners, ids: list[int] | None) -> int:
        """Mark unread messages of `owners` with `ids` (None: all of them) read; returns
        how many."""
        async with self._conn.cursor() as cur:
            await cur.execute(
                f"UPDATE notification.inbox SET read_at = now() WHERE {_OWNED}"
                " AND read_at IS NULL AND (%s::bigint[] IS NULL OR id = ANY(%s))",
                (*_owned(owners), ids, ids),
            )
            return cur.rowcount
