"""Dispatch's calls to the intake service, with intake's gRPC errors as dispatch errors.

Dispatch acts on tickets as the system user "dispatch", except for claims, which it makes
as the technician who claims so that intake's rules and its row lock decide.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import grpc
from maintenance.intake.v1 import intake_pb2 as pb

from services.common.protoenum import code_of, number_of
from services.common.ticket_history import recorded_values
from services.dispatch.domain.errors import (
    Conflict,
    DispatchError,
    Forbidden,
    InvalidInput,
    NotFound,
    Unavailable,
)
from services.dispatch.domain.model import Caller, TicketFacts, TicketSnapshot

if TYPE_CHECKING:
    from maintenance.intake.v1.intake_pb2_grpc import IntakeServiceAsyncStub

__all__ = ["SYSTEM_ACTOR", "IntakeClient", "snapshot_from_pb"]

#: Who dispatch is to intake.
SYSTEM_ACTOR = pb.Actor(username="dispatch", role=pb.ROLE_SYSTEM, channel=pb.CHANNEL_API)

_ERRORS: dict[grpc.StatusCode, type[DispatchError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidInput,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.PERMISSION_DENIED: Forbidden,
    grpc.StatusCode.FAILED_PRECONDITION: Conflict,
    grpc.StatusCode.ALREADY_EXISTS: Conflict,
    grpc.StatusCode.ABORTED: Conflict,
}


def _error(exc: grpc.aio.AioRpcError) -> DispatchError:
    kind = _ERRORS.get(exc.code(), Unavailable)
    return kind(f"intake: {exc.details() or exc.code().name}")


def snapshot_from_pb(t: pb.Ticket) -> TicketSnapshot:
    loc = t.location
    facts = TicketFacts(
        kind=code_of(pb.TicketKind, "TICKET_KIND_", t.kind),
        category=t.category,
        priority=code_of(pb.Priority, "PRIORITY_", t.priority, upper=True),
        source=t.source,
        site=loc.site,
        building=loc.building,
        floor=loc.floor,
    )
    status = code_of(pb.TicketStatus, "TICKET_STATUS_", t.status)
    return TicketSnapshot(t.id, t.number, t.title, status, t.assignee, facts)


class IntakeClient:
    def __init__(self, stub: IntakeServiceAsyncStub, timeout_s: float = 5.0) -> None:
        self._stub = stub
        self._timeout_s = timeout_s

    async def ticket(self, ticket_id: str) -> TicketSnapshot | None:
        """The ticket as it is now, or None when intake knows no such ticket."""
        try:
            reply = await self._stub.GetTicket(
                pb.GetTicketRequest(actor=SYSTEM_ACTOR, ticket_id=ticket_id),
                timeout=self._timeout_s,
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() is grpc.StatusCode.NOT_FOUND:
                return None
            raise _error(exc) from None
        return snapshot_from_pb(reply.ticket)

    async def _transition(self, request: pb.TransitionTicketRequest) -> TicketSnapshot:
        try:
            reply = await self._stub.TransitionTicket(request, timeout=self._timeout_s)
        except grpc.aio.AioRpcError as exc:
            raise _error(exc) from None
        return snapshot_from_pb(reply.ticket)

    async def assign(self, ticket_id: str, assignee: str, note: str) -> TicketSnapshot:
        """Assign the ticket unless someone has it already (then Conflict)."""
        return await self._transition(
            pb.TransitionTicketRequest(
                actor=SYSTEM_ACTOR, ticket_id=ticket_id, action=pb.ACTION_ASSIGN,
                assignee=assignee, note=note[:2000], only_if_unassigned=True,
            )
        )  # fmt: skip

    async def claim(self, ticket_id: str, caller: Caller) -> TicketSnapshot:
        """The technician takes the ticket; Conflict when someone has it already."""
        actor = pb.Actor(
            username=caller.username,
            role=number_of(pb.Role, "ROLE_", caller.role),  # type: ignore[arg-type]
            site=caller.site,
            channel=pb.CHANNEL_APP,
        )
        return await self._transition(
            pb.TransitionTicketRequest(actor=actor, ticket_id=ticket_id, action=pb.ACTION_CLAIM)
        )

    async def record_activity(
        self, ticket_id: str, kind: str, note: str, payload: dict[str, Any]
    ) -> None:
        try:
            await self._stub.RecordActivity(
                pb.RecordActivityRequest(
                    actor=SYSTEM_ACTOR, ticket_id=ticket_id, type=kind, note=note[:2000],
                    payload_json=json.dumps(payload, ensure_ascii=False),
                ),
                timeout=self._timeout_s,
            )  # fmt: skip
        except grpc.aio.AioRpcError as exc:
            raise _error(exc) from None

    async def has_activity(self, ticket_id: str, kind: str, key: str) -> bool:
        """Whether the ticket already has a `kind` event carrying `dispatch_key` = `key`."""
        try:
            keys = await recorded_values(
                self._stub, SYSTEM_ACTOR, ticket_id, "dispatch_key",
                types=lambda t: t == kind, timeout_s=self._timeout_s,
            )  # fmt: skip
        except grpc.aio.AioRpcError as exc:
            raise _error(exc) from None
        return key in keys
