"""The platform's own format: `maint/{site}/{device_id}/{telemetry|alert|status}`.

JSON by default; the suffix `/pb` carries the same message as protobuf
(`maintenance.telemetry.v1`). The route's channel is the message kind, with `/pb`
appended for protobuf (`telemetry/pb`).

Protobuf cannot tell an absent field from its zero value: a zero `time` means the time
the message was received, and an absent `active` is false (a clear), unlike JSON where it
defaults to true. In JSON, `active` and `online` may also be 1/0 or words ("true", "off").
An alert's `type` is matched without regard to case.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar

from google.protobuf.message import DecodeError, Message
from google.protobuf.timestamp_pb2 import Timestamp
from maintenance.telemetry.v1 import telemetry_pb2

from services.ingestor.domain.model import (
    AlertSignal,
    AlertType,
    Device,
    Observation,
    PayloadFormat,
    Reading,
    Rejected,
    StatusSignal,
)
from services.ingestor.formats.base import FormatAdapter, Notes, Route
from services.ingestor.formats.common import (
    NATIVE_ROOT,
    check_device,
    json_object,
    online_word,
    text,
)

__all__ = ["NativeFormat"]

_TELEMETRY, _ALERT, _STATUS = "telemetry", "alert", "status"
_KINDS = (_TELEMETRY, _ALERT, _STATUS)
_PROTOBUF = "pb"
#: Alert types a device may send; `device_offline` is the ingestor's own.
_SENT_ALERTS = {t.value: t for t in AlertType if t is not AlertType.DEVICE_OFFLINE}

_M = TypeVar("_M", bound=Message)


class NativeFormat(FormatAdapter):
    """Telemetry, alerts and status in the platform's JSON or protobuf messages."""

    format = PayloadFormat.NATIVE
    subscriptions = (f"{NATIVE_ROOT}/+/+/+", f"{NATIVE_ROOT}/+/+/+/{_PROTOBUF}")
    urgent_suffixes = tuple(f"/{k}{p}" for k in (_ALERT, _STATUS) for p in ("", f"/{_PROTOBUF}"))

    def route(self, topic: str) -> Route | None:
        parts = topic.split("/")
        if (
            parts[0] != NATIVE_ROOT
            or len(parts) not in (4, 5)
            or parts[4:] not in ([], [_PROTOBUF])
        ):
            return None
        site, device_id, kind = parts[1:4]
        if not site or not device_id or kind not in _KINDS:
            return None
        return Route(self.format, "/".join(parts[3:]), device_id=device_id)

    def read(self, route: Route, payload: bytes, device: Device, notes: Notes) -> list[Observation]:
        check_device(route, device)
        kind, _, encoding = route.channel.partition("/")
        if encoding:
            return _read_protobuf(kind, payload, device, notes)
        return _read_json(kind, payload, device, notes)


def _alert_type(name: object) -> AlertType:
    if name is None or name == "":
        raise Rejected("missing_field", "type")
    if not isinstance(name, str):
        raise Rejected("bad_type", "type is not a str")
    try:
        return _SENT_ALERTS[name.strip().lower()]
    except KeyError:
        raise Rejected("bad_value", f"unknown alert type {name[:40]!r}") from None


def _read_json(kind: str, payload: bytes, device: Device, notes: Notes) -> list[Observation]:
    if kind == _STATUS and (online := online_word(text(payload))) is not None:
        return [StatusSignal(device.device_id, notes.received_at, online)]
    message = json_object(payload)
    time = notes.time(message.get("time"))
    if kind == _TELEMETRY:
        metrics = message.get("metrics")
        if metrics is None:
            raise Rejected("missing_field", "metrics")
        if not isinstance(metrics, dict):
            raise Rejected("bad_type", "metrics is not an object")
        return [Reading(device.device_id, time, notes.numbers(metrics, "metrics"))]
    if kind == _ALERT:
        active = message.get("active")
        alert = AlertSignal(
            device.device_id,
            time,
            _alert_type(message.get("type")),
            True if active is None else notes.flag("active", active) is not False,
            notes.numbers(message.get("readings"), "readings"),
            notes.text("detail", message.get("detail")),
        )
        return [alert]
    said = message.get("online")
    if said is None:
        raise Rejected("missing_field", "online")
    state = notes.flag("online", said)
    if state is None:
        raise Rejected("bad_type", "online is not true or false")
    return [StatusSignal(device.device_id, time, state)]


def _decode(message_type: type[_M], payload: bytes) -> _M:
    try:
        return message_type.FromString(payload)
    except DecodeError as exc:
        raise Rejected("bad_protobuf", str(exc)[:80]) from None


def _protobuf_time(stamp: Timestamp, notes: Notes) -> datetime:
    if stamp.seconds == 0 and stamp.nanos == 0:
        return notes.received_at
    try:
        when = stamp.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        notes.skip("time", "bad_time")
        return notes.received_at
    return notes.checked(when)


def _read_protobuf(kind: str, payload: bytes, device: Device, notes: Notes) -> list[Observation]:
    if kind == _TELEMETRY:
        telemetry = _decode(telemetry_pb2.TelemetryPayload, payload)
        time = _protobuf_time(telemetry.time, notes)
        return [Reading(device.device_id, time, notes.numbers(dict(telemetry.metrics), "metrics"))]
    if kind == _ALERT:
        message = _decode(telemetry_pb2.AlertPayload, payload)
        alert = AlertSignal(
            device.device_id,
            _protobuf_time(message.time, notes),
            _alert_type(message.type),
            message.active,
            notes.numbers(dict(message.readings), "readings"),
            notes.text("detail", message.detail),
        )
        return [alert]
    status = _decode(telemetry_pb2.StatusPayload, payload)
    return [StatusSignal(device.device_id, _protobuf_time(status.time, notes), status.online)]
