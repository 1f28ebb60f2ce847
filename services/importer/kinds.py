"""The kinds of history file the importer reads: their columns (English and Chinese
headers) and how a row becomes what the owning service takes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from maintenance.intake.v1 import assets_pb2, places_pb2

from services.importer.reader import Problem, Row, parse_time

__all__ = ["KINDS", "Kind", "Message", "asset_row", "place_row"]


_UTC = ZoneInfo("UTC")

#: A row as the owning service takes it.
Message = places_pb2.PlaceRow | assets_pb2.AssetRow


@dataclass(frozen=True, slots=True)
class Kind:
    """A kind of file: its columns by canonical name with the headers accepted for each,
    which of them every file must have, and how a row becomes a message (given the
    `--site` for rows that name none)."""

    name: str
    columns: Mapping[str, Sequence[str]]
    required: frozenset[str]
    convert: Callable[[Row, str], Message | Problem]


def place_row(row: Row, site: str) -> places_pb2.PlaceRow:
    """A places line for intake; `site` fills an empty or missing site column."""
    v = row.values
    return places_pb2.PlaceRow(
        line=row.line, site=v.get("site") or site, building=v.get("building", ""),
        floor=v.get("floor", ""), unit=v.get("unit", ""), timezone=v.get("timezone", ""),
    )  # fmt: skip


def _date(text: str) -> str:
    """A date as YYYY-MM-DD: `2016-05-01`, `2016/5/1`, or a date and time (its day)."""
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        return parse_time(text, _UTC).date().isoformat()  # the day as written: no zone shift


def asset_row(row: Row, site: str) -> assets_pb2.AssetRow | Problem:
    """An assets line for intake, or the problem of a value that is not what it should be."""
    v = row.values
    try:
        installed = _date(v["installed_on"]) if v.get("installed_on") else ""
    except ValueError as exc:
        return Problem(row.line, "installed_on", str(exc))
    try:
        criticality = int(v["criticality"]) if v.get("criticality") else 3
    except ValueError:
        return Problem(row.line, "criticality", "criticality must be a whole number from 1 to 5")
    components = [c.strip() for c in v.get("components", "").split("|") if c.strip()]
    return assets_pb2.AssetRow(line=row.line, asset=assets_pb2.Asset(
        asset_id=v.get("asset_id", ""), type=v.get("type", "").strip().lower(),
        site=v.get("site") or site, building=v.get("building", ""), floor=v.get("floor", ""),
        unit=v.get("unit", ""), name=v.get("name", ""), make=v.get("make", ""),
        model=v.get("model", ""), serial=v.get("serial", ""), installed_on=installed,
        criticality=criticality, components=components))  # fmt: skip


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
        place_row,
    ),
    "assets": Kind(
        "assets",
        {
            "asset_id": ("asset_id", "设备编号", "资产编号"),
            "type": ("type", "设备类型", "类型"),
            "site": ("site", "园区", "项目", "小区"),
            "building": ("building", "楼栋", "楼号", "建筑"),
            "floor": ("floor", "楼层", "层"),
            "unit": ("unit", "房号", "单元", "房间"),
            "name": ("name", "名称", "设备名称"),
            "make": ("make", "品牌", "厂家"),
            "model": ("model", "型号"),
            "serial": ("serial", "序列号", "出厂编号"),
            "installed_on": ("installed_on", "安装日期", "投用日期"),
            "criticality": ("criticality", "重要程度", "关键等级"),
            "components": ("components", "部件"),
        },
        frozenset({"asset_id", "type", "building"}),
        asset_row,
    ),
}
