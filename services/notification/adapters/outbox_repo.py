"""`notification.deliveries`: the outbox, claimed under a lease so any replica can deliver
and none delivers the same row at the same time.

A claim moves `due_at` forward by the lease and counts the attempt; if the claimer dies,
the row comes due again when the lease ends. Outcomes are recorded only by the claim that
made the attempt (`attempts` must still match), so a late worker whose lease ran out
cannot overwrite a newer attempt's result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from services.notification.domain.model import DeliveryState, EventFacts, Notice

__all__ = [
    "WAKE_CHANNEL",
    "DeliveryFilter",
    "DeliveryRow",
    "DueDelivery",
    "OutboxRepository",
]

#: PostgreSQL NOTIFY channel raised when deliveries are queued (delivered on commit).
WAKE_CHANNEL = "notification_outbox"


@dataclass(frozen=True, slots=True)
class DueDelivery:
    """A claimed delivery: what to send where, and which attempt this is."""

    id: int
    url: str
    scheme: str
    title: str
    body: str
    attempts: int


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    """A delivery as operators see it (the URL itself is never shown)."""

    id: int
    dedupe_key: str
    event_id: int
    ticket_id: str
    event_type: str
    kind: str
    recipient: str
    channel: str
    state: DeliveryState
    attempts: int
    last_error: str
    title: str
    created_at: datetime
    due_at: datetime
    sent_at: datetime | None
    site: str


@dataclass(frozen=True, slots=True)
class DeliveryFilter:
    """Every set field narrows the list."""

    ticket_id: str = ""
    state: DeliveryState | None = None
    recipient: str = ""
    #: The ticket's site.
    site: str = ""


_ROW_COLUMNS = (
    "id, dedupe_key, event_id, ticket_id, event_type, kind, recipient, channel, state,"
    " attempts, last_error, title, created_at, due_at, sent_at, site"
)


class OutboxRepository:
    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def enqueue(
        self,
        key: str,
        event: EventFacts,
        notice: Notice,
        url: str,
        channel: str,
        scheme: str,
        site: str,
    ) -> bool:
        """Queue one message for one channel unless `key` was queued before; True when new.
        `site` is the ticket's."""
        async with self._conn.cursor() as cur:
            await cur.execute(
                "INSERT INTO notification.deliveries (dedupe_key, event_id, ticket_id, event_type,"
                " kind, recipient, url, channel, scheme, title, body, site)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (dedupe_key) DO NOTHING",
                (key, event.id, event.ticket_id, event.type, notice.kind.value, notice.recipient,
                 url, channel, scheme, notice.title, notice.body, site),
            )  # fmt: skip
            return cur.rowcount == 1

    async def announce(self) -> None:
        """Wake delivery workers when this transaction commits."""
        await self._conn.execute("SELECT pg_notify(%s, '')", (WAKE_CHANNEL,))

    async def claim(self, limit: int, lease_s: float) -> list[DueDelivery]:
        """Due pending deliveries, oldest due first, leased for `lease_s` seconds."""
        async with self._conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                "WITH due AS (SELECT id FROM notification.deliveries WHERE state = 'pending'"
                " AND due_at <= now() ORDER BY due_at, id LIMIT %s FOR UPDATE SKIP LOCKED)"
                " UPDATE notification.deliveries d SET attempts = d.attempts + 1,"
                " due_at = now() + make_interval(secs => %s), updated_at = now()"
                " FROM due WHERE d.id = due.id"
                " RETURNING d.id, d.url, d.scheme, d.title, d.body, d.attempts",
                (limit, lease_s),
            )
            rows = await cur.fetchall()
        return sorted((DueDelivery(**row) for row in rows), key=lambda d: d.id)

    async def mark_sent(self, item: DueDelivery) -> bool:
        """Record success; False when the claim was lost (another attempt took over)."""
        async with self._conn.cursor() as cur:
            await cur.execute(
                "UPDATE notification.deliveries SET state = 'sent', sent_at = now(),"
                " updated_at = now() WHERE id = %s AND attempts = %s AND state = 'pending'",
                (item.id, item.attempts),
            )
            return cur.rowcount == 1

    async def mark_failed(self, item: DueDelivery, error: str, retry_in_s: float | None) -> bool:
        """Record a failed attempt: due again in `retry_in_s`, or dead when None."""
        async with self._conn.cursor() as cur:
            await cur.execute(
                "UPDATE notification.deliveries SET last_error = %s, updated_at = now(),"
                " state = CASE WHEN %s::float8 IS NULL THEN 'dead' ELSE 'pending' END,"
                " due_at = CASE WHEN %s::float8 IS NULL THEN due_at"
                " ELSE now() + make_interval(secs => %s::float8) END"
                " WHERE id = %s AND attempts = %s AND state = 'pending'",
                (error[:1000], retry_in_s, retry_in_s, retry_in_s, item.id, item.attempts),
            )
            return cur.rowcount == 1

    async def page(
        self, flt: DeliveryFilter, size: int, before_id: int | None
    ) -> list[DeliveryRow]:
        """Up to `size` deliveries matching `flt`, newest first, older than `before_id`."""
        state = flt.state.value if flt.state else None
        async with self._conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                f"SELECT {_ROW_COLUMNS} FROM notification.deliveries"
                " WHERE (%s = '' OR ticket_id = %s) AND (%s::text IS NULL OR state = %s)"
                " AND (%s = '' OR recipient = %s) AND (%s = '' OR site = %s)"
                " AND (%s::bigint IS NULL OR id < %s) ORDER BY id DESC LIMIT %s",
                (flt.ticket_id, flt.ticket_id, state, state, flt.recipient, flt.recipient,
                 flt.site, flt.site, before_id, before_id, size),
            )  # fmt: skip
            rows = await cur.fetchall()
        return [DeliveryRow(**{**row, "state": DeliveryState(row["state"])}) for row in rows]

    async def depth(self) -> dict[str, int]:
        """How many deliveries are pending, pending and due now, and dead."""
        async with self._conn.cursor() as cur:
            await cur.execute(
                "SELECT count(*) FILTER (WHERE state = 'pending'),"
                " count(*) FILTER (WHERE state = 'pending' AND due_at <= now()),"
                " count(*) FILTER (WHERE state = 'dead')"
                " FROM notification.deliveries WHERE state <> 'sent'"
            )
            row = await cur.fetchone()
        pending, due, dead = row if row else (0, 0, 0)
        return {"pending": int(pending), "due": int(due), "dead": int(dead)}
