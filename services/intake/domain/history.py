"""Replaying a ticket from history through the same rules as a live one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.intake.domain.creation import NewTicket, created_event, open_ticket
from services.intake.domain.errors import Forbidden, InvalidInput
from services.intake.domain.lifecycle import apply_action, rate
from services.intake.domain.model import Action, Actor, NewEvent, Role, Ticket

__all__ = ["HistoricalStep", "replay"]

_IMPORTERS = frozenset({Role.ADMIN, Role.SYSTEM})


@dataclass(frozen=True, slots=True)
class HistoricalStep:
    """One step of a ticket's past: an action, or a rating when `action` is None."""

    actor: Actor
    at: datetime
    action: Action | None = None
    assignee: str = ""
    note: str = ""
    stars: int = 0


def replay(
    importer: Actor,
    ticket_id: str,
    request: NewTicket,
    requester: Actor,
    created_at: datetime,
    steps: list[HistoricalStep],
) -> tuple[Ticket, list[NewEvent]]:
    """The ticket as its history leaves it, and every event of that history, oldest first.

    Each step must be allowed by the lifecycle rules at its time; steps must not go back
    in time. Only admins and the system import. Every event is marked imported (payload
    `"imported": true`) so that no follower acts on it.
    """
    if importer.role not in _IMPORTERS:
        raise Forbidden(f"a {importer.role.value} may not import tickets")
    ticket = open_ticket(request, requester, ticket_id, created_at)
    events = [created_event(ticket)]
    last = created_at
    for number, step in enumerate(steps, start=1):
        if step.at < last:
            raise InvalidInput(f"ticket {ticket_id}: step {number} goes back in time")
        last = step.at
        if step.action is None:
            events += rate(ticket, step.actor, step.stars, step.note, step.at)
        else:
            events += apply_action(
                ticket,
                step.actor,
                step.action,
                step.at,
                assignee=step.assignee or None,
                note=step.note,
            )
    for event in events:
        event.payload["imported"] = True
    return ticket, events
