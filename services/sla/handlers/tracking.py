"""Keep each ticket's SLA state and timers in step with its event history.

Every relevant intake event is stored, the ticket's state is derived again from all its
stored events under the current policy and calendar, and its pending timers are replaced
by the ones that state calls for, all in the transaction that moves the event cursor.
A policy or calendar change marks open tickets, and `recompute_stale` derives them again
in small batches that any replica may take. The at-risk gauges are counted here too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from services.common.business_time import Calendar, CalendarExhausted
from services.common.policy_choice import calendar_for, choose_policy
from services.sla import metrics
from services.sla.adapters.config_repo import ConfigRepository
from services.sla.adapters.intake_client import IntakePort
from services.sla.adapters.tickets_repo import TicketRepository
from services.sla.adapters.timers_repo import TimerRepository
from services.sla.domain.planning import plan_timers, watch_points
from services.sla.domain.policy import Policy
from services.sla.domain.state import ClockStatus, EventFact, SlaState, TicketFacts, derive
from services.sla.domain.views import view_of

__all__ = ["Config", "IncomingEvent", "Tracker", "load_config"]

log = logging.getLogger(__name__)

_SHAPING = frozenset({"created", "paused", "resumed"})


@dataclass(frozen=True, slots=True)
class IncomingEvent:
    """A ticket event from intake's log, with the facts its payload carries (the created
    event names kind, category, priority and site)."""

    ticket_id: str
    event: EventFact
    hints: Mapping[str, str] = field(default_factory=dict)

    @property
    def own(self) -> bool:
        """Recorded by this service (sla_reminder, sla_escalated, sla_breached)."""
        return self.event.type.startswith("sla_")

    @property
    def relevant(self) -> bool:
        """Can it move a clock, change who is notified, or change the matching policy?"""
        e = self.event
        return (
            e.type in _SHAPING
            or e.from_status != e.to_status
            or bool(e.assignee)
            or "priority" in self.hints
        )


@dataclass(frozen=True, slots=True)
class Config:
    policies: tuple[Policy, ...]
    calendars: dict[str, Calendar]


async def load_config(conn: AsyncConnection[Any]) -> Config:
    repo = ConfigRepository(conn)
    policies = tuple(p for p, _ in await repo.policies())
    return Config(policies, {c.id: c for c, _ in await repo.calendars()})


def _facts_from(incoming: IncomingEvent) -> TicketFacts | None:
    hints = incoming.hints
    if incoming.event.type != "created" or not hints.get("kind") or "site" not in hints:
        return None
    return TicketFacts(
        incoming.ticket_id, hints["kind"], hints.get("category", ""),
        hints.get("priority", ""), hints["site"], incoming.event.occurred_at,
    )  # fmt: skip


def _observe_met(before: tuple[str, str], state: SlaState) -> None:
    """Record, for each clock this event met, how much time it had left."""
    for old, clock in zip(before, state.clocks, strict=True):
        if old == ClockStatus.MET or clock.status is not ClockStatus.MET:
            continue
        if clock.due_at is not None and clock.ended_at is not None:
            left = max(0.0, (clock.due_at - clock.ended_at).total_seconds())
            metrics.TIME_TO_BREACH.labels(clock.target.value).observe(left)


class Tracker:
    """Follows ticket events and recomputes tickets; times come from `clock`."""

    def __init__(
        self, pool: AsyncConnectionPool, intake: IntakePort, clock: Callable[[], datetime]
    ) -> None:
        self._pool = pool
        self._intake = intake
        self._clock = clock

    async def handle(self, conn: AsyncConnection[Any], incoming: IncomingEvent) -> str:
        """Apply one event inside the caller's transaction; returns what was done."""
        outcome = await self._handle(conn, incoming)
        metrics.EVENTS.labels(outcome).inc()
        log.debug("event %d (%s) of ticket %s: %s", incoming.event.id, incoming.event.type,
                  incoming.ticket_id, outcome)  # fmt: skip
        return outcome

    async def _handle(self, conn: AsyncConnection[Any], incoming: IncomingEvent) -> str:
        if incoming.own:
            return "own"
        if not incoming.relevant:
            return "ignored"
        repo = TicketRepository(conn)
        facts = await repo.facts(incoming.ticket_id, lock=True)
        if facts is None:
            found = _facts_from(incoming) or await self._intake.ticket_facts(incoming.ticket_id)
            if found is None:
                log.warning("ticket %s is unknown to intake; event skipped", incoming.ticket_id)
                return "unknown"
            await repo.add_facts(found)
            facts = await repo.facts(incoming.ticket_id, lock=True)
            assert facts is not None
        elif incoming.event.type != "created" and "priority" in incoming.hints:
            hints = incoming.hints
            facts = replace(facts, priority=hints["priority"],
                            category=hints.get("category") or facts.category)  # fmt: skip
            await repo.set_matchers(facts.ticket_id, facts.category, facts.priority)
        await repo.add_event(incoming.ticket_id, incoming.event)
        before = await repo.view(incoming.ticket_id)
        state = await self._recompute(conn, facts, await load_config(conn))
        if state is not None:
            old = (before.respond.status, before.resolve.status) if before else ("", "")
            _observe_met((str(old[0]), str(old[1])), state)
        return "applied"

    async def _recompute(
        self, conn: AsyncConnection[Any], facts: TicketFacts, config: Config
    ) -> SlaState | None:
        """Derive the ticket's state from its stored events; store it and its timers."""
        tickets, timers = TicketRepository(conn), TimerRepository(conn)
        policy = choose_policy(
            config.policies, facts.site, facts.kind, facts.category, facts.priority
        )
        if policy is None:
            await tickets.save(facts.ticket_id, None, None, None)
            await timers.replace_pending(facts.ticket_id, [], "")
            return None
        calendar = calendar_for(policy, facts.site, config.calendars)
        events = await tickets.events(facts.ticket_id)
        try:
            state = derive(facts, events, policy, calendar)
        except CalendarExhausted as exc:
            log.error("ticket %s: %s; counting round the clock", facts.ticket_id, exc)
            calendar = None
            state = derive(facts, events, policy, None)
        planned = plan_timers(state, policy, calendar, self._clock())
        risk_at, breach_at = watch_points(planned)
        await tickets.save(facts.ticket_id, view_of(state), risk_at, breach_at)
        await timers.replace_pending(facts.ticket_id, planned, policy.id)
        return state

    async def recompute_stale(self, batch: int = 50) -> int:
        """Recompute up to `batch` tickets marked stale, in one short transaction; returns
        how many. Replicas share the work (the claim skips rows locked elsewhere)."""
        async with self._pool.connection() as conn, conn.transaction():
            repo = TicketRepository(conn)
            ids = await repo.claim_stale(batch)
            if not ids:
                return 0
            config = await load_config(conn)
            for ticket_id in ids:
                facts = await repo.facts(ticket_id)
                if facts is not None:
                    await self._recompute(conn, facts, config)
        log.info("recomputed %d ticket(s)", len(ids))
        return len(ids)

    async def recompute_all_stale(self, batch: int = 50) -> int:
        """Drain the recompute marks; returns how many tickets were recomputed."""
        total = 0
        while done := await self.recompute_stale(batch):
            total += done
        return total

    async def refresh_gauges(self) -> None:
        """Count the open tickets at risk and those breached into their gauges."""
        async with self._pool.connection() as conn:
            at_risk, breached = await TicketRepository(conn).risk_counts(self._clock())
        metrics.TICKETS_AT_RISK.set(at_risk)
        metrics.BREACHED_OPEN.set(breached)
