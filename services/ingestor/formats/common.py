"""What the payload formats share: decoding, typed field access, metric names and topic roots.

Reasons a message is rejected as a whole: `bad_json` (not UTF-8, not JSON, or the
non-standard NaN and Infinity), `bad_type` (the message, or a part it cannot do without,
is of the wrong JSON type), `missing_field`, `bad_value` (a word outside the vocabulary,
such as an unknown alert type) and `device_mismatch` (the topic speaks for another device
than the one given). A field the message can do without is skipped instead (`base.Notes`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TypeVar

from services.ingestor.domain.model import Device, Rejected
from services.ingestor.formats.base import Notes, Route

__all__ = [
    "FIXED_ROOTS",
    "NATIVE_ROOT",
    "TASMOTA_ROOT",
    "ZIGBEE2MQTT_ROOT",
    "JsonObject",
    "channel_metric",
    "check_device",
    "child",
    "json_object",
    "load_json",
    "member",
    "online_word",
    "part",
    "pick",
    "text",
]

NATIVE_ROOT = "maint"
ZIGBEE2MQTT_ROOT = "zigbee2mqtt"
TASMOTA_ROOT = "tele"
#: First topic levels owned by the formats with a fixed prefix; a format whose topics start
#: with a device's own name (Shelly) must not claim these.
FIXED_ROOTS = frozenset({NATIVE_ROOT, ZIGBEE2MQTT_ROOT, TASMOTA_ROOT})

JsonObject = Mapping[str, object]

_T = TypeVar("_T")
_ONLINE_WORDS: Mapping[str, bool] = {"online": True, "offline": False}


def text(payload: bytes) -> str:
    """The payload as UTF-8 text without surrounding white space."""
    try:
        return payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise Rejected("bad_json", "payload is not UTF-8") from None


def _no_constant(name: str) -> object:
    raise Rejected("bad_json", f"{name} is not JSON")


#: One decoder for every message (json.loads with options builds a new one per call).
_DECODER = json.JSONDecoder(parse_constant=_no_constant)


def load_json(payload: bytes) -> object:
    """The payload parsed as strict JSON."""
    try:
        value: object = _DECODER.decode(text(payload))
    except (ValueError, RecursionError) as exc:
        raise Rejected("bad_json", str(exc)[:80]) from None
    return value


def json_object(payload: bytes) -> JsonObject:
    """The payload parsed as a JSON object."""
    value = load_json(payload)
    if not isinstance(value, dict):
        raise Rejected("bad_type", "payload is not a JSON object")
    return value


def member(obj: JsonObject, key: str, kind: type[_T], default: _T | None = None) -> _T:
    """`obj[key]` checked to be a `kind`; absent or null is `default`, or missing without one."""
    value = obj.get(key)
    if value is None:
        if default is None:
            raise Rejected("missing_field", key[:40])
        return default
    if not isinstance(value, kind):
        raise Rejected("bad_type", f"{key[:40]} is not a {kind.__name__}")
    return value


def child(obj: JsonObject, key: str) -> JsonObject:
    """`obj[key]`, which must be an object: the message is unusable without it."""
    value = obj.get(key)
    if value is None:
        raise Rejected("missing_field", key[:40])
    if not isinstance(value, dict):
        raise Rejected("bad_type", f"{key[:40]} is not an object")
    return value


def part(obj: JsonObject, key: str, notes: Notes) -> JsonObject:
    """`obj[key]` if it is an object; absent or null is empty, anything else is skipped."""
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        notes.skip(key, "bad_type")
        return {}
    return value


def channel_metric(name: str, channel: int) -> str:
    """The metric name for a channel of a multi-channel device: channel 0 keeps the name."""
    return f"{name}_{channel}" if channel else name


def pick(
    obj: JsonObject, names: Mapping[str, str], notes: Notes, channel: int = 0
) -> dict[str, float]:
    """The readable known fields of `obj` as metrics named by `names`; absent and null
    fields are left out, unreadable ones skipped."""
    found = {
        channel_metric(metric, channel): notes.number(key, obj[key])
        for key, metric in names.items()
        if obj.get(key) is not None
    }
    return {name: value for name, value in found.items() if value is not None}


def online_word(word: str) -> bool | None:
    """True for `online`, False for `offline` (in any case), None for anything else."""
    return _ONLINE_WORDS.get(word.strip().lower())


def check_device(route: Route, device: Device) -> None:
    """Refuse a message whose topic speaks for another device than `device`."""
    claimed, actual = (
        (route.device_id, device.device_id)
        if route.device_id
        else (route.source_topic, device.source_topic)
    )
    if claimed != actual:
        raise Rejected("device_mismatch", f"topic names {claimed[:40]!r}, not {actual[:40]!r}")
