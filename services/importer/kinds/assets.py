"""Assets files: one asset per line, its components separated by `|`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

from maintenance.intake.v1 import assets_pb2, assets_pb2_grpc

from services.importer.kinds.base import (
    ACTOR,
    Context,
    Kind,
    Outcome,
    Progress,
    Targets,
    send_at_once,
)
from services.importer.kinds.places import BUILDING, FLOOR, SITE, UNIT
from services.importer.reader import Problem, Row, parse_time

__all__ = ["ASSETS", "ASSET_ID", "asset_row"]

ASSET_ID = ("asset_id", "设备编号", "资产编号")
_UTC = ZoneInfo("UTC")


def _date(text: str) -> str:
    """A date as YYYY-MM-DD: `2016-05-01`, `2016/5/1`, or a date and time (its day)."""
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        return parse_time(text, _UTC).date().isoformat()  # the day as written: no zone shift


def asset_row(row: Row, context: Context) -> assets_pb2.AssetRow | Problem:
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
        site=v.get("site") or context.site, building=v.get("building", ""),
        floor=v.get("floor", ""), unit=v.get("unit", ""), name=v.get("name", ""),
        make=v.get("make", ""), model=v.get("model", ""), serial=v.get("serial", ""),
        installed_on=installed, criticality=criticality, components=components))  # fmt: skip


async def _send(
    targets: Targets, rows: Sequence[assets_pb2.AssetRow], dry_run: bool, progress: Progress
) -> Outcome:
    request = assets_pb2.ImportAssetsRequest(actor=ACTOR, rows=rows, dry_run=dry_run)
    return await send_at_once(
        targets.intake_channel, lambda ch: assets_pb2_grpc.AssetServiceStub(ch).ImportAssets(
            request, timeout=600), len(rows), progress)  # fmt: skip


ASSETS = Kind(
    "assets",
    {
        "asset_id": ASSET_ID,
        "type": ("type", "设备类型", "类型"),
        "site": SITE,
        "building": BUILDING,
        "floor": FLOOR,
        "unit": UNIT,
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
    _send,
)
