"""Sensors raise tickets with no human in the loop: MQTT in, tickets out over REST."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

from tests.e2e.helpers import event_types, transition, wait_for
from tests.e2e.mqtt import Publisher, now_iso
from tests.e2e.system import System

Login = Callable[[str], httpx.Client]


@pytest.fixture(scope="module")
def pub(system: System) -> Iterator[Publisher]:
    publisher = Publisher(system.mqtt_port)
    yield publisher
    publisher.close()


def _device(kind: str, floor: str, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "location": {"site": "demo", "building": "B", "floor": floor}, **extra}


def _register(admin: httpx.Client, device_id: str, body: dict[str, Any]) -> None:
    reply = admin.put(f"/v1/devices/{device_id}", json=body)
    assert reply.status_code in (200, 201), reply.text


def _sensor_tickets(client: httpx.Client, device_id: str) -> list[dict[str, Any]]:
    reply = client.get(
        "/v1/tickets", params={"source": "sensor", "device_id": device_id, "limit": 50}
    )
    assert reply.status_code == 200, reply.text
    items: list[dict[str, Any]] = reply.json()["items"]
    return items


def test_device_registry_over_rest(as_user: Login) -> None:
    admin = as_user("admin")
    first = admin.put(
        "/v1/devices/leak-B-7-riser", json=_device("leak", "7", expected_interval_s=60)
    )
    assert first.status_code == 201, first.text
    again = admin.put(
        "/v1/devices/leak-B-7-riser", json=_device("leak", "7", expected_interval_s=120)
    )
    assert (again.status_code, again.json()["expected_interval_s"]) == (200, 120)
    csv = "device_id,kind,site,building,floor,format,source_topic\nz2m-1,leak,demo,B,7,zigbee2mqtt,kitchen_leak\n"
    imported = admin.post("/v1/devices/import", content=csv, headers={"content-type": "text/csv"})
    assert imported.json() == {"created": 1, "updated": 0}, imported.text
    listed = admin.get("/v1/devices", params={"building": "B"}).json()["items"]
    assert {"leak-B-7-riser", "z2m-1"} <= {d["device_id"] for d in listed}
    assert as_user("tenant1").get("/v1/devices").status_code == 403
    bad = admin.put("/v1/devices/x", json=_device("leak", "7", format="tasmota"))
    assert bad.status_code == 422 and "source_topic" in bad.json()["detail"]
    assert admin.get("/v1/devices/nope").status_code == 404
    broken = admin.post(
        "/v1/devices/import",
        content="device_id,kind\nq,leak\n",
        headers={"content-type": "text/csv"},
    )
    assert broken.status_code == 422


def test_leak_alert_opens_one_ticket_and_records_repeats_and_clear(
    as_user: Login, pub: Publisher
) -> None:
    admin = as_user("admin")
    _register(admin, "leak-B-3-riser", _device("leak", "3", location={"site": "demo", "building": "B",
                                                                      "floor": "3", "asset": "riser-B-3"}))  # fmt: skip
    fired = now_iso()
    alert = {"time": fired, "type": "leak", "readings": {"moisture": 91}}
    pub.send("maint/demo/leak-B-3-riser/alert", alert)
    tickets = wait_for(lambda: _sensor_tickets(admin, "leak-B-3-riser"))
    ticket = tickets[0]
    assert (ticket["priority"], ticket["source"], ticket["category"], ticket["kind"]) == (
        "P1", "sensor", "plumbing", "repair",
    )  # fmt: skip
    assert ticket["location"]["floor"] == "3" and ticket["attributes"]["alert_type"] == "leak"
    # When the alert fired, for analytics' alert-to-ticket latency: the message's own time.
    assert datetime.fromisoformat(ticket["attributes"]["alerted_at"]) == datetime.fromisoformat(
        fired
    )
    pub.send("maint/demo/leak-B-3-riser/alert", alert)  # the same message again: a redelivery
    later = datetime.now(UTC) + timedelta(seconds=1)
    pub.send("maint/demo/leak-B-3-riser/alert", {**alert, "time": later.isoformat()})
    pub.send("maint/demo/leak-B-3-riser/alert", {"time": (later + timedelta(seconds=1)).isoformat(),
                                                 "type": "leak", "active": False})  # fmt: skip
    types = wait_for(lambda: (t := event_types(admin, ticket["id"])) and "sensor_clear" in t and t)
    assert types.count("sensor_repeat") == 1
    assert len(_sensor_tickets(admin, "leak-B-3-riser")) == 1


def test_devices_on_one_floor_roll_up_into_one_ticket(as_user: Login, pub: Publisher) -> None:
    admin = as_user("admin")
    ids = [f"leak-B-4-{n}" for n in range(4)]
    for device_id in ids:
        _register(admin, device_id, _device("leak", "4"))
    for device_id in ids:
        pub.send(
            f"maint/demo/{device_id}/telemetry",
            {"time": now_iso(), "metrics": {"water_leak": True}},
        )
    first = wait_for(lambda: _sensor_tickets(admin, ids[0]))[0]
    types = wait_for(
        lambda: (t := event_types(admin, first["id"])).count("sensor_device_added") == 3 and t
    )
    assert types.count("sensor_device_added") == 3
    for device_id in ids[1:]:
        assert _sensor_tickets(admin, device_id) == []


def test_telemetry_updates_the_device_and_derives_alerts(as_user: Login, pub: Publisher) -> None:
    admin = as_user("admin")
    _register(admin, "panel-B-5", _device("power", "5"))
    pub.send(
        "maint/demo/panel-B-5/telemetry",
        {"time": now_iso(), "metrics": {"voltage": 229.5, "current": 3}},
    )
    device = wait_for(
        lambda: (d := admin.get("/v1/devices/panel-B-5").json())["last_seen_at"] and d
    )
    assert device["last_values"] == {"voltage": 229.5, "current": 3.0}
    pub.send("maint/demo/panel-B-5/telemetry", {"time": now_iso(), "metrics": {"voltage": 262.0}})
    ticket = wait_for(lambda: _sensor_tickets(admin, "panel-B-5"))[0]
    assert (ticket["priority"], ticket["category"]) == ("P2", "electrical")
    assert ticket["attributes"]["alert_type"] == "voltage_out_of_range"


def test_bad_messages_are_dead_lettered_and_lose_nothing_else(
    as_user: Login, pub: Publisher, system: System
) -> None:
    admin = as_user("admin")
    _register(admin, "panel-B-6", _device("power", "6"))
    for topic, payload in [
        ("maint/demo/panel-B-6/telemetry", b"{not json"),
        ("maint/demo/panel-B-6/telemetry", b'{"metrics": {"voltage": "high"}}'),
        ("maint/demo/ghost-device/telemetry", b'{"metrics": {"voltage": 1}}'),
        ("maint/demo/panel-B-6/telemetry", b'{"metrics": {"volt\\u0000age": 1}}'),
        ("maint/demo/panel-B-6/telemetry", b"x" * 70_000),
    ]:
        pub.send(topic, payload)
    pub.send("maint/demo/panel-B-6/telemetry", {"time": now_iso(), "metrics": {"voltage": 231.0}})
    wait_for(
        lambda: admin.get("/v1/devices/panel-B-6").json()["last_values"].get("voltage") == 231.0
    )
    with psycopg.connect(system.database_url) as conn:
        reasons = {r[0] for r in conn.execute(
            "SELECT reason FROM ingestor.dead_letters WHERE topic LIKE 'maint/demo/%%-B-6/%%'"
            " OR topic LIKE 'maint/demo/ghost-device/%%'"
        ).fetchall()}  # fmt: skip
    assert {"bad_json", "bad_type", "unknown_device", "bad_name", "too_large"} <= reasons


def test_a_device_with_a_wrong_clock_is_heard_and_flagged(as_user: Login, pub: Publisher) -> None:
    admin = as_user("admin")
    _register(admin, "panel-B-9", _device("power", "9"))
    pub.send("maint/demo/panel-B-9/telemetry",
             {"time": "2999-01-01T00:00:00Z", "metrics": {"voltage": 229.0}})  # fmt: skip
    device = wait_for(lambda: (d := admin.get("/v1/devices/panel-B-9").json())["clock"] and d)
    assert device["clock"] == "skewed" and device["clock_offset_s"] > 300 * 365 * 86400
    assert device["last_values"] == {"voltage": 229.0}
    seen = datetime.fromisoformat(device["last_seen_at"])
    assert abs((seen - datetime.now(UTC)).total_seconds()) < 60  # the receive time
    pub.send("maint/demo/panel-B-9/telemetry", {"time": now_iso(), "metrics": {"voltage": 230.0}})
    assert wait_for(lambda: admin.get("/v1/devices/panel-B-9").json()["clock"] == "ok")


def test_hostile_messages_never_silence_a_leak(
    as_user: Login, pub: Publisher, system: System
) -> None:
    """What stalled every sensor before: a NUL, an over-long name, a number past a float,
    deep nesting, invalid UTF-8; then a Zigbee2MQTT leak with a number written as a string."""
    admin = as_user("admin")
    _register(admin, "panel-B-10", _device("power", "10"))
    _register(admin, "z2m-leak-B-10", _device("leak", "10", format="zigbee2mqtt",
                                              source_topic="B10 kitchen leak"))  # fmt: skip
    for payload in [
        b'{"metrics": {"v\\u0000": 1}}',
        b'{"metrics": {"%s": 1}}' % (b"v" * 5000),
        b'{"metrics": {"voltage": 1%s}}' % (b"0" * 400),
        b"[" * 20_000,
        b"\xff\xfe\x00",
        b'{"time": "\\ud800", "metrics": {"voltage": 229}}',
    ]:
        pub.send("maint/demo/panel-B-10/telemetry", payload)
        pub.send("maint/demo/panel-B-10/alert", payload)
    pub.send(
        "maint/demo/panel-B-10/alert", {"type": "power_outage", "detail": "nul\u0000 in detail"}
    )
    started = time.monotonic()
    pub.send("zigbee2mqtt/B10 kitchen leak",
             {"battery": "80.00", "water_leak": True, "linkquality": 120})  # fmt: skip
    ticket = wait_for(lambda: _sensor_tickets(admin, "z2m-leak-B-10"), timeout_s=10)[0]
    assert time.monotonic() - started < 5
    assert ticket["priority"] == "P1"
    assert _sensor_tickets(admin, "panel-B-10")  # the alert with a NUL in its detail, cleaned


def test_a_silent_device_opens_a_low_priority_ticket_and_its_return_is_recorded(
    as_user: Login, pub: Publisher
) -> None:
    admin = as_user("admin")
    _register(admin, "elevator-B-E9", _device("elevator", "1", expected_interval_s=1))
    pub.send(
        "maint/demo/elevator-B-E9/telemetry", {"time": now_iso(), "metrics": {"fault_code": 0}}
    )
    ticket = wait_for(lambda: _sensor_tickets(admin, "elevator-B-E9"), timeout_s=15)[0]
    assert (ticket["priority"], ticket["attributes"]["alert_type"]) == ("P4", "device_offline")
    assert admin.get("/v1/devices/elevator-B-E9").json()["online"] is False
    pub.send(
        "maint/demo/elevator-B-E9/telemetry", {"time": now_iso(), "metrics": {"fault_code": 0}}
    )
    wait_for(lambda: "sensor_clear" in event_types(admin, ticket["id"]))


def test_a_resolved_incident_lets_the_next_alert_open_a_new_ticket(
    as_user: Login, pub: Publisher
) -> None:
    admin = as_user("admin")
    _register(admin, "elevator-B-E3", _device("elevator", "2"))
    pub.send("maint/demo/elevator-B-E3/alert", {"time": now_iso(), "type": "entrapment"})
    first = wait_for(lambda: _sensor_tickets(admin, "elevator-B-E3"))[0]
    assert first["priority"] == "P1"
    transition(admin, first["id"], "assign", assignee="tech2")
    assert transition(admin, first["id"], "resolve").json()["status"] == "resolved"
    time.sleep(1.0)  # the ingestor follows the event log and closes the incident
    pub.send("maint/demo/elevator-B-E3/alert", {"time": now_iso(), "type": "entrapment"})
    tickets = wait_for(lambda: (t := _sensor_tickets(admin, "elevator-B-E3")) and len(t) == 2 and t)
    assert len(tickets) == 2


def test_a_leak_at_a_floor_removed_behind_the_apis_back_opens_a_ticket_one_level_up(
    as_user: Login, pub: Publisher, system: System
) -> None:
    """The API refuses to delete a place a device uses; removed another way, the alert still
    becomes a ticket, at the nearest level that exists, flagged for a person to fix."""
    admin = as_user("admin")
    assert admin.put("/v1/sites/demo/buildings/Q").status_code == 201
    assert admin.put("/v1/sites/demo/buildings/Q/floors/1").status_code == 201
    _register(
        admin,
        "leak-Q-1",
        {"kind": "leak", "location": {"site": "demo", "building": "Q", "floor": "1"}},
    )
    with psycopg.connect(system.database_url) as conn:
        conn.execute("DELETE FROM intake.floors WHERE site = 'demo' AND building = 'Q'")
    pub.send("maint/demo/leak-Q-1/alert", {"type": "leak", "time": now_iso()})
    ticket = wait_for(lambda: _sensor_tickets(admin, "leak-Q-1"))[0]
    assert ticket["location"]["building"] == "Q" and ticket["location"]["floor"] is None
    assert ticket["priority"] == "P1"
    assert "no floor '1' of building 'Q'" in ticket["attributes"]["place_problem"]


def test_a_ticket_intake_refuses_ends_dead_not_retried_forever(
    as_user: Login, pub: Publisher, system: System
) -> None:
    """A whole site removed behind the API's back: intake answers INVALID_ARGUMENT, and the
    outbox gives the item up with its reason instead of retrying it forever; the next leak
    elsewhere still becomes a ticket."""
    admin = as_user("admin")
    assert admin.put("/v1/sites/gone", json={"name": "Gone"}).status_code == 201
    assert admin.put("/v1/sites/gone/buildings/A").status_code == 201
    assert admin.put("/v1/sites/gone/buildings/A/floors/1").status_code == 201
    _register(
        admin,
        "leak-gone",
        {"kind": "leak", "location": {"site": "gone", "building": "A", "floor": "1"}},
    )
    with psycopg.connect(system.database_url) as conn:
        for table in ("floors", "buildings"):
            conn.execute(f"DELETE FROM intake.{table} WHERE site = 'gone'")
        conn.execute("DELETE FROM intake.sites WHERE code = 'gone'")
    pub.send("maint/gone/leak-gone/alert", {"type": "leak", "time": now_iso()})

    def dead() -> list[tuple[object, ...]]:
        with psycopg.connect(system.database_url) as conn:
            return conn.execute(
                "SELECT o.last_error, o.attempts FROM ingestor.ticket_outbox o"
                " JOIN ingestor.incidents i ON i.id = o.incident_id"
                " WHERE 'leak-gone' = ANY(i.devices) AND o.dead_at IS NOT NULL"
            ).fetchall()

    (error, attempts), *_ = wait_for(dead)
    assert str(error).startswith("INVALID_ARGUMENT") and attempts == 1
    assert "no site 'gone'" in str(error)
    port = system.stack.env["INGESTOR_METRICS_PORT"]
    scraped = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    assert 'ingestor_outbox_dead_total{code="INVALID_ARGUMENT"} 1.0' in scraped
    assert "ingestor_seconds_since_last_commit" in scraped
    _register(admin, "leak-B-2-riser", _device("leak", "2"))
    pub.send("maint/demo/leak-B-2-riser/alert", {"type": "leak", "time": now_iso()})
    assert wait_for(lambda: _sensor_tickets(admin, "leak-B-2-riser"))


def test_a_device_at_a_place_intake_does_not_know_is_refused(as_user: Login) -> None:
    admin = as_user("admin")
    body = {"kind": "leak", "location": {"site": "demo", "building": "NOWHERE", "floor": "1"}}
    reply = admin.put("/v1/devices/leak-nowhere", json=body)
    assert reply.status_code == 422, reply.text
    assert "no building 'NOWHERE' at site 'demo'" in reply.json()["detail"]
    body["location"] = {"site": "demo", "building": "A", "floor": "99"}
    reply = admin.put("/v1/devices/leak-nowhere", json=body)
    assert reply.status_code == 422 and "no floor '99'" in reply.json()["detail"]
