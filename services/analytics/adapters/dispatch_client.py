"""Which team each technician is in, as dispatch says today (kept for a while)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Protocol

import grpc
from maintenance.dispatch.v1 import dispatch_pb2 as pb

from services.analytics.domain.errors import Unavailable

if TYPE_CHECKING:
    from maintenance.dispatch.v1.dispatch_pb2_grpc import DispatchServiceAsyncStub

__all__ = ["GrpcTeams", "TeamsPort"]


class TeamsPort(Protocol):
    """What analytics asks of dispatch; `services/analytics/testing.FakeTeams` is its double."""

    async def teams(self, site: str) -> dict[str, str]:
        """Technician username -> team code at `site`; Unavailable when dispatch is away."""


class GrpcTeams:
    """TeamsPort over dispatch's gRPC API, each site's answer kept for `ttl_s`."""

    def __init__(
        self, stub: DispatchServiceAsyncStub, timeout_s: float = 5.0, ttl_s: float = 60.0
    ) -> None:
        self._stub = stub
        self._timeout_s = timeout_s
        self._ttl_s = ttl_s
        self._known: dict[str, tuple[float, dict[str, str]]] = {}

    async def teams(self, site: str) -> dict[str, str]:
        known = self._known.get(site)
        if known is not None and known[0] > time.monotonic():
            return known[1]
        try:
            reply = await self._stub.ListTechnicians(
                pb.ListTechniciansRequest(site=site), timeout=self._timeout_s
            )
        except grpc.aio.AioRpcError as exc:
            raise Unavailable(
                f"dispatch does not say who is in which team ({exc.code().name})"
            ) from exc
        found = {t.username: t.team for t in reply.technicians}
        self._known[site] = (time.monotonic() + self._ttl_s, found)
        return found
