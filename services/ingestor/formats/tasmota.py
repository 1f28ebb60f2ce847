"""Tasmota: `tele/<topic>/SENSOR` energy readings and the `tele/<topic>/LWT` last will.

The device's `source_topic` is its Tasmota topic. Other telemetry (`STATE`, `INFO1`, ...)
carries nothing to store.

Tasmota's `Time` is the device's local time and has no time zone unless the device is set
to add one (`SetOption52 1`). A zone-less time is taken as UTC plus the hours in the
device's `utc_offset_h` threshold (e.g. 8 for China Standard Time); without that threshold
it cannot be placed, so the receive time is used and the device is flagged (`no_zone`).
A time with a zone is used as it is. A device without NTP sends times near 1970: those,
like any implausible time, give way to the receive time (`skewed`).

Devices with several energy channels report lists (`"Power": [12, 0]`): the first entry
keeps the metric name, the others get the channel as a suffix (`power_1`). `Today` and
`Total` are in kWh and keep that unit in their names.
"""

from __future__ import annotations

from collections.abc import Mapping

from services.ingestor.domain.model import (
    Device,
    Observation,
    PayloadFormat,
    Reading,
    Rejected,
    StatusSignal,
)
from services.ingestor.formats.base import FormatAdapter, Notes, Route
from services.ingestor.formats.common import (
    TASMOTA_ROOT,
    JsonObject,
    channel_metric,
    check_device,
    json_object,
    online_word,
    part,
    text,
)

__all__ = ["TasmotaFormat"]

_SENSOR, _LWT = "SENSOR", "LWT"
#: Channels read from a list; a meter has a handful (`"Power": [12, 0]`).
_MAX_CHANNELS = 16
#: `ENERGY` keys used, and the metric each becomes.
_ENERGY: Mapping[str, str] = {
    "Voltage": "voltage",
    "Current": "current",
    "Power": "power",
    "ApparentPower": "apparent_power",
    "ReactivePower": "reactive_power",
    "Factor": "power_factor",
    "Today": "energy_today_kwh",
    "Total": "energy_total_kwh",
}


class TasmotaFormat(FormatAdapter):
    """Power plugs and meters running Tasmota."""

    format = PayloadFormat.TASMOTA
    subscriptions = (f"{TASMOTA_ROOT}/+/{_SENSOR}", f"{TASMOTA_ROOT}/+/{_LWT}")
    urgent_suffixes = (f"/{_LWT}",)

    def route(self, topic: str) -> Route | None:
        parts = topic.split("/")
        if len(parts) != 3 or parts[0] != TASMOTA_ROOT or not parts[1]:
            return None
        if parts[2] not in (_SENSOR, _LWT):
            return None
        return Route(self.format, parts[2], source_topic=parts[1])

    def read(self, route: Route, payload: bytes, device: Device, notes: Notes) -> list[Observation]:
        check_device(route, device)
        if route.channel == _LWT:
            word = text(payload)
            online = online_word(word)
            if online is None:
                raise Rejected("bad_value", f"last will {word[:40]!r}")
            return [StatusSignal(device.device_id, notes.received_at, online)]
        sensor = json_object(payload)
        time = notes.time(sensor.get("Time"), device.thresholds.get("utc_offset_h"))
        return [Reading(device.device_id, time, _energy(part(sensor, "ENERGY", notes), notes))]


def _energy(energy: JsonObject, notes: Notes) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for key, name in _ENERGY.items():
        value = energy.get(key)
        items = value if isinstance(value, list) else [value]
        if len(items) > _MAX_CHANNELS:
            notes.skip(key, "too_many")
        for channel, item in enumerate(items[:_MAX_CHANNELS]):
            if item is not None and (number := notes.number(key, item)) is not None:
                metrics[channel_metric(name, channel)] = number
    return metrics
