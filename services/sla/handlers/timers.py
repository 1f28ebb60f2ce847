"""Fire due SLA timers: record each on its ticket at intake exactly once.

A check claims due timers under a lease in one short transaction and commits, then calls
intake (no transaction is open during the calls: an open writing transaction would hold
back intake's event stream for everyone), then marks the recorded timers fired in a
second short transaction. A worker that dies in between leaves its timers to come due
again when the lease ends; the next claimer asks intake first whether a re-claimed timer
was already recorded (its `timer_id` is in the event payload), so it is not recorded twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from psycopg_pool import AsyncConnectionPool

from services.common.worker import Worker
from services.sla import metrics
from services.sla.adapters.intake_client import DeliveryFailed, IntakePort
from services.sla.adapters.timers_repo import DueTimer, TimerRepository
from services.sla.domain.planning import ACTIVITY_TYPES, TimerKind, split_recipients

__all__ = ["TimerWorker", "activity_of"]

log = logging.getLogger(__name__)

_MAX_BACKOFF_S = 300.0


def activity_of(timer: DueTimer) -> tuple[str, str, dict[str, Any]]:
    """(activity type, note, payload) that records `timer` on its ticket."""
    users, roles = split_recipients(timer.notify)
    payload: dict[str, Any] = {
        "timer_id": timer.id, "level": timer.level, "notify": users, "notify_roles": roles,
        "target": timer.target.value, "due_at": timer.deadline.isoformat(),
        "action": timer.action, "policy_id": timer.policy_id,
    }  # fmt: skip
    what = {TimerKind.REMINDER: "nears its deadline", TimerKind.BREACH: "missed its deadline",
            TimerKind.ESCALATION: f"escalated (level {timer.level}: {timer.action})"}  # fmt: skip
    note = f"SLA {timer.target.value} target {what[timer.kind]}"
    return ACTIVITY_TYPES[timer.kind], note, payload


def _count(timer: DueTimer, fired_at: datetime) -> None:
    target = timer.target.value
    if timer.kind is TimerKind.BREACH:
        metrics.BREACHES.labels(target).inc()
    elif timer.kind is TimerKind.ESCALATION:
        metrics.ESCALATIONS.labels(target, str(timer.level)).inc()
    else:
        metrics.REMINDERS.labels(target).inc()
    lateness = max(0.0, (fired_at - timer.deadline).total_seconds())
    metrics.TIMER_LATENESS.labels(timer.kind.value).observe(lateness)


class TimerWorker:
    """Claims and fires due timers; any number of workers may run against one database."""

    def __init__(
        self,
        pool: AsyncConnectionPool,
        intake: IntakePort,
        clock: Callable[[], datetime],
        *,
        batch: int = 200,
        lease_s: float = 30.0,
        concurrency: int = 16,
    ) -> None:
        self._pool = pool
        self._intake = intake
        self._clock = clock
        self._batch = batch
        self._lease_s = lease_s
        self._slots = asyncio.Semaphore(concurrency)
        self._worker = Worker()

    def wake(self) -> None:
        """A timer may have come due sooner than expected: check now."""
        self._worker.wake()

    async def check(self) -> int:
        """Fire what is due now; returns how many timers were recorded."""
        return (await self._check())[1]

    async def _check(self) -> tuple[int, int]:
        """(timers claimed, timers recorded)."""
        async with self._pool.connection() as conn:
            due = await TimerRepository(conn).claim_due(self._clock(), self._batch, self._lease_s)
        if not due:
            return 0, 0
        results = await asyncio.gather(*(self._deliver(t) for t in due))
        fired = [r for r in results if r is not None]
        async with self._pool.connection() as conn:
            await TimerRepository(conn).mark_fired(fired)
        by_id = {t.id: t for t in due}
        recorded = [(by_id[i], at) for i, at, error in fired if error is None]
        for timer, at in recorded:
            _count(timer, at)
        return len(due), len(recorded)

    async def _deliver(self, timer: DueTimer) -> tuple[int, datetime, str | None] | None:
        """Record one timer; returns (id, when, error) when it is done with, None when it
        will be retried."""
        kind, note, payload = activity_of(timer)
        async with self._slots:
            try:
                if timer.attempts > 1 and timer.id in await self._intake.recorded_timers(
                    timer.ticket_id
                ):
                    log.info("timer %d was recorded before its lease ran out", timer.id)
                    return timer.id, self._clock(), None
                await self._intake.record(timer.ticket_id, kind, note, payload)
            except DeliveryFailed as exc:
                return await self._failed(timer, exc)
        return timer.id, self._clock(), None

    async def _failed(
        self, timer: DueTimer, exc: DeliveryFailed
    ) -> tuple[int, datetime, str | None] | None:
        if exc.permanent:
            metrics.TIMER_FAILURES.labels("given_up").inc()
            log.warning("timer %d on ticket %s given up: %s", timer.id, timer.ticket_id, exc)
            return timer.id, self._clock(), f"given up: {exc}"[:500]
        metrics.TIMER_FAILURES.labels("retried").inc()
        delay = min(_MAX_BACKOFF_S, 0.5 * 2 ** min(timer.attempts, 20))
        log.warning("timer %d on ticket %s failed (%s); retry in %.1fs", timer.id,
                    timer.ticket_id, exc, delay)  # fmt: skip
        async with self._pool.connection() as conn:
            await TimerRepository(conn).retry_later(
                timer.id, self._clock() + timedelta(seconds=delay), str(exc)
            )
        return None

    async def _next_due_in(self) -> float | None:
        """Seconds until the next pending timer is due (at least 2 ms), None when none is."""
        async with self._pool.connection() as conn:
            next_due = await TimerRepository(conn).next_due()
        if next_due is None:
            return None
        return max(0.002, (next_due - self._clock()).total_seconds())

    async def run_forever(self, every_s: float = 0.25) -> None:
        """Check; when something was due, check again at once, otherwise sleep until the
        next timer is due (at most `every_s`) or until woken."""

        async def claimed() -> int:
            return (await self._check())[0]

        await self._worker.run_forever(
            claimed, every_s, "checking SLA timers", due_in=self._next_due_in,
            wake_after_failure=False,
        )  # fmt: skip
