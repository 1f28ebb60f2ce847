"""Asks intake, which owns the place tree and the assets, whether a device's place exists
and where an asset is."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import grpc
from maintenance.intake.v1 import assets_pb2, intake_pb2
from maintenance.intake.v1 import places_pb2 as pb

from services.ingestor.domain.model import Device

if TYPE_CHECKING:
    from maintenance.intake.v1.assets_pb2_grpc import AssetServiceAsyncStub
    from maintenance.intake.v1.places_pb2_grpc import PlaceServiceAsyncStub

__all__ = ["AssetSites", "PlaceChecker", "Placed"]

_LEVELS = ("site", "building", "floor", "unit")
_ACTOR = intake_pb2.Actor(username="ingestor", role=intake_pb2.ROLE_SYSTEM,
                          channel=intake_pb2.CHANNEL_API)  # fmt: skip


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

    async def check(self, device: Device) -> tuple[str, str] | None:
        """None when the device's place (and asset) exist; otherwise what is missing, as the
        level ("site", "building", "floor", "unit" or "asset_id") and in words. A channel to
        intake that is still (re)connecting is waited for, within the timeout: a device
        registered just after a start is not refused for that."""
        reply = await self._stub.CheckPlace(
            pb.CheckPlaceRequest(place=pb.PlaceKey(
                site=device.site, building=device.building, floor=device.floor, unit=device.unit),
                asset=device.asset),
            timeout=self._timeout_s, wait_for_ready=True,
        )  # fmt: skip
        if reply.exists:
            return None
        missing = [level for level in _LEVELS if getattr(reply.missing, level)]
        return (missing[-1] if missing else "asset_id"), reply.problem

    async def problem(self, device: Device) -> str | None:
        found = await self.check(device)
        return None if found is None else found[1]

    async def nearest(self, site: str, building: str, floor: str) -> Placed:
        """The nearest place that exists at or above `site/building/floor`."""
        reply = await self._stub.CheckPlace(
            pb.CheckPlaceRequest(place=pb.PlaceKey(site=site, building=building, floor=floor)),
            timeout=self._timeout_s,
        )
        if reply.exists:
            return Placed(building, floor, "")
        missing = reply.missing
        if missing.floor:
            return Placed(building, "", reply.problem)
        return Placed("", "", reply.problem)


class AssetSites:
    """`site_of(asset_id)`: the site of an asset intake knows, or None (a channel still
    connecting is waited for, within the timeout)."""

    def __init__(self, stub: AssetServiceAsyncStub, timeout_s: float = 5.0) -> None:
        self._stub = stub
        self._timeout_s = timeout_s

    async def site_of(self, asset_id: str) -> str | None:
        try:
            reply = await self._stub.GetAsset(
                assets_pb2.GetAssetRequest(actor=_ACTOR, asset_id=asset_id),
                timeout=self._timeout_s, wait_for_ready=True,
            )  # fmt: skip
        except grpc.aio.AioRpcError as exc:
            if exc.code() is grpc.StatusCode.NOT_FOUND:
                return None
            raise
        return reply.asset.site
