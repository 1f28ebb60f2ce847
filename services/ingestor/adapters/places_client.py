"""Asks intake, which owns the place tree, whether a device's place exists."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from maintenance.intake.v1 import places_pb2 as pb

from services.ingestor.domain.model import Device

if TYPE_CHECKING:
    from maintenance.intake.v1.places_pb2_grpc import PlaceServiceAsyncStub

__all__ = ["PlaceChecker", "Placed"]


class Placed(NamedTuple):
    """Where a ticket can go: the nearest building and floor that exist (empty when even
    they are gone), and what was missing ("" when nothing was)."""

    building: str
    floor: str
    problem: str


class PlaceChecker:
    """`problem(device)` names the first level of the device's place that intake does not
    know ("no building 'Z' at site 'demo'"), or is None when the place exists. A failing
    call raises grpc.aio.AioRpcError (the registration then fails, saying so)."""

    def __init__(self, stub: PlaceServiceAsyncStub, timeout_s: float = 5.0) -> None:
        self._stub = stub
        self._timeout_s = timeout_s

    async def problem(self, device: Device) -> str | None:
        reply = await self._stub.CheckPlace(
            pb.CheckPlaceRequest(place=pb.PlaceKey(
                site=device.site, building=device.building, floor=device.floor, unit=device.unit),
                asset=device.asset),
            timeout=self._timeout_s,
            wait_for_ready=True,
        )  # fmt: skip
        return None if reply.exists else reply.problem

    async def nearest(self, site: str, building: str, floor: str) -> Placed:
        """The nearest place that exists at or above `site/building/floor`."""
        reply = await self._stub.CheckPlace(
            pb.CheckPlaceRequest(place=pb.PlaceKey(site=site, building=building, floor=floor)),
            timeout=self._timeout_s,
            wait_for_ready=True,
        )
        if reply.exists:
            return Placed(building, floor, "")
        missing = reply.missing
        if missing.floor:
            return Placed(building, "", reply.problem)
        return Placed("", "", reply.problem)
