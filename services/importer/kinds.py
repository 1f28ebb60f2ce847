"""The kinds of history file the importer reads: their columns (English and Chinese
headers) and how a row becomes what the owning service takes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from maintenance.intake.v1 import places_pb2

from services.importer.reader import Row

__all__ = ["KINDS", "Kind", "place_row"]


@dataclass(frozen=True, slots=True)
class Kind:
    """A kind of file: its columns by canonical name with the headers accepted for each,
    and which of them every file must have."""

    name: str
    columns: Mapping[str, Sequence[str]]
    required: frozenset[str]


def place_row(row: Row, site: str) -> places_pb2.PlaceRow:
    """A places line for intake; `site` fills an empty or missing site column."""
    v = row.values
    return places_pb2.PlaceRow(
        line=row.line, site=v.get("site") or site, building=v.get("building", ""),
        floor=v.get("floor", ""), unit=v.get("unit", ""), timezone=v.get("timezone", ""),
    )  # fmt: skip


KINDS: Mapping[str, Kind] = {
    "places": Kind(
        "places",
        {
            "site": ("site", "园区", "项目", "小区"),
            "building": ("building", "楼栋", "楼号", "建筑"),
            "floor": ("floor", "楼层", "层"),
            "unit": ("unit", "房号", "单元", "房间"),
            "timezone": ("timezone", "时区"),
        },
        frozenset({"building", "floor"}),
    ),
}
