"""What every authenticated route needs, resolved once per request: who calls, the service
stubs, and the options (timeout, request id) for each gRPC call."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, TypedDict

from fastapi import Depends, HTTPException, Request
from maintenance.intake.v1 import intake_pb2 as pb

from services.common.logs import request_id_var
from services.common.protoenum import number_of
from services.gateway.entrypoint.security import Principal, bearer_token

if TYPE_CHECKING:
    from maintenance.analytics.v1.analytics_pb2_grpc import AnalyticsServiceAsyncStub
    from maintenance.dispatch.v1.dispatch_pb2_grpc import DispatchServiceAsyncStub
    from maintenance.follower.v1.follower_pb2_grpc import FollowerServiceAsyncStub
    from maintenance.ingestor.v1.ingestor_pb2_grpc import DeviceServiceAsyncStub
    from maintenance.intake.v1.assets_pb2_grpc import AssetServiceAsyncStub
    from maintenance.intake.v1.audit_pb2_grpc import AuditServiceAsyncStub
    from maintenance.intake.v1.intake_pb2_grpc import IntakeServiceAsyncStub
    from maintenance.intake.v1.knowledge_pb2_grpc import KnowledgeServiceAsyncStub
    from maintenance.intake.v1.places_pb2_grpc import PlaceServiceAsyncStub
    from maintenance.intake.v1.users_pb2_grpc import UserServiceAsyncStub
    from maintenance.notification.v1.notification_pb2_grpc import NotificationServiceAsyncStub
    from maintenance.predictor.v1.predictor_pb2_grpc import PredictorServiceAsyncStub
    from maintenance.sla.v1.sla_pb2_grpc import SlaServiceAsyncStub

__all__ = ["Call", "CallOptions", "Caller", "Intake", "actor_of"]


class CallOptions(TypedDict):
    """Keyword arguments for every gRPC call: timeout and the request id."""

    timeout: float
    metadata: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Call:
    """An authenticated request's context."""

    user: Principal
    intake: IntakeServiceAsyncStub
    devices: DeviceServiceAsyncStub
    notifications: NotificationServiceAsyncStub
    sla: SlaServiceAsyncStub
    dispatch: DispatchServiceAsyncStub
    places: PlaceServiceAsyncStub
    assets: AssetServiceAsyncStub
    users: UserServiceAsyncStub
    analytics: AnalyticsServiceAsyncStub
    predictor: PredictorServiceAsyncStub
    followers: Mapping[str, FollowerServiceAsyncStub]
    knowledge: KnowledgeServiceAsyncStub
    audit: AuditServiceAsyncStub
    opts: CallOptions

    def require(self, *roles: str) -> None:
        """403 unless the caller has one of `roles`."""
        if self.user.role not in roles:
            raise HTTPException(403, f"a {self.user.role} may not do this")

    def site(self, asked: str | None = None) -> str:
        """The one site the call is about: the caller's own (or what an admin names); 403
        for another site or an account of no site, 422 for an admin who names none."""
        if self.user.role == "admin":
            if not (asked or self.user.site):
                raise HTTPException(422, "name the site: ?site=...")
            return asked or self.user.site
        return self.site_filter(asked)

    def site_for(self, asked: str | None, *roles: str) -> str:
        """`site(asked)` for a caller with one of `roles` (403 for other roles)."""
        self.require(*roles)
        return self.site(asked)

    def site_filter(self, asked: str | None = None) -> str:
        """The sites a listing may show: an admin's choice ('' for every site); anyone
        else's own site only (403 for another, and for an account of no site)."""
        if self.user.role == "admin":
            return asked or ""
        if not self.user.site:
            raise HTTPException(403, f"this {self.user.role}'s account belongs to no site")
        if asked and asked != self.user.site:
            raise HTTPException(403, f"you may act only on site {self.user.site!r}")
        return self.user.site

    def may_see(self, site: str) -> bool:
        """Whether the caller may see things at `site` (admins see every site)."""
        return self.user.role == "admin" or (bool(self.user.site) and site == self.user.site)

    def actor(self, channel: str = "web") -> pb.Actor:
        """The caller as intake's Actor."""
        return actor_of(self.user, channel)


def actor_of(user: Principal, channel: str = "web") -> pb.Actor:
    """An authenticated user as intake's Actor."""
    return pb.Actor(
        username=user.username,
        role=number_of(pb.Role, "ROLE_", user.role),  # type: ignore[arg-type]
        site=user.site,
        unit=user.unit,
        channel=number_of(pb.Channel, "CHANNEL_", channel),  # type: ignore[arg-type]
    )


def _options(request: Request) -> CallOptions:
    return CallOptions(
        timeout=request.app.state.rpc_timeout_s,
        metadata=(("x-request-id", request_id_var.get()),),
    )


async def _caller(request: Request, token: Annotated[str | None, Depends(bearer_token)]) -> Call:
    user = request.app.state.tokens.check(token)
    request.state.principal = user  # for the audit log (entrypoint/audit.py)
    backends = request.app.state.backends
    return Call(
        user,
        backends.intake,
        backends.devices,
        backends.notifications,
        backends.sla,
        backends.dispatch,
        backends.places,
        backends.assets,
        backends.users,
        backends.analytics,
        backends.predictor,
        backends.followers,
        backends.knowledge,
        backends.audit,
        _options(request),
    )


async def _intake(request: Request) -> IntakeServiceAsyncStub:
    return request.app.state.backends.intake  # type: ignore[no-any-return]


#: An authenticated call (401 without a valid bearer token).
Caller = Annotated[Call, Depends(_caller)]
#: The intake stub alone, for routes that need no sign-in.
Intake = Annotated["IntakeServiceAsyncStub", Depends(_intake)]
