"""Shelly Gen2 (Plus and Pro): `<device id>/events/rpc` notifications and `<device id>/online`.

The device's `source_topic` is its id, e.g. `shellyplus1pm-a8032ab12345`. `NotifyStatus`
and `NotifyFullStatus` carry readings in `switch:N` components at `params.ts`; other
notifications (`NotifyEvent`) carry none. Metrics of switch 0 keep their names, those of
switch N get the suffix `_N` (`voltage_1`).

Shelly topics start with the device id, so topics under the prefixes of the other formats
are left to them.
"""

from __future__ import annotations

import re
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
    FIXED_ROOTS,
    JsonObject,
    check_device,
    child,
    json_object,
    load_json,
    member,
    part,
    pick,
)

__all__ = ["ShellyGen2Format"]

_RPC, _ONLINE = "events/rpc", "online"
_STATUS_METHODS = frozenset({"NotifyStatus", "NotifyFullStatus"})
_SWITCH = re.compile(r"switch:(\d{1,3})", re.ASCII)
#: Fields of a switch used, and the metric each becomes; `aenergy` and `temperature`
#: are objects of their own.
_SWITCH_METRICS: Mapping[str, str] = {"voltage": "voltage", "current": "current", "apower": "power"}
_ENERGY_METRICS: Mapping[str, str] = {"total": "energy_total"}
_TEMPERATURE_METRICS: Mapping[str, str] = {"tC": "temperature"}


class ShellyGen2Format(FormatAdapter):
    """Shelly Gen2 relays and plugs speaking JSON-RPC over MQTT."""

    format = PayloadFormat.SHELLY_GEN2
    subscriptions = (f"+/{_RPC}", f"+/{_ONLINE}")
    urgent_suffixes = (f"/{_ONLINE}",)

    def route(self, topic: str) -> Route | None:
        device_id, _, channel = topic.partition("/")
        if not device_id or device_id in FIXED_ROOTS or channel not in (_RPC, _ONLINE):
            return None
        return Route(self.format, channel, source_topic=device_id)

    def read(self, route: Route, payload: bytes, device: Device, notes: Notes) -> list[Observation]:
        check_device(route, device)
        if route.channel == _ONLINE:
            online = load_json(payload)
            if not isinstance(online, bool):
                raise Rejected("bad_type", "online is not true or false")
            return [StatusSignal(device.device_id, notes.received_at, online)]
        notification = json_object(payload)
        if member(notification, "method", str) not in _STATUS_METHODS:
            return []
        params = child(notification, "params")
        metrics: dict[str, float] = {}
        for key in params:
            if match := _SWITCH.fullmatch(key):
                metrics |= _switch(part(params, key, notes), int(match[1]), notes)
        return [Reading(device.device_id, notes.time(params.get("ts")), metrics)]


def _switch(switch: JsonObject, channel: int, notes: Notes) -> dict[str, float]:
    return (
        pick(switch, _SWITCH_METRICS, notes, channel)
        | pick(part(switch, "aenergy", notes), _ENERGY_METRICS, notes, channel)
        | pick(part(switch, "temperature", notes), _TEMPERATURE_METRICS, notes, channel)
    )
