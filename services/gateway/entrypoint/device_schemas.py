"""The device registry's REST bodies and their translation to and from protobuf."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from maintenance.ingestor.v1 import ingestor_pb2 as pb
from pydantic import BaseModel, ConfigDict, Field

from services.common.protoenum import code_of, number_of

__all__ = [
    "DeviceIn",
    "DeviceList",
    "DeviceOut",
    "ImportResult",
    "TelemetryPage",
    "TelemetryPointOut",
    "device_out",
    "device_to_pb",
]

DeviceKind = Literal["leak", "power", "elevator"]
PayloadFormat = Literal["native", "zigbee2mqtt", "tasmota", "shelly_gen2"]


class DeviceLocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    site: str = Field(min_length=1, max_length=64)
    building: str = Field(min_length=1, max_length=64)
    floor: str = Field(min_length=1, max_length=16)
    unit: str | None = Field(default=None, max_length=64)
    asset: str | None = Field(default=None, max_length=64, examples=["riser B-3"])


class DeviceIn(BaseModel):
    """A device registration; `source_topic` is needed by every format but native."""

    model_config = ConfigDict(extra="forbid")

    kind: DeviceKind
    location: DeviceLocationIn
    format: PayloadFormat = "native"
    source_topic: str | None = Field(default=None, max_length=200, examples=["0x00158d0001a2b3c4"])
    expected_interval_s: int = Field(default=300, ge=1, le=7 * 24 * 3600)
    thresholds: dict[str, float] = Field(default_factory=dict, examples=[{"voltage_min": 200}])


class DeviceLocationOut(BaseModel):
    site: str
    building: str
    floor: str
    unit: str | None
    asset: str | None


class DeviceOut(BaseModel):
    device_id: str
    kind: DeviceKind
    location: DeviceLocationOut
    format: PayloadFormat
    source_topic: str | None
    expected_interval_s: int
    thresholds: dict[str, float]
    online: bool
    last_seen_at: datetime | None
    #: The latest value of each metric.
    last_values: dict[str, float]
    #: What the device's latest time said of its clock: ok, skewed or no_zone (its time was
    #: then replaced by the receive time); null until it sends a time.
    clock: str | None
    #: When skewed: the device's time minus the receive time, in seconds.
    clock_offset_s: float | None
    created_at: datetime
    updated_at: datetime


class DeviceList(BaseModel):
    items: list[DeviceOut]
    next_cursor: str | None


class TelemetryPointOut(BaseModel):
    time: datetime
    metric: str
    value: float


class TelemetryPage(BaseModel):
    items: list[TelemetryPointOut]
    next_cursor: str | None


class ImportResult(BaseModel):
    created: int
    updated: int


def device_to_pb(device_id: str, body: DeviceIn) -> pb.Device:
    loc = body.location
    return pb.Device(
        device_id=device_id,
        kind=number_of(pb.DeviceKind, "DEVICE_KIND_", body.kind),  # type: ignore[arg-type]
        location=pb.DeviceLocation(
            site=loc.site,
            building=loc.building,
            floor=loc.floor,
            unit=loc.unit or "",
            asset=loc.asset or "",
        ),
        format=number_of(pb.PayloadFormat, "PAYLOAD_FORMAT_", body.format),  # type: ignore[arg-type]
        source_topic=body.source_topic or "",
        expected_interval_s=body.expected_interval_s,
        thresholds=body.thresholds,
    )


def device_out(d: pb.Device) -> DeviceOut:
    loc = d.location
    return DeviceOut(
        device_id=d.device_id,
        kind=code_of(pb.DeviceKind, "DEVICE_KIND_", d.kind),  # type: ignore[arg-type]
        location=DeviceLocationOut(
            site=loc.site,
            building=loc.building,
            floor=loc.floor,
            unit=loc.unit or None,
            asset=loc.asset or None,
        ),
        format=code_of(pb.PayloadFormat, "PAYLOAD_FORMAT_", d.format),  # type: ignore[arg-type]
        source_topic=d.source_topic or None,
        expected_interval_s=d.expected_interval_s,
        thresholds=dict(d.thresholds),
        online=d.online,
        last_seen_at=d.last_seen_at.ToDatetime(tzinfo=UTC) if d.HasField("last_seen_at") else None,
        last_values=dict(d.last_values),
        clock=d.clock or None,
        clock_offset_s=d.clock_offset_s if d.HasField("clock_offset_s") else None,
        created_at=d.created_at.ToDatetime(tzinfo=UTC),
        updated_at=d.updated_at.ToDatetime(tzinfo=UTC),
    )
