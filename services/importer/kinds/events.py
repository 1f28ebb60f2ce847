"""Events files: alarms and error codes another system recorded for devices or assets;
history for the models (they open no tickets)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from google.protobuf.timestamp_pb2 import Timestamp
from maintenance.ingestor.v1 import ingestor_pb2 as pb
from maintenance.ingestor.v1 import ingestor_pb2_grpc as pb_grpc

from services.importer.kinds.assets import ASSET_ID
from services.importer.kinds.base import (
    Context,
    Kind,
    Outcome,
    Progress,
    Targets,
    asset_sites,
    device_sites,
    send_at_once,
    site_zones,
)
from services.importer.kinds.devices import DEVICE_ID
from services.importer.reader import Problem, Row, parse_time

__all__ = ["EVENTS", "TIME", "event_row", "row_site"]

TIME = ("time", "时间", "发生时间", "报警时间", "采集时间")


async def _prepare(targets: Targets, site: str) -> Context:
    """Each site's zone, and each device's and asset's site (a time without a zone is in
    the site's)."""
    zones, devices, assets = await asyncio.gather(
        site_zones(targets), device_sites(targets), asset_sites(targets)
    )
    return Context(site, zones, devices, assets)


def row_site(line: int, device_id: str, asset_id: str, context: Context) -> str | Problem:
    """The site of what a row names: its device's, else its asset's."""
    if device_id:
        site = context.devices.get(device_id)
        return Problem(line, "device_id", f"no device {device_id[:64]!r}") if site is None else site
    if asset_id:
        site = context.assets.get(asset_id)
        return Problem(line, "asset_id", f"no asset {asset_id[:64]!r}") if site is None else site
    return Problem(line, "device_id", "give device_id or asset_id (or both)")


def event_row(row: Row, context: Context) -> pb.EventRow | Problem:
    """An events line for the ingestor, its time in UTC, or the first problem of the line."""
    v = row.values
    device_id, asset_id = v.get("device_id", ""), v.get("asset_id", "")
    site = row_site(row.line, device_id, asset_id, context)
    if isinstance(site, Problem):
        return site
    try:
        when = parse_time(v["time"], context.zone(site))
    except ValueError as exc:
        return Problem(row.line, "time", str(exc))
    stamp = Timestamp()
    stamp.FromDatetime(when)
    return pb.EventRow(line=row.line, asset_id=asset_id, device_id=device_id, time=stamp,
                       code=v["code"], severity=v.get("severity", ""),
                       message=v.get("message", ""))  # fmt: skip


async def _send(
    targets: Targets, rows: Sequence[pb.EventRow], dry_run: bool, progress: Progress
) -> Outcome:
    request = pb.ImportEventsRequest(rows=rows, dry_run=dry_run)
    return await send_at_once(
        targets.ingestor_channel,
        lambda ch: pb_grpc.HistoryServiceStub(ch).ImportEvents(request, timeout=600),
        len(rows),
        progress,
    )


EVENTS = Kind(
    "events",
    {
        "device_id": DEVICE_ID,
        "asset_id": ASSET_ID,
        "time": TIME,
        "code": ("code", "代码", "故障代码", "报警代码", "事件代码"),
        "severity": ("severity", "级别", "等级", "严重程度"),
        "message": ("message", "描述", "内容", "信息", "报警内容"),
    },
    frozenset({"time", "code"}),
    event_row,
    _send,
    _prepare,
)
