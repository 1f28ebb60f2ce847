"""SLA timers in the database: planned per ticket, claimed by any worker under a lease.

A claim takes due timers with `FOR UPDATE SKIP LOCKED` through the partial index on
`due_at` (pending timers only), so concurrent workers never take the same timer and a
check costs what the due timers cost, however many tickets are open. Claiming moves
`due_at` on by the lease: a worker that dies before recording its timers leaves them to
come due again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from services.sla.domain.planning import PlannedTimer, TimerKind
from services.sla.domain.policy import Target

__all__ = ["CLAIM_SELECT", "DueTimer", "TimerRepository"]

#: The claim's selection; `tests/integration` EXPLAINs it to show it reads only due rows.
CLAIM_SELECT = (
    "SELECT id FROM sla.timers WHERE fired_at IS NULL AND due_at <= %(now)s"
    " ORDER BY due_at LIMIT %(limit)s FOR UPDATE SKIP LOCKED"
)

_CLAIM = (
    f"WITH due AS ({CLAIM_SELECT})"
    " UPDATE sla.timers t SET due_at = %(now)s + make_interval(secs => %(lease)s),"
    " attempts = t.attempts + 1 FROM due WHERE t.id = due.id"
    " RETURNING t.id, t.ticket_id::text, t.kind, t.target, t.level, t.deadline, t.notify,"
    " t.action, t.policy_id, t.attempts"
)


@dataclass(frozen=True, slots=True)
class DueTimer:
    id: int
    ticket_id: str
    kind: TimerKind
    target: Target
    level: int
    deadline: datetime
    notify: tuple[str, ...]
    action: str
    policy_id: str
    #: How many times it has been claimed, this claim included.
    attempts: int

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> DueTimer:
        return cls(**{**row, "kind": TimerKind(row["kind"]), "target": Target(row["target"]),
                      "notify": tuple(row["notify"])})  # fmt: skip


class TimerRepository:
    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def replace_pending(
        self, ticket_id: str, planned: list[PlannedTimer], policy_id: str
    ) -> None:
        """Make the ticket's pending timers exactly `planned`; fired timers stay fired.

        A pending timer whose deadline is unchanged keeps its `due_at` (a lease or a retry
        in progress is not cut short); one whose deadline moved is due at the new deadline.
        """
        keys = [f"{t.kind.value}:{t.target.value}:{t.level}" for t in planned]
        await self._conn.execute(
            "DELETE FROM sla.timers WHERE ticket_id = %s AND fired_at IS NULL"
            " AND NOT (kind || ':' || target || ':' || level = ANY(%s::text[]))",
            (ticket_id, keys),
        )
        if not planned:
            return
        async with self._conn.cursor() as cur:
            await cur.executemany(
                "INSERT INTO sla.timers (ticket_id, kind, target, level, deadline, due_at, notify,"
                " action, policy_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (ticket_id, kind, target, level) DO UPDATE SET"
                " deadline = EXCLUDED.deadline, notify = EXCLUDED.notify,"
                " action = EXCLUDED.action, policy_id = EXCLUDED.policy_id,"
                " due_at = CASE WHEN sla.timers.deadline = EXCLUDED.deadline"
                " THEN sla.timers.due_at ELSE EXCLUDED.due_at END"
                " WHERE sla.timers.fired_at IS NULL",
                [(ticket_id, t.kind.value, t.target.value, t.level, t.deadline, t.deadline,
                  list(t.notify), t.action, policy_id) for t in planned],
            )  # fmt: skip

    async def claim_due(self, now: datetime, limit: int, lease_s: float) -> list[DueTimer]:
        """Up to `limit` timers due at `now`, earliest first, leased for `lease_s`. One
        statement: on an autocommit connection it is its own short transaction."""
        async with self._conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(_CLAIM, {"now": now, "limit": limit, "lease": lease_s})
            rows = await cur.fetchall()
        return sorted((DueTimer.from_row(r) for r in rows), key=lambda t: (t.deadline, t.id))

    async def mark_fired(self, fired: list[tuple[int, datetime, str | None]]) -> int:
        """Record (timer id, when, error or None) for timers that are done; returns how
        many were still pending (a timer withdrawn meanwhile is not counted)."""
        if not fired:
            return 0
        rows = ", ".join(["(%s::bigint, %s::timestamptz, %s::text)"] * len(fired))
        async with self._conn.cursor() as cur:
            await cur.execute(
                f"UPDATE sla.timers t SET fired_at = v.at, last_error = v.err FROM (VALUES {rows})"
                " AS v(id, at, err) WHERE t.id = v.id AND t.fired_at IS NULL",
                [value for row in fired for value in row],
            )
            return cur.rowcount

    async def retry_later(self, timer_id: int, due_at: datetime, error: str) -> None:
        await self._conn.execute(
            "UPDATE sla.timers SET due_at = %s, last_error = %s WHERE id = %s AND fired_at IS NULL",
            (due_at, error[:500], timer_id),
        )

    async def next_due(self) -> datetime | None:
        """The earliest `due_at` of a pending timer (one index probe)."""
        async with self._conn.cursor() as cur:
            await cur.execute("SELECT min(due_at) FROM sla.timers WHERE fired_at IS NULL")
            row = await cur.fetchone()
        return row[0] if row else None
