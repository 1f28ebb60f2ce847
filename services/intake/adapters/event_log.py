"""The read side of the ticket event log, safe against transactions that commit out of order.

Events are ordered by (transaction id, id) and only events of transactions older than the
oldest transaction still in flight are handed out. Every such transaction has finished, so
the set of events below that horizon never grows afterwards, and a cursor that moves
through it in order never skips an event that commits late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

__all__ = ["LoggedEvent", "format_cursor", "horizon_age_s", "parse_cursor", "read_after"]


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """One committed entry of the ticket event log."""

    id: int
    tx_id: int
    ticket_id: str
    type: str
    from_status: str | None
    to_status: str | None
    actor: str
    actor_role: str
    channel: str
    note: str
    payload: dict[str, Any]
    occurred_at: datetime

    @property
    def cursor(self) -> str:
        return format_cursor(self.tx_id, self.id)

    @property
    def imported(self) -> bool:
        """Part of imported history (work orders, backfills): marked so in its payload."""
        return self.payload.get("imported") is True

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> LoggedEvent:
        return cls(**{**row, "tx_id": int(row["tx_id"]), "ticket_id": str(row["ticket_id"])})


def format_cursor(tx_id: int, event_id: int) -> str:
    return f"{tx_id}.{event_id}"


def parse_cursor(cursor: str) -> tuple[int, int]:
    """(transaction id, event id) from a cursor; '' is the start of the log."""
    if not cursor:
        return 0, 0
    tx_id, _, event_id = cursor.partition(".")
    if not (tx_id.isdigit() and event_id.isdigit()):
        raise ValueError(f"not a cursor: {cursor[:40]!r}")
    return int(tx_id), int(event_id)


_READ = (
    "SELECT id, tx_id::text AS tx_id, ticket_id, type, from_status, to_status, actor,"
    " actor_role, channel, note, payload, occurred_at FROM intake.ticket_events"
    " WHERE (tx_id, id) > (%s::text::xid8, %s)"
    " AND tx_id < pg_snapshot_xmin(pg_current_snapshot())"
    # Qualified: a bare `tx_id` here would name the text column of the select list, and
    # sort 10 before 9 once transaction ids cross a power of ten.
    " ORDER BY ticket_events.tx_id, ticket_events.id LIMIT %s"
)


async def horizon_age_s(conn: AsyncConnection[Any]) -> float:
    """How long the oldest transaction in flight on the server that has written (taken a
    transaction id, in any database) has run: readers get no event committed after it
    began until it ends."""
    cur = await conn.execute(
        "SELECT coalesce(extract(epoch FROM now() - min(xact_start)), 0)::float8"
        " FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
    )
    row = await cur.fetchone()
    return float(row[0]) if row else 0.0


async def read_after(conn: AsyncConnection[Any], cursor: str, limit: int) -> list[LoggedEvent]:
    """Up to `limit` settled events after `cursor`, in log order."""
    tx_id, event_id = parse_cursor(cursor)
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(_READ, (str(tx_id), event_id, limit))
        return [LoggedEvent.from_row(row) for row in await cur.fetchall()]
