"""What the predictor asks of intake: raise a maintenance ticket, read one back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from maintenance.intake.v1 import intake_pb2 as pb

from services.predictor.domain.work_order import WorkOrder

if TYPE_CHECKING:
    from maintenance.intake.v1.intake_pb2_grpc import IntakeServiceAsyncStub

__all__ = ["ACTOR", "GrpcIntake"]

#: Who the predictor is to intake: planners may not raise tickets themselves, so the
#: predictor raises the work order and records who asked for it.
ACTOR = pb.Actor(username="predictor", role=pb.ROLE_SYSTEM, channel=pb.CHANNEL_API)


class GrpcIntake:
    def __init__(self, stub: IntakeServiceAsyncStub, timeout_s: float) -> None:
        self._stub = stub
        self._timeout_s = timeout_s

    async def raise_work_order(self, site: str, order: WorkOrder, key: str,
                               attributes: dict[str, str]) -> pb.Ticket:  # fmt: skip
        """Idempotent per `key`: a retry returns the same ticket."""
        request = pb.CreateTicketRequest(
            actor=ACTOR, kind=pb.TICKET_KIND_MAINTENANCE, category=order.category,
            title=order.title, description=order.description,
            location=pb.Location(site=site, building=order.building, floor=order.floor,
                                 unit=order.unit, asset=order.asset),
            idempotency_key=key, attributes=attributes, component=order.component,
        )  # fmt: skip
        reply = await self._stub.CreateTicket(request, timeout=self._timeout_s)
        return reply.ticket

    async def ticket(self, ticket_id: str) -> pb.Ticket:
        reply = await self._stub.GetTicket(
            pb.GetTicketRequest(actor=ACTOR, ticket_id=ticket_id), timeout=self._timeout_s
        )
        return reply.ticket
