"""DeviceService over gRPC: translate, call the registry, translate back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from maintenance.ingestor.v1 import ingestor_pb2 as pb
from maintenance.ingestor.v1 import ingestor_pb2_grpc as pb_grpc

from services.common.protoenum import code_of, number_of
from services.common.rpc_errors import translate_errors
from services.ingestor.adapters.devices_repo import DeviceRecord
from services.ingestor.domain.model import Device, DeviceKind, PayloadFormat
from services.ingestor.domain.registry import InvalidDevice
from services.ingestor.handlers.registry import DeviceNotFound, Registry

__all__ = ["DeviceServicer", "device_from_pb", "record_to_pb"]

Context = grpc.aio.ServicerContext[Any, Any]


_rpc = translate_errors(
    {InvalidDevice: grpc.StatusCode.INVALID_ARGUMENT, DeviceNotFound: grpc.StatusCode.NOT_FOUND}
)


def _ts(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value.astimezone(UTC))
    return stamp


def device_from_pb(d: pb.Device) -> Device:
    kind = code_of(pb.DeviceKind, "DEVICE_KIND_", d.kind)
    fmt = code_of(pb.PayloadFormat, "PAYLOAD_FORMAT_", d.format) or "native"
    if not kind:
        raise InvalidDevice("kind is missing or unknown; known: leak, power, elevator")
    loc = d.location
    return Device(
        device_id=d.device_id,
        kind=DeviceKind(kind),
        site=loc.site,
        building=loc.building,
        floor=loc.floor,
        unit=loc.unit,
        asset=loc.asset,
        format=PayloadFormat(fmt),
        source_topic=d.source_topic,
        expected_interval_s=d.expected_interval_s or 300,
        thresholds=dict(d.thresholds),
    )


def record_to_pb(r: DeviceRecord) -> pb.Device:
    d = r.device
    message = pb.Device(
        device_id=d.device_id,
        kind=number_of(pb.DeviceKind, "DEVICE_KIND_", d.kind.value),  # type: ignore[arg-type]
        location=pb.DeviceLocation(
            site=d.site, building=d.building, floor=d.floor, unit=d.unit, asset=d.asset
        ),
        format=number_of(pb.PayloadFormat, "PAYLOAD_FORMAT_", d.format.value),  # type: ignore[arg-type]
        source_topic=d.source_topic,
        expected_interval_s=d.expected_interval_s,
        thresholds=dict(d.thresholds),
        last_values=r.last_values,
        online=r.online,
        created_at=_ts(r.created_at),
        updated_at=_ts(r.updated_at),
        clock=r.clock,
        clock_offset_s=r.clock_offset_s,
    )
    if r.last_seen_at is not None:
        message.last_seen_at.CopyFrom(_ts(r.last_seen_at))
    return message


class DeviceServicer(pb_grpc.DeviceServiceServicer):
    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    @_rpc
    async def PutDevice(
        self, request: pb.PutDeviceRequest, context: Context
    ) -> pb.PutDeviceResponse:
        record, created = await self._registry.put(device_from_pb(request.device))
        return pb.PutDeviceResponse(device=record_to_pb(record), created=created)

    @_rpc
    async def GetDevice(
        self, request: pb.GetDeviceRequest, context: Context
    ) -> pb.GetDeviceResponse:
        return pb.GetDeviceResponse(
            device=record_to_pb(await self._registry.get(request.device_id))
        )

    @_rpc
    async def ListDevices(
        self, request: pb.ListDevicesRequest, context: Context
    ) -> pb.ListDevicesResponse:
        kind = code_of(pb.DeviceKind, "DEVICE_KIND_", request.kind)
        records, token = await self._registry.page(
            request.site, request.building, kind, request.page_size, request.page_token,
            request.asset,
        )  # fmt: skip
        return pb.ListDevicesResponse(
            devices=[record_to_pb(r) for r in records], next_page_token=token
        )

    @_rpc
    async def PutDevices(
        self, request: pb.PutDevicesRequest, context: Context
    ) -> pb.PutDevicesResponse:
        created, updated = await self._registry.put_many(
            [device_from_pb(d) for d in request.devices]
        )
        return pb.PutDevicesResponse(created=created, updated=updated)

    @_rpc
    async def ListTelemetry(
        self, request: pb.ListTelemetryRequest, context: Context
    ) -> pb.ListTelemetryResponse:
        start = request.start.ToDatetime(UTC) if request.HasField("start") else None
        end = request.end.ToDatetime(UTC) if request.HasField("end") else None
        points, token = await self._registry.telemetry(
            request.device_id, request.metric, start, end, request.page_size, request.page_token
        )
        return pb.ListTelemetryResponse(
            points=[pb.TelemetryPoint(time=_ts(p.time), metric=p.metric, value=p.value)
                    for p in points],
            next_page_token=token,
        )  # fmt: skip
