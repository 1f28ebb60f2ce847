"""Keep each ticket's facts in step with intake's event log.

Each event is applied to the ticket's stored state (`domain.ticket.apply_event`) inside the
transaction that moves the cursor; writing the row moves the summaries too (the trigger on
`analytics.tickets`). Intake is asked for a new ticket's facts, and for a corrected
import's, before anything is written, so no open writing transaction waits on it (one
would hold back every reader of the event log). Imported history is counted like the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

from services.analytics import metrics
from services.analytics.adapters.intake_client import IntakePort
from services.analytics.adapters.tickets_repo import TicketRepository
from services.analytics.domain.ticket import Event, apply_event, corrected_history, open_ticket
from services.analytics.handlers.sites import SiteZones

__all__ = ["Follower", "IncomingEvent"]

log = logging.getLogger(__name__)

_NEEDS_FACTS = frozenset({"created", "import_corrected"})


@dataclass(frozen=True, slots=True)
class IncomingEvent:
    ticket_id: str
    event: Event


class Follower:
    """Applies intake's ticket events to the per-ticket facts."""

    def __init__(self, intake: IntakePort, sites: SiteZones, clock: Callable[[], datetime]) -> None:
        self._intake = intake
        self._sites = sites
        self._clock = clock

    async def handle(self, conn: AsyncConnection[Any], incoming: IncomingEvent) -> str:
        """Apply one event in the caller's transaction; returns what was done."""
        outcome = await self._handle(conn, incoming)
        metrics.EVENTS.labels(outcome).inc()
        event = incoming.event
        if not event.imported:
            metrics.FOLLOWER_LAG.set(max(0.0, (self._clock() - event.at).total_seconds()))
        return outcome

    async def _handle(self, conn: AsyncConnection[Any], incoming: IncomingEvent) -> str:
        ticket_id, event = incoming.ticket_id, incoming.event
        fetched = None
        if event.type in _NEEDS_FACTS:
            fetched = await self._intake.ticket_facts(ticket_id)
            if fetched is None:
                log.warning("ticket %s is unknown to intake; event %d skipped", ticket_id, event.id)
                return "unknown"
            await self._sites.ensure(conn, fetched[0].site)
        repo = TicketRepository(conn)
        before = await repo.get(ticket_id, lock=True)
        if before is None:
            if fetched is None or event.type != "created":
                return "unknown"
            ticket = open_ticket(ticket_id, fetched[0], event)
            await repo.insert(ticket)
            if ticket.alert_to_ticket_s is not None and not event.imported:
                metrics.ALERT_TO_TICKET.observe(ticket.alert_to_ticket_s)
            return "created"
        after = apply_event(before, event)
        if fetched is not None and event.type == "import_corrected":
            facts, technician = fetched
            after = corrected_history(ticket_id, facts, technician, event) or after
        if after == before:
            return "unchanged"
        await repo.update(after)
        return "applied"
