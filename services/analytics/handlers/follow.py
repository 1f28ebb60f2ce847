"""Keep each ticket's facts in step with intake's event log.

Events come in batches (one event when following live, many while catching up or after an
import), each batch in the transaction that moves the cursor: the tickets they touch are
read and locked, the events applied in order (`domain.ticket.apply_event`), and the changed
tickets written with their durations in business hours (`domain.business`, by the SLA
calendars `BusinessHours` keeps) in one statement, which moves the summaries too (the
trigger on `analytics.tickets`). Intake is asked for new tickets' facts, and corrected
imports', before anything is written, so no open writing transaction waits on it (one would
hold back every reader of the event log). Imported history is counted like the rest.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

from services.analytics import metrics
from services.analytics.adapters.intake_client import IntakePort, TicketFacts
from services.analytics.adapters.tickets_repo import TicketRepository
from services.analytics.domain.business import business_durations
from services.analytics.domain.ticket import (
    Event,
    TicketState,
    apply_event,
    corrected_history,
    open_ticket,
)
from services.analytics.handlers.hours import BusinessHours
from services.analytics.handlers.sites import SiteZones

__all__ = ["Follower", "IncomingEvent"]

log = logging.getLogger(__name__)

_NEEDS_FACTS = frozenset({"created", "import_corrected"})


@dataclass(frozen=True, slots=True)
class IncomingEvent:
    """A ticket event from intake's log, for the ticket it belongs to."""

    ticket_id: str
    event: Event


def _applied(
    state: TicketState | None, incoming: IncomingEvent, fetched: TicketFacts | None
) -> tuple[TicketState | None, str]:
    """The ticket after one event, and what was done."""
    ticket_id, event = incoming.ticket_id, incoming.event
    if state is None:
        if fetched is None or event.type != "created":
            return None, "unknown"
        return open_ticket(ticket_id, fetched[0], event), "created"
    if event.type == "import_corrected" and fetched is not None:
        corrected = corrected_history(ticket_id, fetched[0], fetched[1], event)
        return (corrected, "corrected") if corrected is not None else (state, "unchanged")
    after = apply_event(state, event)
    return after, "unchanged" if after == state else "applied"


class Follower:
    """Applies intake's ticket events to the per-ticket facts."""

    def __init__(
        self, intake: IntakePort, sites: SiteZones, hours: BusinessHours,
        clock: Callable[[], datetime],
    ) -> None:  # fmt: skip
        self._intake = intake
        self._sites = sites
        self._hours = hours
        self._clock = clock

    async def handle(self, conn: AsyncConnection[Any], batch: list[IncomingEvent]) -> Counter[str]:
        """Apply a batch of events in the caller's transaction; returns what was done."""
        wanted = sorted({i.ticket_id for i in batch if i.event.type in _NEEDS_FACTS})
        fetched = await self._intake.ticket_facts(wanted) if wanted else {}
        await self._sites.ensure(conn, {facts.site for facts, _ in fetched.values()})
        repo = TicketRepository(conn)
        before = await repo.get(sorted({i.ticket_id for i in batch}), lock=True)
        states: dict[str, TicketState | None] = dict(before)
        done: Counter[str] = Counter()
        for incoming in batch:
            ticket_id = incoming.ticket_id
            facts = fetched.get(ticket_id) if incoming.event.type in _NEEDS_FACTS else None
            states[ticket_id], outcome = _applied(states.get(ticket_id), incoming, facts)
            done[outcome] += 1
            if outcome == "unknown":
                log.warning("ticket %s is unknown; event %d skipped", ticket_id, incoming.event.id)
        changed = [s for i, s in states.items() if s is not None and before.get(i) != s]
        await repo.put(
            [(s, business_durations(s, self._hours.clock_for(s.facts))) for s in changed]
        )
        self._observe(batch, states, done)
        return done

    def _observe(
        self, batch: list[IncomingEvent], states: dict[str, TicketState | None],
        done: Counter[str],
    ) -> None:  # fmt: skip
        for outcome, count in done.items():
            metrics.EVENTS.labels(outcome).inc(count)
        live = [i for i in batch if not i.event.imported]
        if live:
            lag = (self._clock() - live[-1].event.at).total_seconds()
            metrics.FOLLOWER_LAG.set(max(0.0, lag))
        for incoming in live:
            state = states.get(incoming.ticket_id)
            if incoming.event.type == "created" and state and state.alert_to_ticket_s is not None:
                metrics.ALERT_TO_TICKET.observe(state.alert_to_ticket_s)
