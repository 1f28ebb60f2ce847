"""The gRPC services behind the gateway: one channel each, with their health."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Literal, get_args

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from maintenance.analytics.v1 import analytics_pb2_grpc
from maintenance.dispatch.v1 import dispatch_pb2_grpc
from maintenance.follower.v1 import follower_pb2_grpc
from maintenance.ingestor.v1 import ingestor_pb2_grpc
from maintenance.intake.v1 import (
    assets_pb2_grpc,
    audit_pb2_grpc,
    intake_pb2_grpc,
    knowledge_pb2_grpc,
    places_pb2_grpc,
    users_pb2_grpc,
)
from maintenance.notification.v1 import notification_pb2_grpc
from maintenance.predictor.v1 import predictor_pb2_grpc
from maintenance.sla.v1 import sla_pb2_grpc

from services.common.grpc_tls import GrpcTls, aio_channel

__all__ = ["FOLLOWERS", "Backend", "Backends", "Follower"]

#: The services that follow intake's event log, each with a FollowerService.
Follower = Literal["dispatch", "sla", "notification", "analytics", "ingestor"]
FOLLOWERS: tuple[Follower, ...] = get_args(Follower)


class Backend:
    """One channel to one service and its `grpc.health.v1` status."""

    def __init__(self, name: str, target: str, max_message_bytes: int, tls: GrpcTls | None) -> None:
        self.name = name
        self.channel = aio_channel(
            target,
            tls,
            [
                ("grpc.max_receive_message_length", max_message_bytes),
                ("grpc.max_send_message_length", max_message_bytes),
            ],
        )
        self._health = health_pb2_grpc.HealthStub(self.channel)

    async def ready(self, timeout_s: float = 1.0) -> bool:
        """True when the service answers its health check with SERVING."""
        try:
            reply = await self._health.Check(health_pb2.HealthCheckRequest(), timeout=timeout_s)
        except grpc.aio.AioRpcError:
            return False
        return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


class Backends:
    """Stubs for every service the gateway calls."""

    def __init__(
        self, targets: Mapping[str, str], max_message_bytes: int, tls: GrpcTls | None
    ) -> None:
        channels = {
            name: Backend(name, target, max_message_bytes, tls) for name, target in targets.items()
        }
        self._all = list(channels.values())
        self.intake = intake_pb2_grpc.IntakeServiceStub(channels["intake"].channel)
        self.places = places_pb2_grpc.PlaceServiceStub(channels["intake"].channel)
        self.assets = assets_pb2_grpc.AssetServiceStub(channels["intake"].channel)
        self.users = users_pb2_grpc.UserServiceStub(channels["intake"].channel)
        self.audit = audit_pb2_grpc.AuditServiceStub(channels["intake"].channel)
        self.knowledge = knowledge_pb2_grpc.KnowledgeServiceStub(channels["intake"].channel)
        self.devices = ingestor_pb2_grpc.DeviceServiceStub(channels["ingestor"].channel)
        self.notifications = notification_pb2_grpc.NotificationServiceStub(
            channels["notification"].channel
        )
        self.sla = sla_pb2_grpc.SlaServiceStub(channels["sla"].channel)
        self.dispatch = dispatch_pb2_grpc.DispatchServiceStub(channels["dispatch"].channel)
        self.analytics = analytics_pb2_grpc.AnalyticsServiceStub(channels["analytics"].channel)
        self.predictor = predictor_pb2_grpc.PredictorServiceStub(channels["predictor"].channel)
        self.followers = {
            name: follower_pb2_grpc.FollowerServiceStub(channels[name].channel)
            for name in FOLLOWERS
        }

    async def not_ready(self) -> list[str]:
        """Names of the services that are not serving right now."""
        states = await asyncio.gather(*(b.ready() for b in self._all))
        return [b.name for b, ok in zip(self._all, states, strict=True) if not ok]

    async def close(self) -> None:
        await asyncio.gather(*(b.channel.close(grace=None) for b in self._all))
