"""Dependencies the routers share: the intake stub, the caller as a gRPC actor, call metadata."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, TypedDict

from fastapi import Depends, Request
from maintenance.intake.v1 import intake_pb2 as pb

from services.common.logs import request_id_var
from services.common.protoenum import number_of
from services.gateway.entrypoint.security import Principal

if TYPE_CHECKING:
    from maintenance.intake.v1.intake_pb2_grpc import IntakeServiceAsyncStub

__all__ = ["CallOptions", "Intake", "actor_of", "call_options"]


def _intake(request: Request) -> IntakeServiceAsyncStub:
    return request.app.state.intake.stub  # type: ignore[no-any-return]


Intake = Annotated["IntakeServiceAsyncStub", Depends(_intake)]


def actor_of(user: Principal, channel: str = "web") -> pb.Actor:
    """The authenticated user as intake's Actor."""
    return pb.Actor(
        username=user.username,
        role=number_of(pb.Role, "ROLE_", user.role),  # type: ignore[arg-type]
        site=user.site,
        channel=number_of(pb.Channel, "CHANNEL_", channel),  # type: ignore[arg-type]
    )


class CallOptions(TypedDict):
    """Keyword arguments for every gRPC call: timeout and the request id."""

    timeout: float
    metadata: tuple[tuple[str, str], ...]


def _call_options(request: Request) -> CallOptions:
    return CallOptions(
        timeout=request.app.state.rpc_timeout_s,
        metadata=(("x-request-id", request_id_var.get()),),
    )


call_options = Depends(_call_options)
