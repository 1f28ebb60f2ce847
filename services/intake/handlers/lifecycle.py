"""Move tickets through their lifecycle: transitions, ratings, activity that changes no
state, and closing tickets left unrated (in the background, too)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from services.common.worker import Worker
from services.intake import metrics
from services.intake.adapters.event_log import LoggedEvent
from services.intake.adapters.tickets_repo import TicketRepository
from services.intake.adapters.triage_repo import TriageRepository
from services.intake.domain.activity import record_activity
from services.intake.domain.errors import IllegalTransition, InvalidInput
from services.intake.domain.lifecycle import apply_action, rate
from services.intake.domain.model import Action, Actor, Priority, Role
from services.intake.domain.triage import correction
from services.intake.handlers.base import HandlersBase, TicketView

__all__ = ["LifecycleHandlers"]

log = logging.getLogger(__name__)

_SYSTEM = Actor("system", Role.SYSTEM)


class LifecycleHandlers(HandlersBase):
    """Changes tickets and records the events of each change in the same transaction."""

    async def transition(
        self,
        actor: Actor,
        ticket_id: str,
        action: Action,
        assignee: str = "",
        note: str = "",
        *,
        reason: str = "",
        cost_cents: int = 0,
        only_if_unassigned: bool = False,
        priority: Priority | None = None,
        category: str | None = None,
    ) -> TicketView:
        """Apply one lifecycle action and record its events in the same transaction.

        `only_if_unassigned` makes an assignment fail when the ticket has an assignee: the
        check runs under the ticket's row lock, so it cannot race a dispatcher's choice.
        Accepting a triaged ticket with another category or priority keeps its text and the
        new labels as a training example (`domain/triage.py`, `correction`)."""
        if len(note) > 2000 or len(reason) > 500:
            raise InvalidInput("note is longer than 2000 characters or reason than 500")
        async with self._transaction() as conn:
            repo = TicketRepository(conn)
            ticket = await self._visible(repo, actor, ticket_id, True)
            before = (ticket.category, ticket.priority)
            if action is Action.ASSIGN and only_if_unassigned and ticket.assignee:
                raise IllegalTransition(f"ticket {ticket.number} is assigned to {ticket.assignee}")
            if (
                action is Action.ASSIGN
                and assignee
                and not await repo.technician_exists(assignee, ticket.location.site)
            ):
                raise InvalidInput(
                    f"no technician {assignee[:64]!r} at site {ticket.location.site!r}"
                )
            now = self._clock()
            events = apply_action(
                ticket, actor, action, now, assignee=assignee or None, note=note,
                reason=reason, cost_cents=cost_cents,
                approval_threshold_cents=self._approval_threshold_cents, priority=priority,
                category=category,
            )  # fmt: skip
            await repo.update(ticket)
            await repo.append_events(ticket.id, events)
            example = correction(ticket, before, actor, now)
            if example is not None:
                await TriageRepository(conn).keep(example)
                metrics.TRIAGE.labels("corrected").inc()
            return await self._view(repo, ticket)

    async def rate(self, actor: Actor, ticket_id: str, stars: int, comment: str) -> TicketView:
        if len(comment) > 2000:
            raise InvalidInput("comment is longer than 2000 characters")
        async with self._unit() as repo:
            ticket = await self._visible(repo, actor, ticket_id, True)
            events = rate(ticket, actor, stars, comment.strip(), self._clock())
            await repo.update(ticket)
            await repo.append_events(ticket.id, events)
            return await self._view(repo, ticket)

    async def record_activity(
        self, actor: Actor, ticket_id: str, kind: str, note: str, payload: dict[str, Any]
    ) -> LoggedEvent:
        """Add an event that changes no state (sensor repeat or clear, comment)."""
        async with self._unit() as repo:
            ticket = await self._visible(repo, actor, ticket_id, True)
            event = record_activity(ticket, actor, kind, note, payload, self._clock())
            await repo.update(ticket)
            return await repo.append_event(ticket.id, event)

    async def close_unrated(self, rating_window: timedelta, batch: int = 100) -> int:
        """Close tickets that waited longer than `rating_window` for a rating; returns how many."""
        closed = 0
        async with self._unit() as repo:
            now = self._clock()
            for ticket_id in await repo.expired_awaiting_rating(now - rating_window, batch):
                ticket = await self._visible(repo, _SYSTEM, ticket_id, False)
                events = apply_action(
                    ticket, _SYSTEM, Action.CLOSE, now, note="closed without a rating"
                )
                await repo.update(ticket)
                await repo.append_events(ticket.id, events)
                closed += 1
        if closed:
            log.info("closed %d ticket(s) that were not rated in time", closed)
        return closed

    async def close_unrated_forever(self, rating_window: timedelta, every_s: float) -> None:
        """Close the unrated tickets every `every_s`, batch after batch while there are any."""
        await Worker().run_forever(
            lambda: self.close_unrated(rating_window), every_s, "closing unrated tickets"
        )
