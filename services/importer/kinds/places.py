"""Places files: a unit per line, or a floor when the unit is empty."""

from __future__ import annotations

from collections.abc import Sequence

from maintenance.intake.v1 import places_pb2, places_pb2_grpc

from services.importer.kinds.base import (
    ACTOR,
    Context,
    Kind,
    Outcome,
    Progress,
    Targets,
    send_at_once,
)
from services.importer.reader import Row

__all__ = ["PLACES", "place_row"]

SITE = ("site", "园区", "项目", "小区")
BUILDING = ("building", "楼栋", "楼号", "建筑")
FLOOR = ("floor", "楼层", "层")
UNIT = ("unit", "房号", "单元", "房间")


def place_row(row: Row, context: Context) -> places_pb2.PlaceRow:
    """A places line for intake; the context's site fills an empty or missing site column."""
    v = row.values
    return places_pb2.PlaceRow(
        line=row.line, site=v.get("site") or context.site, building=v.get("building", ""),
        floor=v.get("floor", ""), unit=v.get("unit", ""), timezone=v.get("timezone", ""),
    )  # fmt: skip


async def _send(
    targets: Targets, rows: Sequence[places_pb2.PlaceRow], dry_run: bool, progress: Progress
) -> Outcome:
    request = places_pb2.ImportPlacesRequest(actor=ACTOR, rows=rows, dry_run=dry_run)
    return await send_at_once(
        targets.intake_channel, lambda ch: places_pb2_grpc.PlaceServiceStub(ch).ImportPlaces(
            request, timeout=600), len(rows), progress)  # fmt: skip


PLACES = Kind(
    "places",
    {
        "site": SITE,
        "building": BUILDING,
        "floor": FLOOR,
        "unit": UNIT,
        "timezone": ("timezone", "时区"),
    },
    frozenset({"building", "floor"}),
    place_row,
    _send,
)
