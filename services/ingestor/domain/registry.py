"""What makes a device registration valid."""

from __future__ import annotations

import math
import re

from services.ingestor.domain.model import Device, PayloadFormat

__all__ = ["THRESHOLDS", "InvalidDevice", "validate_device"]

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


def validate_device(device: Device) -> None:
    """Raise InvalidDevice naming the first problem, if any."""
    if not _ID.match(device.device_id):
        raise InvalidDevice(
            "device_id must be 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit"
        )
    if not (device.site and device.building and device.floor):
        raise InvalidDevice("location needs site, building and floor")
    for name, value in (("site", device.site), ("building", device.building), ("floor", device.floor),
                        ("unit", device.unit), ("asset", device.asset)):  # fmt: skip
        if len(value) > 64:
            raise InvalidDevice(f"location.{name} is longer than 64 characters")
    if device.format is not PayloadFormat.NATIVE and not device.source_topic:
        raise InvalidDevice(
            f"format {device.format.value} needs source_topic (the device's own topic or name)"
        )
    if len(device.source_topic) > 200 or any(c in device.source_topic for c in "#+\x00"):
        raise InvalidDevice("source_topic must be at most 200 characters with no MQTT wildcards")
    if not 1 <= device.expected_interval_s <= _MAX_INTERVAL_S:
        raise InvalidDevice(f"expected_interval_s must be between 1 and {_MAX_INTERVAL_S}")
    for name, limit in device.thresholds.items():
        if name not in THRESHOLDS:
            raise InvalidDevice(f"unknown threshold {name[:40]!r}; known: {', '.join(THRESHOLDS)}")
        if not math.isfinite(limit):
            raise InvalidDevice(f"threshold {name} must be a finite number")
    if not -14 <= device.thresholds.get("utc_offset_h", 0) <= 14:
        raise InvalidDevice("threshold utc_offset_h must be between -14 and 14 hours")
