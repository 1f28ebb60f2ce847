"""Deliver decided calls to intake, each safe to repeat after a crash.

- assign: look at the ticket first and assign only if nobody has it and it still waits,
  and ask intake to refuse if someone took it in between (checked under its row lock); a
  retry after a crash finds it assigned and does nothing, so nobody is assigned twice, and
  an assignment a dispatcher made meanwhile is never overwritten by a stale decision.
- activity (claim_offered, dispatch_paged): the payload carries a `dispatch_key`; a retry
  first looks in the ticket's history for an event with that key.

Intake being unreachable is retried with back-off; a refusal (an unknown technician, an
illegal transition) is final. A refused assignment routes the ticket again without that
technician.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from psycopg_pool import AsyncConnectionPool

from services.dispatch import metrics
from services.dispatch.adapters.intake_client import IntakeClient
from services.dispatch.adapters.work_repo import IntakeCall, WorkRepository
from services.dispatch.domain.errors import Conflict, DispatchError, InvalidInput, Unavailable
from services.dispatch.handlers.routing import backoff

__all__ = ["Delivery"]

log = logging.getLogger(__name__)


class Delivery:
    def __init__(
        self,
        pool: AsyncConnectionPool,
        intake: IntakeClient,
        clock: Callable[[], datetime],
        lease_s: float = 30.0,
    ) -> None:
        self._pool = pool
        self._intake = intake
        self._clock = clock
        self._lease_s = lease_s

    async def deliver_due(self, limit: int = 50) -> int:
        """Make the calls that are due; returns how many were taken."""
        async with self._pool.connection() as conn, conn.transaction():
            calls = await WorkRepository(conn).claim_calls(self._clock(), limit, self._lease_s)
        for call in calls:
            try:
                outcome = await self._deliver(call)
            except Unavailable as exc:
                metrics.INTAKE_FAILURES.labels("yes").inc()
                due = self._clock() + backoff(call.attempts)
                log.warning("intake call %d (%s) failed: %s; retrying", call.id, call.kind, exc)
                async with self._pool.connection() as conn, conn.transaction():
                    await WorkRepository(conn).retry_call(call.id, str(exc), due)
                continue
            except DispatchError as exc:
                metrics.INTAKE_FAILURES.labels("no").inc()
                log.warning("intake refused call %d (%s): %s", call.id, call.kind, exc)
                await self._refused(call, exc)
                continue
            async with self._pool.connection() as conn, conn.transaction():
                await WorkRepository(conn).finish_call(call.id, self._clock(), outcome)
        return len(calls)

    async def _deliver(self, call: IntakeCall) -> str:
        if call.kind == "assign":
            return await self._assign(call)
        kind = str(call.payload["type"])
        payload = dict(call.payload.get("payload") or {})
        key = str(payload.get("dispatch_key", ""))
        if call.attempts > 1 and key and await self._intake.has_activity(call.ticket_id, kind, key):
            return "already recorded"
        await self._intake.record_activity(
            call.ticket_id, kind, str(call.payload.get("note", "")), payload
        )
        return "recorded"

    async def _assign(self, call: IntakeCall) -> str:
        assignee = str(call.payload["assignee"])
        ticket = await self._intake.ticket(call.ticket_id)
        if ticket is None:
            return "skipped: no such ticket"
        if ticket.assignee:
            return f"skipped: already assigned to {ticket.assignee}"
        if not ticket.routable:
            return f"skipped: the ticket is {ticket.status}"
        try:
            await self._intake.assign(call.ticket_id, assignee, str(call.payload.get("note", "")))
        except Conflict as exc:  # someone took or assigned it since we looked
            return f"skipped: {exc}"
        async with self._pool.connection() as conn:
            await WorkRepository(conn).mark_assigned(call.ticket_id, assignee)
        metrics.ASSIGNMENTS.inc()
        log.info("ticket %s assigned to %s", ticket.number, assignee)
        return f"assigned to {assignee}"

    async def _refused(self, call: IntakeCall, exc: DispatchError) -> None:
        async with self._pool.connection() as conn, conn.transaction():
            work = WorkRepository(conn)
            now = self._clock()
            await work.finish_call(call.id, now, "refused", str(exc))
            if call.kind == "assign" and isinstance(exc, InvalidInput):
                refused = str(call.payload["assignee"])
                exclude = {*await work.exclude_technician(call.ticket_id, refused), refused}
                await work.add_route_job(
                    call.ticket_id,
                    "assign_refused",
                    f"call:{call.id}",
                    now,
                    exclude=sorted(exclude),
                )
