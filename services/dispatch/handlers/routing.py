"""Route tickets: take due routing jobs, decide, and record the decision with the intake calls
it needs, in one transaction.

A job first looks at the ticket as intake has it now and skips it when it is no longer
waiting (someone assigned it, it was cancelled, or it is history being replayed). The
decision, the offer and the calls to make are committed together with the job's end, so a
crash before the commit only means the job is routed again; after it, the calls are
delivered by `handlers/delivery.py`, each safe to repeat.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from services.dispatch import metrics
from services.dispatch.adapters.intake_client import IntakeClient
from services.dispatch.adapters.offers_repo import OffersRepository
from services.dispatch.adapters.work_repo import RouteJob, WorkRepository
from services.dispatch.domain.decide import Override, decide
from services.dispatch.domain.errors import DispatchError, NotFound, Unavailable
from services.dispatch.domain.model import Decision, Mode, TicketFacts, TicketSnapshot
from services.dispatch.handlers.config import load_context

__all__ = ["ANNOUNCING_REASONS", "Router"]

log = logging.getLogger(__name__)

#: Routing for these reasons pages P1 supervisors and notifies the rule's extra people;
#: routing again (after a decline, an unclaimed offer) does not repeat that.
ANNOUNCING_REASONS = frozenset({"created", "reopened"})


def backoff(attempts: int) -> timedelta:
    """0.5 s, 1 s, 2 s ... up to a minute."""
    return timedelta(seconds=min(60.0, 0.5 * 2 ** max(0, attempts - 1)))


class Router:
    def __init__(
        self,
        pool: AsyncConnectionPool,
        intake: IntakeClient,
        clock: Callable[[], datetime],
        *,
        offer_window_s: int = 300,
        lease_s: float = 30.0,
        default_timezone: str = "Asia/Shanghai",
    ) -> None:
        self._pool = pool
        self._intake = intake
        self._clock = clock
        self._window_s = offer_window_s
        self._lease_s = lease_s
        self._tz = default_timezone

    async def route_due(self, limit: int = 20) -> int:
        """Route the jobs that are due; returns how many were taken."""
        async with self._pool.connection() as conn, conn.transaction():
            jobs = await WorkRepository(conn).claim_route_jobs(self._clock(), limit, self._lease_s)
        for job in jobs:
            started = time.perf_counter()
            try:
                await self._route(job)
            except Exception as exc:
                transient = isinstance(exc, Unavailable | OSError) or not isinstance(
                    exc, DispatchError
                )
                if not isinstance(exc, DispatchError):
                    log.exception("routing ticket %s failed", job.ticket_id)
                else:
                    log.warning("routing ticket %s failed: %s", job.ticket_id, exc)
                async with self._pool.connection() as conn, conn.transaction():
                    work = WorkRepository(conn)
                    if transient:
                        due = self._clock() + backoff(job.attempts)
                        await work.retry_route_job(job.id, str(exc) or type(exc).__name__, due)
                    else:
                        await work.finish_route_job(job.id, self._clock(), f"failed: {exc}")
            metrics.DECISION_SECONDS.observe(time.perf_counter() - started)
        return len(jobs)

    async def _route(self, job: RouteJob) -> None:
        ticket = await self._intake.ticket(job.ticket_id)
        async with self._pool.connection() as conn, conn.transaction():
            work = WorkRepository(conn)
            now = self._clock()
            if ticket is None or not ticket.routable:
                state = "gone" if ticket is None else f"{ticket.status}/{ticket.assignee or '-'}"
                await work.finish_route_job(job.id, now, f"skipped: {state}")
                return
            ctx = await load_context(conn, ticket.facts.site, self._tz)
            if ctx is None:
                log.warning("site %r has no dispatch rules: ticket %s left to the desk",
                            ticket.facts.site, ticket.number)  # fmt: skip
                await work.finish_route_job(job.id, now, "skipped: the site has no rules")
                return
            override = Override(Mode(job.mode), job.team or "", job.reason) if job.mode else None
            decision = decide(
                ticket.facts, ctx, now, exclude=job.exclude, override=override,
                announce=job.reason in ANNOUNCING_REASONS, default_window_s=self._window_s,
            )  # fmt: skip
            await self._record(conn, job, ticket, decision, now)
            await work.finish_route_job(job.id, now, "routed")
        log.info("ticket %s: %s", ticket.number, decision.explanation)

    async def _record(
        self,
        conn: AsyncConnection[Any],
        job: RouteJob,
        ticket: TicketSnapshot,
        decision: Decision,
        now: datetime,
    ) -> None:
        """Store the decision, the offer and the calls to intake (pages first: "at once")."""
        work = WorkRepository(conn)
        decision_id = await work.record_decision(
            ticket.id, job.id, job.reason, decision, ticket.facts, now
        )
        base = {"team": decision.team, "rule": decision.rule}
        if decision.paged:
            await self._page(work, ticket.id, decision.paged, decision.page_reason,
                             f"d{decision_id}.page", base, now)  # fmt: skip
        if decision.assignee:
            await work.add_call(ticket.id, "assign",
                                {"assignee": decision.assignee, "note": decision.explanation},
                                now)  # fmt: skip
        if decision.offered_to:
            expires = now + timedelta(seconds=decision.offer_window_s)
            await OffersRepository(conn).put(ticket.id, ticket.facts.site, decision.team,
                                             decision.offered_to, ticket.summary(), now,
                                             expires)  # fmt: skip
            payload = {**base, "offered_to": list(decision.offered_to),
                       "expires_at": expires.isoformat(), "dispatch_key": f"d{decision_id}.offer"}  # fmt: skip
            await work.add_call(ticket.id, "activity",
                                {"type": "claim_offered", "payload": payload,
                                 "note": decision.explanation}, now)  # fmt: skip
            metrics.OFFERS.inc()
        if decision.notify:
            await self._page(work, ticket.id, decision.notify, "rule", f"d{decision_id}.notify",
                             base, now)  # fmt: skip
        metrics.DECISIONS.labels(decision.mode.value).inc()

    @staticmethod
    async def _page(
        work: WorkRepository,
        ticket_id: str,
        people: Sequence[str],
        reason: str,
        key: str,
        base: dict[str, str],
        now: datetime,
    ) -> None:
        payload = {**base, "notify": list(people), "reason": reason, "dispatch_key": key}
        await work.add_call(ticket_id, "activity",
                            {"type": "dispatch_paged", "payload": payload, "note": ""}, now)  # fmt: skip
        metrics.PAGES.labels(reason).inc()

    async def dry_run(
        self,
        ticket_id: str,
        facts: TicketFacts | None,
        at: datetime | None,
        exclude: Sequence[str],
    ) -> tuple[Decision, TicketFacts]:
        """What routing would decide for a ticket (or for facts), changing nothing."""
        if ticket_id:
            ticket = await self._intake.ticket(ticket_id)
            if ticket is None:
                raise NotFound(f"no ticket {ticket_id[:64]!r}")
            facts = ticket.facts
        if facts is None:
            raise NotFound("give a ticket id or the ticket's facts")
        async with self._pool.connection() as conn:
            ctx = await load_context(conn, facts.site, self._tz)
        if ctx is None:
            raise NotFound(f"site {facts.site[:64]!r} has no dispatch rules yet")
        decision = decide(facts, ctx, at or self._clock(), exclude=exclude,
                          default_window_s=self._window_s)  # fmt: skip
        return decision, facts
