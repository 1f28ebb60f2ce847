"""What makes a device registration valid."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from services.ingestor.domain.model import Device, PayloadFormat

__all__ = ["THRESHOLDS", "InvalidDevice", "device_problem", "validate_device"]

#: Threshold names a device may override, and what they mean.
THRESHOLDS: dict[str, str] = {
    "moisture_max": "moisture (%) above which a leak sensor raises moisture_high",
    "voltage_min": "lowest acceptable voltage (V)",
    "voltage_max": "highest acceptable voltage (V)",
    "outage_hold_s": "seconds near 0 V before a power outage is raised",
    "door_fault_window_s": "window (s) over which elevator door faults are summed",
    "door_fault_limit": "door faults within the window that raise door_faults",
    "utc_offset_h": "hours the device's clock is ahead of UTC (Tasmota local time)",
}

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
_MAX_INTERVAL_S = 7 * 24 * 3600


class InvalidDevice(ValueError):
    """The registration cannot be accepted; the message says why."""


def device_problem(device: Device) -> tuple[str, str] | None:
    """The first problem of a registration as (field, reason), or None. Fields are named as
    an import file's columns: device_id, site, building, floor, unit, asset_id,
    source_topic, expected_interval_s, thresholds."""
    if not _ID.match(device.device_id):
        return "device_id", (
            "device_id must be 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit"
        )
    place = (("site", device.site), ("building", device.building), ("floor", device.floor))
    for name, value in place:
        if not value:
            return name, "location needs site, building and floor"
    for name, value in (*place, ("unit", device.unit), ("asset", device.asset)):
        if len(value) > 64:
            field = "asset_id" if name == "asset" else name
            return field, f"location.{name} is longer than 64 characters"
    if device.format is not PayloadFormat.NATIVE and not device.source_topic:
        return "source_topic", (
            f"format {device.format.value} needs source_topic (the device's own topic or name)"
        )
    if len(device.source_topic) > 200 or any(c in device.source_topic for c in "#+\x00"):
        return "source_topic", "source_topic must be at most 200 characters with no MQTT wildcards"
    if not 1 <= device.expected_interval_s <= _MAX_INTERVAL_S:
        return "expected_interval_s", f"expected_interval_s must be between 1 and {_MAX_INTERVAL_S}"
    return _threshold_problem(device.thresholds)


def _threshold_problem(thresholds: Mapping[str, float]) -> tuple[str, str] | None:
    for name, limit in thresholds.items():
        if name not in THRESHOLDS:
            return "thresholds", f"unknown threshold {name[:40]!r}; known: {', '.join(THRESHOLDS)}"
        if not math.isfinite(limit):
            return "thresholds", f"threshold {name} must be a finite number"
    if not -14 <= thresholds.get("utc_offset_h", 0) <= 14:
        return "thresholds", "threshold utc_offset_h must be between -14 and 14 hours"
    return None


def validate_device(device: Device) -> None:
    """Raise InvalidDevice naming the first problem, if any."""
    if (problem := device_problem(device)) is not None:
        raise InvalidDevice(problem[1])
