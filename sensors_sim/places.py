"""The park's places and assets, imported into intake before its history.

The demo site's places and assets are seeded by intake itself; the park's are made here,
through intake's `ImportPlaces` and `ImportAssets` (all or nothing, idempotent: a rerun
finds them unchanged).
"""

from __future__ import annotations

from collections.abc import Sequence

import grpc
from maintenance.intake.v1 import assets_pb2, assets_pb2_grpc, places_pb2, places_pb2_grpc
from maintenance.intake.v1 import intake_pb2 as pb

from sensors_sim.fleet import Device, Location
from sensors_sim.park import ASSET_TYPES
from sensors_sim.wear import WearPlanner

__all__ = ["import_park"]

_ACTOR = pb.Actor(username="sensors_sim", role=pb.ROLE_SYSTEM)
_TIMEOUT_S = 120.0


def _asset(device: Device, planner: WearPlanner) -> assets_pb2.Asset:
    loc = device.location
    kind, en, zh = ASSET_TYPES[device.kind]
    code = loc.asset.split("-", 1)[1]
    return assets_pb2.Asset(
        asset_id=loc.asset, type=kind, site=loc.site, building=loc.building, floor=loc.floor,
        name=f"{en} {code} / {loc.building}栋{loc.floor}层{zh}",
        installed_on=planner.installed(device).date().isoformat(),
        criticality=4 if device.kind == "elevator" else 3,
    )  # fmt: skip


def import_park(
    channel: grpc.Channel,
    places: Sequence[Location],
    fleet: Sequence[Device],
    planner: WearPlanner,
    timezone: str = "Asia/Shanghai",
) -> tuple[int, int]:
    """Import `places` (floors and units) and the fleet's assets; returns how many of each
    were new. Raises ValueError with intake's reasons when it refuses a row."""
    rows = [
        places_pb2.PlaceRow(line=n, site=p.site, building=p.building, floor=p.floor,
                            unit=p.unit, timezone=timezone)
        for n, p in enumerate(places, start=1)
    ]  # fmt: skip
    placed = places_pb2_grpc.PlaceServiceStub(channel).ImportPlaces(
        places_pb2.ImportPlacesRequest(actor=_ACTOR, rows=rows),
        timeout=_TIMEOUT_S,
        wait_for_ready=True,
    )
    assets = [
        assets_pb2.AssetRow(line=n, asset=_asset(d, planner)) for n, d in enumerate(fleet, start=1)
    ]
    made = assets_pb2_grpc.AssetServiceStub(channel).ImportAssets(
        assets_pb2.ImportAssetsRequest(actor=_ACTOR, rows=assets),
        timeout=_TIMEOUT_S,
        wait_for_ready=True,
    )
    problems = [*placed.problems, *made.problems]
    if problems:
        raise ValueError("; ".join(f"line {p.line} {p.column}: {p.reason}" for p in problems[:5]))
    return placed.inserted, made.inserted
