"""What the SLA service asks of intake, behind a small port with a gRPC implementation.

`services/sla/testing.FakeIntake` is the test double of the same port.
"""

from __future__ import annotations

import json
from datetime import UTC
from typing import TYPE_CHECKING, Any, Protocol

import grpc
from maintenance.intake.v1 import intake_pb2 as pb

from services.common.protoenum import code_of
from services.common.ticket_history import recorded_values
from services.sla.domain.state import TicketFacts

if TYPE_CHECKING:
    from maintenance.intake.v1.intake_pb2_grpc import IntakeServiceAsyncStub

__all__ = ["ACTOR", "DeliveryFailed", "GrpcIntake", "IntakePort"]

#: Who the SLA service is to intake.
ACTOR = pb.Actor(username="sla", role=pb.ROLE_SYSTEM, channel=pb.CHANNEL_API)

#: Codes that no retry will change: the ticket is gone.
_PERMANENT = frozenset({grpc.StatusCode.NOT_FOUND})


class DeliveryFailed(Exception):
    """Intake did not take a call; `permanent` says whether retrying can help."""

    def __init__(self, code: str, detail: str, permanent: bool) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.permanent = permanent


class IntakePort(Protocol):
    async def ticket_facts(self, ticket_id: str) -> TicketFacts | None:
        """What policies match on, or None when intake has no such ticket."""

    async def record(self, ticket_id: str, kind: str, note: str, payload: dict[str, Any]) -> None:
        """Record an activity event on the ticket; raises DeliveryFailed."""

    async def recorded_timers(self, ticket_id: str) -> set[int]:
        """Ids of the SLA timers already recorded on the ticket (the `timer_id` of its
        sla_* events); raises DeliveryFailed."""


def _failed(exc: grpc.aio.AioRpcError) -> DeliveryFailed:
    return DeliveryFailed(exc.code().name, exc.details() or "", exc.code() in _PERMANENT)


class GrpcIntake:
    """IntakePort over intake's gRPC API, as ROLE_SYSTEM."""

    def __init__(self, stub: IntakeServiceAsyncStub, timeout_s: float = 10.0) -> None:
        self._stub = stub
        self._timeout_s = timeout_s

    async def ticket_facts(self, ticket_id: str) -> TicketFacts | None:
        try:
            reply = await self._stub.GetTicket(
                pb.GetTicketRequest(actor=ACTOR, ticket_id=ticket_id), timeout=self._timeout_s
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise _failed(exc) from exc
        t = reply.ticket
        return TicketFacts(
            ticket_id=t.id,
            kind=code_of(pb.TicketKind, "TICKET_KIND_", t.kind),
            category=t.category,
            priority=code_of(pb.Priority, "PRIORITY_", t.priority, upper=True),
            site=t.location.site,
            created_at=t.created_at.ToDatetime(tzinfo=UTC),
        )

    async def record(self, ticket_id: str, kind: str, note: str, payload: dict[str, Any]) -> None:
        request = pb.RecordActivityRequest(
            actor=ACTOR, ticket_id=ticket_id, type=kind, note=note, payload_json=json.dumps(payload)
        )
        try:
            await self._stub.RecordActivity(request, timeout=self._timeout_s)
        except grpc.aio.AioRpcError as exc:
            raise _failed(exc) from exc

    async def recorded_timers(self, ticket_id: str) -> set[int]:
        try:
            ids = await recorded_values(
                self._stub, ACTOR, ticket_id, "timer_id",
                types=lambda t: t.startswith("sla_"), timeout_s=self._timeout_s,
            )  # fmt: skip
        except grpc.aio.AioRpcError as exc:
            raise _failed(exc) from exc
        return {i for i in ids if isinstance(i, int)}
