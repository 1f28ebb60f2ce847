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
from datetime import datetime

from services.ingestor.domain.model import (
    Device,
    Observation,
    PayloadFormat,
    Reading,
    Rejected,
    StatusSignal,
)
from services.ingestor.formats.base import FormatAdapter, Route, parse_time
from services.ingestor.formats.common import (
    FIXED_ROOTS,
    JsonObject,
    check_device,
    child,
    json_object,
    load_json,
    member,
    pick,
)

__all__ = ["ShellyGen2Format"]

_RPC, _ONLINE = "events/rpc", "online"
_STATUS_METHODS = frozenset({"NotifyStatus", "NotifyFullStatus"})
_SWITCH = re.compile(r"switch:(\d+)", re.ASCII)
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

    def parse(
        self, route: Route, payload: bytes, device: Device, received_at: datetime
    ) -> list[Observation]:
        check_device(route, device)
        if route.channel == _ONLINE:
            online = load_json(payload)
            if not isinstance(online, bool):
                raise Rejected("bad_type", "online is not true or false")
            return [StatusSignal(device.device_id, received_at, online)]
        notification = json_object(payload)
        if member(notification, "method", str) not in _STATUS_METHODS:
            return []
        params = child(notification, "params", required=True)
        metrics: dict[str, float] = {}
        for key in params:
            if match := _SWITCH.fullmatch(key):
                metrics |= _switch(child(params, key), int(match[1]))
        return [Reading(device.device_id, parse_time(params.get("ts"), received_at), metrics)]


def _switch(switch: JsonObject, channel: int) -> dict[str, float]:
    return (
        pick(switch, _SWITCH_METRICS, channel)
        | pick(child(switch, "aenergy"), _ENERGY_METRICS, channel)
        | pick(child(switch, "temperature"), _TEMPERATURE_METRICS, channel)
    )
