"""Ticket facts from intake over gRPC (`GetTicket`, as the system user "notification")."""

from __future__ import annotations

from typing import TYPE_CHECKING

import grpc
from maintenance.intake.v1 import intake_pb2 as pb

from services.notification.domain.model import TicketFacts

if TYPE_CHECKING:
    from maintenance.intake.v1.intake_pb2_grpc import IntakeServiceAsyncStub

__all__ = ["ACTOR", "IntakeTickets", "ticket_facts"]

#: Who the notification service is to intake.
ACTOR = pb.Actor(username="notification", role=pb.ROLE_SYSTEM, channel=pb.CHANNEL_API)


def ticket_facts(ticket: pb.Ticket) -> TicketFacts:
    return TicketFacts(
        id=ticket.id,
        number=ticket.number,
        title=ticket.title,
        requester=ticket.requester,
        source=ticket.source,
        assignee=ticket.assignee,
        site=ticket.location.site,
    )


class IntakeTickets:
    """Looks tickets up in intake."""

    def __init__(self, intake: IntakeServiceAsyncStub, timeout_s: float = 10.0) -> None:
        self._intake = intake
        self._timeout_s = timeout_s

    async def get(self, ticket_id: str) -> TicketFacts | None:
        """The ticket, or None when intake has no such ticket; other failures raise
        `grpc.aio.AioRpcError` (the event is then retried)."""
        try:
            reply = await self._intake.GetTicket(
                pb.GetTicketRequest(actor=ACTOR, ticket_id=ticket_id), timeout=self._timeout_s
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                return None
            raise
        return ticket_facts(reply.ticket)
