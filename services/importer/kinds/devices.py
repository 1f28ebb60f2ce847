"""Devices files: one sensor per line, where it is and how its messages look."""

from __future__ import annotations

from collections.abc import Sequence

from maintenance.ingestor.v1 import ingestor_pb2 as pb
from maintenance.ingestor.v1 import ingestor_pb2_grpc as pb_grpc

from services.common.protoenum import number_of
from services.importer.kinds.assets import ASSET_ID
from services.importer.kinds.base import (
    Context,
    Kind,
    Outcome,
    Progress,
    Targets,
    send_at_once,
)
from services.importer.kinds.places import BUILDING, FLOOR, SITE, UNIT
from services.importer.reader import Problem, Row

__all__ = ["DEVICES", "DEVICE_ID", "device_row"]

DEVICE_ID = ("device_id", "传感器编号", "传感器ID", "终端编号")


def _interval(text: str) -> int | None:
    """Seconds between a device's messages (0: the service's default), or None."""
    try:
        seconds = int(text) if text else 0
    except ValueError:
        return None
    return seconds if 0 <= seconds <= 2**31 - 1 else None


def device_row(row: Row, context: Context) -> pb.DeviceRow | Problem:
    """A devices line for the ingestor, or the problem of a value that is not what it should
    be; the context's site fills an empty or missing site column."""
    v = row.values
    kind = number_of(pb.DeviceKind, "DEVICE_KIND_", v.get("kind", "").lower())
    if not kind:
        return Problem(row.line, "kind", "kind must be leak, power or elevator")
    fmt = number_of(pb.PayloadFormat, "PAYLOAD_FORMAT_", (v.get("format") or "native").lower())
    if not fmt:
        return Problem(row.line, "format",
                       "format must be native, zigbee2mqtt, tasmota or shelly_gen2")  # fmt: skip
    interval = _interval(v.get("expected_interval_s", ""))
    if interval is None:
        return Problem(row.line, "expected_interval_s",
                       "expected_interval_s must be a whole number of seconds")  # fmt: skip
    location = pb.DeviceLocation(
        site=v.get("site") or context.site, building=v.get("building", ""),
        floor=v.get("floor", ""), unit=v.get("unit", ""), asset=v.get("asset_id", ""))  # fmt: skip
    return pb.DeviceRow(line=row.line, device=pb.Device(
        device_id=v.get("device_id", ""), kind=kind, location=location,  # type: ignore[arg-type]
        format=fmt, source_topic=v.get("source_topic", ""),  # type: ignore[arg-type]
        expected_interval_s=interval))  # fmt: skip


async def _send(
    targets: Targets, rows: Sequence[pb.DeviceRow], dry_run: bool, progress: Progress
) -> Outcome:
    request = pb.ImportDevicesRequest(rows=rows, dry_run=dry_run)
    return await send_at_once(
        targets.ingestor_channel,
        lambda ch: pb_grpc.HistoryServiceStub(ch).ImportDevices(request, timeout=600),
        len(rows),
        progress,
    )


DEVICES = Kind(
    "devices",
    {
        "device_id": DEVICE_ID,
        "kind": ("kind", "传感器类型", "类型"),
        "site": SITE,
        "building": BUILDING,
        "floor": FLOOR,
        "unit": UNIT,
        "asset_id": (*ASSET_ID, "asset"),  # "asset": as `POST /v1/devices/import` and the simulator
        "format": ("format", "数据格式", "协议"),
        "source_topic": ("source_topic", "主题", "设备主题"),
        "expected_interval_s": ("expected_interval_s", "上报间隔", "上报间隔秒", "上报周期"),
    },
    frozenset({"device_id", "kind", "building", "floor"}),
    device_row,
    _send,
)
