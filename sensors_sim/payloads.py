"""MQTT topics and native-format payloads, exactly as docs/mqtt.md lays them out."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from sensors_sim.world import Alert

__all__ = ["alert_payload", "status_payload", "telemetry_payload", "topic"]


def topic(site: str, device_id: str, channel: str) -> str:
    """`maint/{site}/{device_id}/{channel}`, channel being telemetry, alert or status."""
    return f"maint/{site}/{device_id}/{channel}"


def _number(value: float) -> float | int:
    return int(value) if value.is_integer() else value


def _encode(body: Mapping[str, object]) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def telemetry_payload(when: datetime, metrics: Mapping[str, float]) -> bytes:
    """`{"time": ISO 8601 with zone, "metrics": {...}}`."""
    if when.tzinfo is None:
        raise ValueError("telemetry time needs a time zone")
    return _encode(
        {
            "time": when.isoformat(timespec="milliseconds"),
            "metrics": {name: _number(v) for name, v in metrics.items()},
        }
    )


def alert_payload(when: datetime, alert: Alert) -> bytes:
    """`{"time": epoch seconds, "type", "active", "readings", "detail"}` sent at `when`."""
    return _encode(
        {
            "time": round(when.timestamp(), 3),
            "type": alert.type,
            "active": alert.active,
            "readings": {name: _number(v) for name, v in alert.readings.items()},
            "detail": alert.detail,
        }
    )


def status_payload(when: datetime, online: bool) -> bytes:
    """`{"time": ISO 8601 with zone, "online": bool}`."""
    if when.tzinfo is None:
        raise ValueError("status time needs a time zone")
    return _encode({"time": when.isoformat(timespec="milliseconds"), "online": online})
