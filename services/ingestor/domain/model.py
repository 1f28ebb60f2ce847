"""Devices and what they tell us, as frozen dataclasses built from a wire message at once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "ALERT_PRIORITY",
    "MAX_METRIC_CHARS",
    "AlertSignal",
    "AlertType",
    "ClockState",
    "Device",
    "DeviceKind",
    "Inbound",
    "Observation",
    "PayloadFormat",
    "Reading",
    "Rejected",
    "StatusSignal",
    "is_metric_name",
]

#: The longest metric or reading name kept.
MAX_METRIC_CHARS = 64


def is_metric_name(name: str) -> bool:
    """Whether `name` may name a metric: 1-64 printable characters (live or imported)."""
    return 0 < len(name) <= MAX_METRIC_CHARS and name.isprintable()


class DeviceKind(StrEnum):
    LEAK = "leak"
    POWER = "power"
    ELEVATOR = "elevator"


class PayloadFormat(StrEnum):
    NATIVE = "native"
    ZIGBEE2MQTT = "zigbee2mqtt"
    TASMOTA = "tasmota"
    SHELLY_GEN2 = "shelly_gen2"


class AlertType(StrEnum):
    LEAK = "leak"
    MOISTURE_HIGH = "moisture_high"
    POWER_OUTAGE = "power_outage"
    VOLTAGE_OUT_OF_RANGE = "voltage_out_of_range"
    ELEVATOR_FAULT = "elevator_fault"
    DOOR_FAULTS = "door_faults"
    ENTRAPMENT = "entrapment"
    DEVICE_OFFLINE = "device_offline"


class ClockState(StrEnum):
    """What the time a device last sent says of its clock: `ok` (used), `skewed` (not
    plausible: a flat clock battery, no NTP) or `no_zone` (local time without a zone, and
    no offset registered for the device). The last two are replaced by the receive time."""

    OK = "ok"
    SKEWED = "skewed"
    NO_ZONE = "no_zone"


#: The ticket priority each alert opens with.
ALERT_PRIORITY: Mapping[AlertType, str] = MappingProxyType(
    {
        AlertType.LEAK: "P1",
        AlertType.ENTRAPMENT: "P1",
        AlertType.POWER_OUTAGE: "P1",
        AlertType.MOISTURE_HIGH: "P2",
        AlertType.VOLTAGE_OUT_OF_RANGE: "P2",
        AlertType.ELEVATOR_FAULT: "P2",
        AlertType.DOOR_FAULTS: "P3",
        AlertType.DEVICE_OFFLINE: "P4",
    }
)


@dataclass(frozen=True, slots=True)
class Inbound:
    """One MQTT message as received; `arrived` is a monotonic clock reading."""

    topic: str
    payload: bytes
    received_at: datetime
    arrived: float = 0.0


@dataclass(frozen=True, slots=True)
class Device:
    """A registered sensor and where it is."""

    device_id: str
    kind: DeviceKind
    site: str
    building: str
    floor: str
    format: PayloadFormat
    unit: str = ""
    asset: str = ""
    source_topic: str = ""
    expected_interval_s: int = 300
    thresholds: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reading:
    """Telemetry: named numeric values at one time."""

    device_id: str
    time: datetime
    metrics: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class AlertSignal:
    """An alert raised (`active`) or cleared, sent by the device or derived from telemetry."""

    device_id: str
    time: datetime
    alert_type: AlertType
    active: bool
    readings: Mapping[str, float] = field(default_factory=dict)
    detail: str = ""


@dataclass(frozen=True, slots=True)
class StatusSignal:
    """The device says it is online or offline (a last will, an availability topic)."""

    device_id: str
    time: datetime
    online: bool


Observation = Reading | AlertSignal | StatusSignal


class Rejected(Exception):
    """A message we cannot use; `reason` is a short code counted in metrics."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
