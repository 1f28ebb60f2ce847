"""`/v1/devices`: the sensor registry. Staff read it; admins, supervisors and dispatchers
change it."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime
from typing import Annotated

import grpc
from fastapi import APIRouter, HTTPException, Path, Query, Request, Response, status
from maintenance.ingestor.v1 import ingestor_pb2 as pb
from pydantic import ValidationError

from services.common.protoenum import number_of
from services.gateway.entrypoint.deps import Caller
from services.gateway.entrypoint.device_schemas import (
    DeviceIn,
    DeviceKind,
    DeviceList,
    DeviceOut,
    ImportResult,
    TelemetryPage,
    TelemetryPointOut,
    device_out,
    device_to_pb,
)
from services.gateway.entrypoint.problems import problem

__all__ = ["router"]

router = APIRouter(prefix="/v1/devices", tags=["devices"])

_READERS = ("technician", "dispatcher", "supervisor", "planner", "admin")
_WRITERS = ("dispatcher", "supervisor", "admin")
_CSV_COLUMNS = ("device_id", "kind", "site", "building", "floor", "unit", "asset", "format",
                "source_topic", "expected_interval_s")  # fmt: skip
_MAX_CSV_ROWS = 5000

DeviceId = Annotated[str, Path(min_length=1, max_length=128, examples=["leak-B-03-riser"])]


@router.put("/{device_id}", response_model=DeviceOut, summary="Register or replace a device")
async def put_device(
    device_id: DeviceId, body: DeviceIn, caller: Caller, response: Response
) -> DeviceOut:
    """201 when the device is new, 200 when it replaced a registration. Staff register
    devices at their own site only, and cannot take over another site's device."""
    caller.require(*_WRITERS)
    caller.site(body.location.site)
    await _existing_visible(caller, device_id)
    reply = await caller.devices.PutDevice(
        pb.PutDeviceRequest(device=device_to_pb(device_id, body)), **caller.opts
    )
    response.status_code = status.HTTP_201_CREATED if reply.created else status.HTTP_200_OK
    return device_out(reply.device)


@router.get("", response_model=DeviceList, summary="List devices")
async def list_devices(
    caller: Caller,
    site: Annotated[str, Query(max_length=64)] = "",
    building: Annotated[str, Query(max_length=64)] = "",
    kind: Annotated[DeviceKind | None, Query()] = None,
    asset_id: Annotated[str, Query(max_length=64, description="only this asset's devices")] = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str, Query(max_length=200)] = "",
) -> DeviceList:
    caller.require(*_READERS)
    reply = await caller.devices.ListDevices(
        pb.ListDevicesRequest(
            site=caller.site_filter(site), building=building, page_size=limit, page_token=cursor, asset=asset_id,
            kind=number_of(pb.DeviceKind, "DEVICE_KIND_", kind or ""),  # type: ignore[arg-type]
        ),
        **caller.opts,
    )  # fmt: skip
    return DeviceList(
        items=[device_out(d) for d in reply.devices], next_cursor=reply.next_page_token or None
    )


@router.get(
    "/{device_id}", response_model=DeviceOut, summary="One device, with what it last reported"
)
async def get_device(device_id: DeviceId, caller: Caller) -> DeviceOut:
    caller.require(*_READERS)
    return device_out(await _visible(caller, device_id))


async def _visible(caller: Caller, device_id: str) -> pb.Device:
    """The device, if the caller may see its site (404 as for no device otherwise)."""
    reply = await caller.devices.GetDevice(pb.GetDeviceRequest(device_id=device_id), **caller.opts)
    if not caller.may_see(reply.device.location.site):
        raise HTTPException(404, f"no device {device_id!r}")
    return reply.device


async def _existing_visible(caller: Caller, device_id: str) -> None:
    """404 when the device exists at a site the caller may not see; nothing when it is new
    (or the caller is an admin, who sees every site)."""
    if caller.user.role == "admin":
        return
    try:
        await _visible(caller, device_id)
    except grpc.aio.AioRpcError as exc:
        if exc.code() != grpc.StatusCode.NOT_FOUND:
            raise


@router.get(
    "/{device_id}/telemetry", response_model=TelemetryPage,
    summary="A device's stored telemetry, oldest first",
)  # fmt: skip
async def device_telemetry(
    device_id: DeviceId,
    caller: Caller,
    metric: Annotated[str, Query(max_length=64, examples=["voltage"])] = "",
    start: Annotated[datetime | None, Query(alias="from", description="inclusive")] = None,
    end: Annotated[datetime | None, Query(alias="to", description="exclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
    cursor: Annotated[str, Query(max_length=200)] = "",
) -> TelemetryPage:
    """Live and imported readings in [from, to) by time, then metric; one metric or all.
    Times without a zone are UTC."""
    caller.require(*_READERS)
    await _visible(caller, device_id)
    request = pb.ListTelemetryRequest(
        device_id=device_id, metric=metric, page_size=limit, page_token=cursor
    )
    for field, when in (("start", start), ("end", end)):
        if when is not None:
            getattr(request, field).FromDatetime(when if when.tzinfo else when.replace(tzinfo=UTC))
    reply = await caller.devices.ListTelemetry(request, **caller.opts)
    return TelemetryPage(
        items=[TelemetryPointOut(time=p.time.ToDatetime(UTC), metric=p.metric, value=p.value)
               for p in reply.points],
        next_cursor=reply.next_page_token or None,
    )  # fmt: skip


def _rows(text: str) -> list[pb.Device]:
    reader = csv.DictReader(io.StringIO(text))
    missing = set(_CSV_COLUMNS[:5]) - set(reader.fieldnames or ())
    if missing:
        raise ValueError(
            f"the header lacks {', '.join(sorted(missing))}; columns: {', '.join(_CSV_COLUMNS)}"
        )
    devices: list[pb.Device] = []
    for line, row in enumerate(reader, start=2):
        if len(devices) >= _MAX_CSV_ROWS:
            raise ValueError(f"at most {_MAX_CSV_ROWS} devices per import")
        try:
            location = {
                k: row.get(k) or None for k in ("site", "building", "floor", "unit", "asset")
            }
            body = DeviceIn.model_validate(
                {
                    "kind": row["kind"],
                    "location": location,
                    "format": row.get("format") or "native",
                    "source_topic": row.get("source_topic") or None,
                    "expected_interval_s": int(row.get("expected_interval_s") or 300),
                }
            )
        except (ValidationError, ValueError) as exc:
            first = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
            raise ValueError(f"line {line}: {first}") from None
        devices.append(device_to_pb(row["device_id"] or "", body))
    if not devices:
        raise ValueError("the file has no devices")
    return devices


@router.post(
    "/import",
    response_model=ImportResult,
    summary="Register many devices from CSV, all or none",
    openapi_extra={
        "requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}, "required": True}
    },
)
async def import_devices(request: Request, caller: Caller) -> ImportResult | Response:
    """Body: `text/csv` with the header `device_id,kind,site,building,floor,unit,asset,format,
    source_topic,expected_interval_s` (the first five required)."""
    caller.require(*_WRITERS)
    if not request.headers.get("content-type", "").startswith("text/csv"):
        return problem(415, "send the devices as text/csv")
    try:
        devices = _rows((await request.body()).decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        return problem(422, str(exc))
    for device in devices:  # staff: their own site's devices only (admins: any)
        caller.site(device.location.site)
    await asyncio.gather(*(_existing_visible(caller, d.device_id) for d in devices))
    reply = await caller.devices.PutDevices(pb.PutDevicesRequest(devices=devices), **caller.opts)
    return ImportResult(created=reply.created, updated=reply.updated)
