"""The intake service's gRPC client as the gateway uses it."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from maintenance.intake.v1 import intake_pb2_grpc as pb_grpc

__all__ = ["IntakeClient"]


class IntakeClient:
    """Owns one channel to intake; `stub` makes the calls, `ready` asks its health service."""

    def __init__(self, target: str, max_message_bytes: int = 16 * 1024 * 1024) -> None:
        self._channel = grpc.aio.insecure_channel(
            target,
            options=[
                ("grpc.max_receive_message_length", max_message_bytes),
                ("grpc.max_send_message_length", max_message_bytes),
            ],
        )
        self.stub = pb_grpc.IntakeServiceStub(self._channel)
        self._health = health_pb2_grpc.HealthStub(self._channel)

    async def ready(self, timeout_s: float = 1.0) -> bool:
        """True when intake answers its health check with SERVING."""
        try:
            reply = await self._health.Check(health_pb2.HealthCheckRequest(), timeout=timeout_s)
        except grpc.aio.AioRpcError:
            return False
        return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)

    async def close(self) -> None:
        await self._channel.close(grace=None)
