"""SQL for dispatch's work: the tickets it follows, routing jobs, intake calls and decisions.

Routing jobs and intake calls are rows with a due time, claimed under a lease with
`FOR UPDATE SKIP LOCKED`: any replica can work them, and a job whose worker died comes due
again when its lease runs out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from services.dispatch.domain.model import DONE_STATUSES, Decision, TicketFacts

__all__ = ["WAKE_CHANNEL", "IntakeCall", "RouteJob", "WorkRepository"]

WAKE_CHANNEL = "dispatch_work"


@dataclass(frozen=True, slots=True)
class RouteJob:
    """A ticket to route: why, who to leave out, and an optional forced mode and team."""

    id: int
    ticket_id: str
    reason: str
    exclude: tuple[str, ...]
    mode: str | None
    team: str | None
    attempts: int


@dataclass(frozen=True, slots=True)
class IntakeCall:
    """A call to intake decided on and not yet known to be done."""

    id: int
    ticket_id: str
    kind: str
    payload: dict[str, Any]
    attempts: int


class WorkRepository:
    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def _all(self, query: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        async with self._conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(query, params)
            return await cur.fetchall()

    async def wake_workers(self) -> None:
        """Tell every replica's worker there is work, when this transaction commits."""
        await self._conn.execute(sql.SQL("NOTIFY {}").format(sql.Identifier(WAKE_CHANNEL)))

    # -- the tickets dispatch follows ---------------------------------------------------

    async def track(self, ticket_id: str, status: str) -> None:
        await self._conn.execute(
            "INSERT INTO dispatch.tickets (ticket_id, status) VALUES (%s, %s)"
            " ON CONFLICT (ticket_id) DO UPDATE SET status = EXCLUDED.status, updated_at = now()",
            (ticket_id, status),
        )

    async def set_assignee(self, ticket_id: str, assignee: str | None, status: str) -> None:
        await self._conn.execute(
            "INSERT INTO dispatch.tickets (ticket_id, status, assignee) VALUES (%s, %s, %s)"
            " ON CONFLICT (ticket_id) DO UPDATE SET status = EXCLUDED.status,"
            " assignee = EXCLUDED.assignee, updated_at = now()",
            (ticket_id, status, assignee),
        )

    async def add_decliner(self, ticket_id: str, technician: str, status: str) -> list[str]:
        """Record a decline (the ticket has no assignee any more); returns all who declined."""
        rows = await self._all(
            "INSERT INTO dispatch.tickets (ticket_id, status, declined_by) VALUES (%s, %s, %s)"
            " ON CONFLICT (ticket_id) DO UPDATE SET status = EXCLUDED.status, assignee = NULL,"
            " declined_by = CASE WHEN %s = ANY(dispatch.tickets.declined_by)"
            " THEN dispatch.tickets.declined_by"
            " ELSE array_append(dispatch.tickets.declined_by, %s) END, updated_at = now()"
            " RETURNING declined_by",
            (ticket_id, status, [technician], technician, technician),
        )
        return list(rows[0]["declined_by"])

    async def exclude_technician(self, ticket_id: str, technician: str) -> list[str]:
        """Leave `technician` out of this ticket's routing from now on; returns all left out."""
        rows = await self._all(
            "UPDATE dispatch.tickets SET declined_by = array_append(declined_by, %s)"
            " WHERE ticket_id = %s AND NOT %s = ANY(declined_by) RETURNING declined_by",
            (technician, ticket_id, technician),
        )
        return list(rows[0]["declined_by"]) if rows else await self.declined_by(ticket_id)

    async def declined_by(self, ticket_id: str) -> list[str]:
        rows = await self._all(
            "SELECT declined_by FROM dispatch.tickets WHERE ticket_id = %s", (ticket_id,)
        )
        return list(rows[0]["declined_by"]) if rows else []

    async def mark_assigned(self, ticket_id: str, assignee: str) -> None:
        """Count our own assignment at once, before its event comes back through the log."""
        await self._conn.execute(
            "UPDATE dispatch.tickets SET assignee = %s, status = 'assigned', updated_at = now()"
            " WHERE ticket_id = %s AND assignee IS NULL AND status IN ('submitted', 'accepted')",
            (assignee, ticket_id),
        )

    async def open_counts(self, usernames: Sequence[str]) -> dict[str, int]:
        """Open tickets per technician (assigned and not yet resolved)."""
        rows = await self._all(
            "SELECT assignee, count(*) AS n FROM dispatch.tickets WHERE assignee = ANY(%s)"
            " AND status <> ALL(%s) GROUP BY assignee",
            (list(usernames), sorted(DONE_STATUSES)),
        )
        return {r["assignee"]: int(r["n"]) for r in rows}

    # -- routing jobs -------------------------------------------------------------------

    async def add_route_job(
        self,
        ticket_id: str,
        reason: str,
        source_key: str,
        due_at: datetime,
        exclude: Sequence[str] = (),
        mode: str | None = None,
        team: str | None = None,
    ) -> bool:
        """Queue a ticket for routing; False when `source_key` already queued it."""
        async with self._conn.cursor() as cur:
            await cur.execute(
                "INSERT INTO dispatch.route_jobs (ticket_id, reason, source_key, exclude, mode,"
                " team, due_at) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (source_key) DO NOTHING",
                (ticket_id, reason, source_key[:300], list(exclude), mode, team, due_at),
            )
            added = cur.rowcount == 1
        if added:
            await self.wake_workers()
        return added

    async def _claim(
        self, table: str, columns: str, now: datetime, limit: int, lease_s: float
    ) -> list[dict[str, Any]]:
        query = sql.SQL(
            "WITH due AS (SELECT id FROM {table} WHERE done_at IS NULL AND due_at <= %s"
            " ORDER BY due_at, id LIMIT %s FOR UPDATE SKIP LOCKED)"
            " UPDATE {table} t SET due_at = %s, attempts = t.attempts + 1 FROM due"
            " WHERE t.id = due.id RETURNING {columns}"
        ).format(table=sql.SQL(table), columns=sql.SQL(columns))
        async with self._conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(query, (now, limit, now + timedelta(seconds=lease_s)))
            rows = await cur.fetchall()
        return sorted(rows, key=lambda r: int(r["id"]))

    async def claim_route_jobs(self, now: datetime, limit: int, lease_s: float) -> list[RouteJob]:
        rows = await self._claim(
            "dispatch.route_jobs",
            "t.id, t.ticket_id, t.reason, t.exclude, t.mode, t.team, t.attempts",
            now,
            limit,
            lease_s,
        )
        return [RouteJob(**{**r, "exclude": tuple(r["exclude"])}) for r in rows]

    async def finish_route_job(self, job_id: int, now: datetime, note: str = "") -> None:
        await self._conn.execute(
            "UPDATE dispatch.route_jobs SET done_at = %s, last_error = %s WHERE id = %s",
            (now, note[:500], job_id),
        )

    async def retry_route_job(self, job_id: int, error: str, due_at: datetime) -> None:
        await self._conn.execute(
            "UPDATE dispatch.route_jobs SET last_error = %s, due_at = %s WHERE id = %s",
            (error[:500], due_at, job_id),
        )

    # -- decisions and intake calls -----------------------------------------------------

    async def record_decision(
        self,
        ticket_id: str,
        job_id: int | None,
        reason: str,
        decision: Decision,
        facts: TicketFacts,
        at: datetime,
    ) -> int:
        rows = await self._all(
            "INSERT INTO dispatch.decisions (ticket_id, job_id, reason, rule, mode, team,"
            " assignee, offered_to, paged, page_reason, notify, explanation, facts, decided_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
            (
                ticket_id, job_id, reason, decision.rule, decision.mode.value, decision.team,
                decision.assignee, list(decision.offered_to), list(decision.paged),
                decision.page_reason, list(decision.notify), decision.explanation,
                Jsonb({"kind": facts.kind, "category": facts.category,
                       "priority": facts.priority, "source": facts.source, "site": facts.site,
                       "building": facts.building, "floor": facts.floor}),
                at,
            ),
        )  # fmt: skip
        return int(rows[0]["id"])

    async def add_call(
        self, ticket_id: str, kind: str, payload: dict[str, Any], due_at: datetime
    ) -> None:
        await self._conn.execute(
            "INSERT INTO dispatch.intake_calls (ticket_id, kind, payload, due_at)"
            " VALUES (%s, %s, %s, %s)",
            (ticket_id, kind, Jsonb(payload), due_at),
        )
        await self.wake_workers()

    async def claim_calls(self, now: datetime, limit: int, lease_s: float) -> list[IntakeCall]:
        rows = await self._claim(
            "dispatch.intake_calls",
            "t.id, t.ticket_id, t.kind, t.payload, t.attempts",
            now,
            limit,
            lease_s,
        )
        return [IntakeCall(**r) for r in rows]

    async def finish_call(self, call_id: int, now: datetime, outcome: str, error: str = "") -> None:
        await self._conn.execute(
            "UPDATE dispatch.intake_calls SET done_at = %s, outcome = %s, last_error = %s"
            " WHERE id = %s",
            (now, outcome[:200], error[:500], call_id),
        )

    async def retry_call(self, call_id: int, error: str, due_at: datetime) -> None:
        await self._conn.execute(
            "UPDATE dispatch.intake_calls SET last_error = %s, due_at = %s WHERE id = %s",
            (error[:500], due_at, call_id),
        )
