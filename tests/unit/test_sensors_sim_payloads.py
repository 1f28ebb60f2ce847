"""MQTT topics and payloads per docs/mqtt.md, checked with the ingestor's own helpers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from sensors_sim.failures import SITE_TZ
from sensors_sim.fleet import build_fleet
from sensors_sim.payloads import alert_payload, status_payload, telemetry_payload, topic
from sensors_sim.run import parse_broker
from sensors_sim.world import World
from services.ingestor.domain.model import ClockState
from services.ingestor.formats.base import Notes

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=SITE_TZ)
ALERT_TYPES = {
    "leak", "moisture_high", "power_outage", "voltage_out_of_range", "elevator_fault",
    "door_faults", "entrapment",
}  # fmt: skip


def parse_time(value: object, received_at: datetime) -> datetime:
    """The ingestor's reading of a time, which must be used as it is."""
    notes = Notes(received_at)
    when = notes.time(value)
    assert (notes.clock, notes.skipped) == (ClockState.OK, [])
    return when


def number(name: str, value: object) -> float | None:
    notes = Notes(NOW)
    found = notes.number(name, value)
    assert notes.skipped == []
    return found


def test_topics() -> None:
    assert topic("demo", "leak-A-03-riser", "telemetry") == "maint/demo/leak-A-03-riser/telemetry"
    assert topic("demo", "elev-A-E1", "status") == "maint/demo/elev-A-E1/status"


def test_every_device_telemetry_is_valid_native_json() -> None:
    fleet = build_fleet()
    world = World(fleet, seed=1)
    for device in fleet:
        raw = telemetry_payload(NOW, world.sample(device, NOW.timestamp(), 60))
        assert len(raw) < 64 * 1024
        body = json.loads(raw)
        assert set(body) == {"time", "metrics"}
        assert parse_time(body["time"], NOW.astimezone(UTC)) == NOW
        assert datetime.fromisoformat(body["time"]).utcoffset() == timedelta(hours=8)
        assert body["metrics"]
        for name, value in body["metrics"].items():
            assert number(name, value) == value


def test_alert_payloads_are_valid_native_json() -> None:
    fleet = build_fleet()
    world = World(fleet, seed=2)
    alerts = world.alerts(NOW - timedelta(days=120), NOW)
    assert {a.type for a in alerts} == ALERT_TYPES
    for alert in alerts:
        body = json.loads(alert_payload(NOW, alert))
        assert set(body) == {"time", "type", "active", "readings", "detail"}
        assert parse_time(body["time"], NOW.astimezone(UTC)) == NOW
        assert body["type"] == alert.type and body["active"] is alert.active
        assert all(number(k, v) == v for k, v in body["readings"].items()) and body["readings"]
        assert body["detail"]


@pytest.mark.parametrize("online", [True, False])
def test_status_payload(online: bool) -> None:
    body = json.loads(status_payload(NOW, online))
    assert body == {"time": "2026-11-22T10:00:00.000+08:00", "online": online}
    assert parse_time(body["time"], NOW) == NOW


def test_times_need_a_zone() -> None:
    with pytest.raises(ValueError, match="time zone"):
        telemetry_payload(datetime(2026, 11, 22), {"voltage": 230.0})
    with pytest.raises(ValueError, match="time zone"):
        status_payload(datetime(2026, 11, 22), True)


def test_integral_values_are_sent_as_integers() -> None:
    body = json.loads(telemetry_payload(NOW, {"water_leak": 1.0, "voltage": 229.5}))
    assert body["metrics"] == {"water_leak": 1, "voltage": 229.5}
    assert isinstance(body["metrics"]["water_leak"], int)


def test_parse_broker() -> None:
    assert parse_broker("mqtt://127.0.0.1:1884") == ("127.0.0.1", 1884, "", "", False)
    assert parse_broker("mqtt://localhost") == ("localhost", 1883, "", "", False)
    assert parse_broker("mqtts://sim:p%40ss@broker") == ("broker", 8883, "sim", "p@ss", True)
    with pytest.raises(ValueError, match="mqtt\\[s\\]://"):
        parse_broker("http://127.0.0.1:1883")
