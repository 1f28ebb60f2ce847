"""Intake's TicketEvent, as the SLA tracker takes it."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from maintenance.intake.v1 import intake_pb2 as pb

from services.common.event_follower import event_payload
from services.common.protoenum import code_of
from services.sla.domain.state import EventFact
from services.sla.handlers.tracking import IncomingEvent

__all__ = ["incoming_from_pb"]

_HINTS = ("kind", "category", "priority", "site")


def _text(payload: dict[str, Any], key: str) -> str:
    value = payload.get(key)
    return value if isinstance(value, str) else ""


def incoming_from_pb(event: pb.TicketEvent) -> IncomingEvent:
    """The event's SLA-relevant parts; a malformed payload counts as empty."""
    payload = event_payload(event)
    fact = EventFact(
        id=event.id,
        type=event.type,
        occurred_at=event.occurred_at.ToDatetime(tzinfo=UTC),
        from_status=code_of(pb.TicketStatus, "TICKET_STATUS_", event.from_status),
        to_status=code_of(pb.TicketStatus, "TICKET_STATUS_", event.to_status),
        reason=_text(payload, "reason")[:64],
        assignee=_text(payload, "assignee")[:64],
        by_system=event.actor_role == pb.ROLE_SYSTEM,
    )
    hints = {key: _text(payload, key) for key in _HINTS if _text(payload, key)}
    return IncomingEvent(event.ticket_id, fact, hints)
