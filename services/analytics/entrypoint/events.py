"""Intake's TicketEvent, as the follower takes it."""

from __future__ import annotations

from datetime import UTC

from maintenance.intake.v1 import intake_pb2 as pb

from services.analytics.domain.ticket import Event
from services.analytics.handlers.follow import IncomingEvent
from services.common.event_follower import event_payload
from services.common.protoenum import code_of

__all__ = ["incoming_from_pb"]


def incoming_from_pb(event: pb.TicketEvent) -> IncomingEvent:
    """The event as analytics counts it; a malformed payload counts as empty."""
    return IncomingEvent(
        event.ticket_id,
        Event(
            id=event.id,
            type=event.type,
            at=event.occurred_at.ToDatetime(tzinfo=UTC),
            to_status=code_of(pb.TicketStatus, "TICKET_STATUS_", event.to_status),
            by_system=event.actor_role == pb.ROLE_SYSTEM,
            imported=event.imported,
            payload=event_payload(event),
        ),
    )
