"""What every authenticated route needs, resolved once per request: who calls, the intake
stub, and the options (timeout, request id) for each gRPC call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, TypedDict

from fastapi import Depends, Request
from maintenance.intake.v1 import intake_pb2 as pb

from services.common.logs import request_id_var
from services.common.protoenum import number_of
from services.gateway.entrypoint.security import Principal, bearer_token

if TYPE_CHECKING:
    from maintenance.intake.v1.intake_pb2_grpc import IntakeServiceAsyncStub

__all__ = ["Call", "CallOptions", "Caller", "Intake"]


class CallOptions(TypedDict):
    """Keyword arguments for every gRPC call: timeout and the request id."""

    timeout: float
    metadata: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Call:
    """An authenticated request's context."""

    user: Principal
    intake: IntakeServiceAsyncStub
    opts: CallOptions

    def actor(self, channel: str = "web") -> pb.Actor:
        """The caller as intake's Actor."""
        return pb.Actor(
            username=self.user.username,
            role=number_of(pb.Role, "ROLE_", self.user.role),  # type: ignore[arg-type]
            site=self.user.site,
            channel=number_of(pb.Channel, "CHANNEL_", channel),  # type: ignore[arg-type]
        )


def _options(request: Request) -> CallOptions:
    return CallOptions(
        timeout=request.app.state.rpc_timeout_s,
        metadata=(("x-request-id", request_id_var.get()),),
    )


async def _caller(request: Request, token: Annotated[str | None, Depends(bearer_token)]) -> Call:
    user = request.app.state.tokens.check(token)
    return Call(user, request.app.state.intake.stub, _options(request))


async def _intake(request: Request) -> IntakeServiceAsyncStub:
    return request.app.state.intake.stub  # type: ignore[no-any-return]


#: An authenticated call (401 without a valid bearer token).
Caller = Annotated[Call, Depends(_caller)]
#: The intake stub alone, for routes that need no sign-in.
Intake = Annotated["IntakeServiceAsyncStub", Depends(_intake)]
