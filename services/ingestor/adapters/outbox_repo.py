"""The ticket outbox: claimed under a lease so any replica can deliver and none twice at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

__all__ = ["OutboxItem", "OutboxRepository"]

_LEASE_S = 30


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    incident_id: str
    action: str
    activity: str
    payload: dict[str, Any]
    attempts: int


class OutboxRepository:
    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def claim(self, limit: int) -> list[OutboxItem]:
        """Due items, leased for 30 seconds (if the claimer dies, they come due again)."""
        async with self._conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                "WITH due AS (SELECT id FROM ingestor.ticket_outbox WHERE done_at IS NULL"
                " AND dead_at IS NULL AND due_at <= now() ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED)"
                " UPDATE ingestor.ticket_outbox o SET due_at = now() + make_interval(secs => %s),"
                " attempts = o.attempts + 1 FROM due WHERE o.id = due.id"
                " RETURNING o.id, o.incident_id, o.action, o.activity, o.payload, o.attempts",
                (limit, _LEASE_S),
            )
            rows = await cur.fetchall()
        items = [OutboxItem(**{**r, "incident_id": str(r["incident_id"])}) for r in rows]
        return sorted(items, key=lambda i: i.id)

    async def done(self, item: OutboxItem, ticket_id: str | None = None) -> None:
        await self._conn.execute(
            "UPDATE ingestor.ticket_outbox SET done_at = now() WHERE id = %s", (item.id,)
        )
        if ticket_id is not None:
            await self._conn.execute(
                "UPDATE ingestor.incidents SET ticket_id = %s WHERE id = %s",
                (ticket_id, item.incident_id),
            )

    async def retry_later(self, item: OutboxItem, error: str, delay_s: float) -> None:
        await self._conn.execute(
            "UPDATE ingestor.ticket_outbox SET last_error = %s, due_at = now() + make_interval(secs => %s)"
            " WHERE id = %s",
            (error[:500], delay_s, item.id),
        )

    async def bury(self, item: OutboxItem, error: str) -> None:
        """Give the item up for good, keeping why."""
        await self._conn.execute(
            "UPDATE ingestor.ticket_outbox SET dead_at = now(), last_error = %s WHERE id = %s",
            (error[:500], item.id),
        )

    async def opening_is_dead(self, incident_id: str) -> bool:
        """Whether the item that opens the incident's ticket was given up."""
        async with self._conn.cursor() as cur:
            await cur.execute(
                "SELECT 1 FROM ingestor.ticket_outbox WHERE incident_id = %s AND action = 'open'"
                " AND dead_at IS NOT NULL",
                (incident_id,),
            )
            return await cur.fetchone() is not None

    async def close_incidents_of(self, ticket_id: str) -> int:
        """The ticket is done with: its incident closes, and the next alert opens a new one."""
        async with self._conn.cursor() as cur:
            await cur.execute(
                "UPDATE ingestor.incidents SET closed_at = now() WHERE ticket_id = %s AND closed_at IS NULL",
                (ticket_id,),
            )
            return cur.rowcount
