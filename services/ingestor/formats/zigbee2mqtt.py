"""Zigbee2MQTT: `zigbee2mqtt/<friendly name>` state and `.../availability`.

The device's `source_topic` is its friendly name, which may contain `/`. Bridge topics and
commands (`/set`, `/get`, also with an attribute after them) carry nothing to store.

State messages carry no time of their own except `last_seen` when Zigbee2MQTT is set to
add it (ISO 8601, or epoch milliseconds); without it the receive time is used. Known keys
that are null (Zigbee2MQTT's "not known yet") are left out; unknown keys are ignored; a known
key that cannot be read is skipped (numbers written as strings and "ON"/"OFF" are read).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

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
    ZIGBEE2MQTT_ROOT,
    check_device,
    json_object,
    member,
    online_word,
    pick,
    text,
)

__all__ = ["Zigbee2MQTTFormat"]

_STATE, _AVAILABILITY = "state", "availability"
_BRIDGE = "bridge"
_COMMANDS = frozenset({"set", "get"})
#: State keys used, and the metric each becomes (`water_leak` true/false becomes 1/0).
_METRICS: Mapping[str, str] = {
    key: key
    for key in (
        "water_leak",
        "battery",
        "linkquality",
        "voltage",
        "power",
        "current",
        "temperature",
        "humidity",
    )
}


class Zigbee2MQTTFormat(FormatAdapter):
    """Zigbee sensors and plugs behind a Zigbee2MQTT bridge."""

    format = PayloadFormat.ZIGBEE2MQTT
    subscriptions = (f"{ZIGBEE2MQTT_ROOT}/#",)
    urgent_suffixes = (f"/{_AVAILABILITY}",)

    def route(self, topic: str) -> Route | None:
        root, _, name = topic.partition("/")
        levels = name.split("/")
        if root != ZIGBEE2MQTT_ROOT or not all(levels) or levels[0] == _BRIDGE:
            return None
        if not _COMMANDS.isdisjoint(levels[-2:]):
            return None
        if len(levels) > 1 and levels[-1] == _AVAILABILITY:
            return Route(self.format, _AVAILABILITY, source_topic="/".join(levels[:-1]))
        return Route(self.format, _STATE, source_topic=name)

    def read(self, route: Route, payload: bytes, device: Device, notes: Notes) -> list[Observation]:
        check_device(route, device)
        if route.channel == _AVAILABILITY:
            if not payload:  # the retained state cleared, as when a device is renamed
                return []
            return [StatusSignal(device.device_id, notes.received_at, _available(payload))]
        state = json_object(payload)
        time = _last_seen(state.get("last_seen"), notes)
        return [Reading(device.device_id, time, pick(state, _METRICS, notes))]


def _available(payload: bytes) -> bool:
    """`{"state": "online"}`, or the legacy plain `online`/`offline`."""
    word = text(payload)
    online = online_word(word)
    if online is None:
        word = member(json_object(payload), "state", str)
        online = online_word(word)
    if online is None:
        raise Rejected("bad_value", f"availability {word[:40]!r}")
    return online


def _last_seen(value: object, notes: Notes) -> datetime:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            value = value / 1000  # epoch milliseconds
        except OverflowError:
            value = "unreadable"
    return notes.time(value)
