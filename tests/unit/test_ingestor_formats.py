"""Pure unit tests of the MQTT payload formats: routing, parsing and every rejection.

Payloads are written as devices really send them (docs/mqtt.md, the Tasmota, Zigbee2MQTT
and Shelly Gen2 documentation); expected observations are written out by hand.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from maintenance.telemetry.v1 import telemetry_pb2

from services.ingestor.domain.model import (
    AlertSignal,
    AlertType,
    ClockState,
    Device,
    DeviceKind,
    Observation,
    PayloadFormat,
    Reading,
    Rejected,
    StatusSignal,
)
from services.ingestor.formats import ADAPTERS, SUBSCRIPTIONS, adapter_for, is_urgent, route
from services.ingestor.formats.base import Parsed, Route, Skipped

RECEIVED = datetime(2026, 11, 22, 2, 0, 30, tzinfo=UTC)
TWO_AM = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)

NATIVE = Device("meter-7", DeviceKind.POWER, "site-a", "B1", "3", PayloadFormat.NATIVE)
ZIGBEE_LEAK = Device(
    "leak-12",
    DeviceKind.LEAK,
    "site-a",
    "B1",
    "3",
    PayloadFormat.ZIGBEE2MQTT,
    source_topic="B1/3F/kitchen leak",
)
ZIGBEE_PLUG = Device(
    "plug-3",
    DeviceKind.POWER,
    "site-a",
    "B1",
    "3",
    PayloadFormat.ZIGBEE2MQTT,
    source_topic="plug-3",
)
TASMOTA = Device(
    "meter-9",
    DeviceKind.POWER,
    "site-a",
    "B1",
    "B2",
    PayloadFormat.TASMOTA,
    source_topic="pump-room",
)
SHELLY_ID = "shellyplus1pm-a8032ab12345"
SHELLY = Device(
    "pump-1",
    DeviceKind.POWER,
    "site-a",
    "B1",
    "B2",
    PayloadFormat.SHELLY_GEN2,
    source_topic=SHELLY_ID,
)


def parsed(topic: str, payload: bytes, device: Device) -> Parsed:
    found = route(topic)
    assert found is not None, topic
    return adapter_for(found.format).parse(found, payload, device, RECEIVED)


def parse(topic: str, payload: bytes, device: Device) -> list[Observation]:
    return parsed(topic, payload, device).observations


def reason(topic: str, payload: bytes, device: Device) -> str:
    with pytest.raises(Rejected) as info:
        parse(topic, payload, device)
    return info.value.reason


def iso(when: datetime) -> bytes:
    return when.isoformat().encode()


# ---------------------------------------------------------------------------------------
# Routing
# ---------------------------------------------------------------------------------------

N, Z, T, S = (
    PayloadFormat.NATIVE,
    PayloadFormat.ZIGBEE2MQTT,
    PayloadFormat.TASMOTA,
    PayloadFormat.SHELLY_GEN2,
)

ROUTES: list[tuple[str, Route | None]] = [
    ("maint/site-a/meter-7/telemetry", Route(N, "telemetry", device_id="meter-7")),
    ("maint/site-a/meter-7/alert", Route(N, "alert", device_id="meter-7")),
    ("maint/site-a/meter-7/status", Route(N, "status", device_id="meter-7")),
    ("maint/site-a/meter-7/telemetry/pb", Route(N, "telemetry/pb", device_id="meter-7")),
    ("maint/site-a/meter-7/alert/pb", Route(N, "alert/pb", device_id="meter-7")),
    ("maint/site-a/meter-7/status/pb", Route(N, "status/pb", device_id="meter-7")),
    ("maint/site-a/meter-7/config", None),
    ("maint/site-a/meter-7/telemetry/json", None),
    ("maint/site-a/meter-7/telemetry/pb/x", None),
    ("maint/site-a//telemetry", None),
    ("maint//meter-7/telemetry", None),
    ("maint/meter-7/telemetry", None),
    ("maint/online", None),
    ("maint/events/rpc", None),
    ("zigbee2mqtt/plug-3", Route(Z, "state", source_topic="plug-3")),
    ("zigbee2mqtt/B1/3F/kitchen leak", Route(Z, "state", source_topic="B1/3F/kitchen leak")),
    (
        "zigbee2mqtt/B1/3F/kitchen leak/availability",
        Route(Z, "availability", source_topic="B1/3F/kitchen leak"),
    ),
    ("zigbee2mqtt/online", Route(Z, "state", source_topic="online")),
    ("zigbee2mqtt/events/rpc", Route(Z, "state", source_topic="events/rpc")),
    ("zigbee2mqtt/bridge/state", None),
    ("zigbee2mqtt/bridge/devices", None),
    ("zigbee2mqtt/plug-3/set", None),
    ("zigbee2mqtt/plug-3/get", None),
    ("zigbee2mqtt/plug-3/set/state", None),
    ("zigbee2mqtt/", None),
    ("zigbee2mqtt", None),
    ("tele/pump-room/SENSOR", Route(T, "SENSOR", source_topic="pump-room")),
    ("tele/pump-room/LWT", Route(T, "LWT", source_topic="pump-room")),
    ("tele/pump-room/STATE", None),
    ("tele/pump-room/INFO1", None),
    ("tele//SENSOR", None),
    ("tele/online", None),
    ("tele/events/rpc", None),
    ("stat/pump-room/POWER", None),
    (f"{SHELLY_ID}/events/rpc", Route(S, "events/rpc", source_topic=SHELLY_ID)),
    (f"{SHELLY_ID}/online", Route(S, "online", source_topic=SHELLY_ID)),
    (f"{SHELLY_ID}/status/switch:0", None),
    (f"{SHELLY_ID}/events/rpc/x", None),
    ("/online", None),
    ("", None),
]


@pytest.mark.parametrize(("topic", "expected"), ROUTES)
def test_route(topic: str, expected: Route | None) -> None:
    assert route(topic) == expected


@pytest.mark.parametrize(("topic", "expected"), ROUTES)
def test_at_most_one_adapter_claims_a_topic(topic: str, expected: Route | None) -> None:
    claims = [adapter.format for adapter in ADAPTERS if adapter.route(topic) is not None]
    assert claims == ([] if expected is None else [expected.format])


def test_subscriptions_and_adapters() -> None:
    assert SUBSCRIPTIONS == (
        "maint/+/+/+",
        "maint/+/+/+/pb",
        "zigbee2mqtt/#",
        "tele/+/SENSOR",
        "tele/+/LWT",
        "+/events/rpc",
        "+/online",
    )
    assert sorted(adapter.format for adapter in ADAPTERS) == sorted(PayloadFormat)
    for fmt in PayloadFormat:
        assert adapter_for(fmt).format is fmt


@pytest.mark.parametrize(
    ("topic", "urgent"),
    [
        ("maint/site-a/meter-7/alert", True),
        ("maint/site-a/meter-7/status", True),
        ("maint/site-a/meter-7/alert/pb", True),
        ("maint/site-a/meter-7/status/pb", True),
        ("zigbee2mqtt/B1/3F/kitchen leak/availability", True),
        ("tele/tasmota_1A2B3C/LWT", True),
        ("shellyplus1pm-a8032ab12345/online", True),
        ("maint/site-a/meter-7/telemetry", False),
        ("maint/site-a/meter-7/telemetry/pb", False),
        ("zigbee2mqtt/B1/3F/kitchen leak", False),
        ("tele/tasmota_1A2B3C/SENSOR", False),
        ("shellyplus1pm-a8032ab12345/events/rpc", False),
    ],
)
def test_alerts_and_status_are_urgent_telemetry_is_not(topic: str, urgent: bool) -> None:
    assert is_urgent(topic) is urgent


# ---------------------------------------------------------------------------------------
# Native JSON
# ---------------------------------------------------------------------------------------

TELEMETRY = "maint/site-a/meter-7/telemetry"
ALERT = "maint/site-a/meter-7/alert"
STATUS = "maint/site-a/meter-7/status"


def test_native_telemetry() -> None:
    payload = b'{"time": "2026-11-22T02:00:00Z", "metrics": {"voltage": 229.5, "current": 3.1}}'
    assert parse(TELEMETRY, payload, NATIVE) == [
        Reading("meter-7", TWO_AM, {"voltage": 229.5, "current": 3.1})
    ]


def test_native_telemetry_booleans_count_as_numbers_and_time_defaults_to_receipt() -> None:
    payload = b'{"metrics": {"water_leak": true, "entrapment": false, "door_faults": 2}}'
    assert parse(TELEMETRY, payload, NATIVE) == [
        Reading("meter-7", RECEIVED, {"water_leak": 1.0, "entrapment": 0.0, "door_faults": 2.0})
    ]


def test_native_telemetry_without_metrics_is_a_heartbeat() -> None:
    assert parse(TELEMETRY, b'{"time": 1795312800, "metrics": {}}', NATIVE) == [
        Reading("meter-7", TWO_AM, {})
    ]


def test_native_alert() -> None:
    payload = (
        b'{"time": 1795312800, "type": "leak", "active": true, "readings": {"moisture": 87},'
        b' "detail": "riser B-3"}'
    )
    assert parse(ALERT, payload, NATIVE) == [
        AlertSignal("meter-7", TWO_AM, AlertType.LEAK, True, {"moisture": 87.0}, "riser B-3")
    ]


def test_native_alert_defaults_to_active_and_clears_with_active_false() -> None:
    raised = parse(ALERT, b'{"type": "power_outage", "time": 1795312800.5}', NATIVE)
    cleared = parse(ALERT, b'{"type": "power_outage", "active": false}', NATIVE)
    half_past = TWO_AM + timedelta(milliseconds=500)
    assert raised == [AlertSignal("meter-7", half_past, AlertType.POWER_OUTAGE, True)]
    assert cleared == [AlertSignal("meter-7", RECEIVED, AlertType.POWER_OUTAGE, False)]


def test_native_status_object_with_zone() -> None:
    payload = b'{"time": "2026-11-22T02:00:00+08:00", "online": false}'
    assert parse(STATUS, payload, NATIVE) == [
        StatusSignal("meter-7", datetime(2026, 11, 21, 18, 0, tzinfo=UTC), False)
    ]


@pytest.mark.parametrize(
    ("payload", "online"), [(b"online", True), (b"offline", False), (b" offline\n", False)]
)
def test_native_status_bare_string(payload: bytes, online: bool) -> None:
    assert parse(STATUS, payload, NATIVE) == [StatusSignal("meter-7", RECEIVED, online)]


# ---------------------------------------------------------------------------------------
# Native protobuf
# ---------------------------------------------------------------------------------------


def pb_telemetry(when: datetime | None, **metrics: float) -> bytes:
    message = telemetry_pb2.TelemetryPayload(metrics=metrics)
    if when is not None:
        message.time.FromDatetime(when)
    return message.SerializeToString()


def pb_alert(alert_type: str, *, active: bool = True, seconds: int = 0) -> bytes:
    message = telemetry_pb2.AlertPayload(type=alert_type, active=active)
    message.time.seconds = seconds
    return message.SerializeToString()


def test_protobuf_telemetry_round_trip() -> None:
    payload = pb_telemetry(TWO_AM, voltage=229.5, current=3.1)
    assert parse(TELEMETRY + "/pb", payload, NATIVE) == [
        Reading("meter-7", TWO_AM, {"voltage": 229.5, "current": 3.1})
    ]


def test_protobuf_zero_time_means_receipt() -> None:
    assert parse(TELEMETRY + "/pb", pb_telemetry(None, moisture=12.0), NATIVE) == [
        Reading("meter-7", RECEIVED, {"moisture": 12.0})
    ]


def test_protobuf_alert_round_trip() -> None:
    message = telemetry_pb2.AlertPayload(
        type="entrapment", active=True, readings={"entrapment": 1.0}, detail="car 2"
    )
    message.time.FromDatetime(TWO_AM)
    assert parse(ALERT + "/pb", message.SerializeToString(), NATIVE) == [
        AlertSignal("meter-7", TWO_AM, AlertType.ENTRAPMENT, True, {"entrapment": 1.0}, "car 2")
    ]


def test_protobuf_alert_without_active_is_a_clear() -> None:
    assert parse(ALERT + "/pb", pb_alert("leak", active=False), NATIVE) == [
        AlertSignal("meter-7", RECEIVED, AlertType.LEAK, False)
    ]


def test_protobuf_status_round_trip() -> None:
    message = telemetry_pb2.StatusPayload(online=True)
    message.time.FromDatetime(TWO_AM)
    assert parse(STATUS + "/pb", message.SerializeToString(), NATIVE) == [
        StatusSignal("meter-7", TWO_AM, True)
    ]
    # Offline at an unknown time encodes as no bytes at all.
    assert parse(STATUS + "/pb", b"", NATIVE) == [StatusSignal("meter-7", RECEIVED, False)]


# ---------------------------------------------------------------------------------------
# Native rejections
# ---------------------------------------------------------------------------------------

NATIVE_REJECTIONS: list[tuple[str, bytes, str]] = [
    (TELEMETRY, b'{"metrics": {"voltage": 229.5\xff}}', "bad_json"),
    (TELEMETRY, b"\xef\xbb\xbf{}", "bad_json"),
    (TELEMETRY, b'{"metrics": {"voltage": 229.5}', "bad_json"),
    (TELEMETRY, b"", "bad_json"),
    (TELEMETRY, b'{"metrics": {"voltage": NaN}}', "bad_json"),
    (TELEMETRY, b'{"metrics": {"voltage": -Infinity}}', "bad_json"),
    (TELEMETRY, b"[" * 100_000, "bad_json"),
    (TELEMETRY, b'{"metrics": {"voltage": 1e999}}', "bad_type"),
    (TELEMETRY, b'[{"metrics": {}}]', "bad_type"),
    (TELEMETRY, b'"online"', "bad_type"),
    (TELEMETRY, b"42", "bad_type"),
    (TELEMETRY, b'{"time": 1795312800}', "missing_field"),
    (TELEMETRY, b'{"metrics": null}', "missing_field"),
    (TELEMETRY, b'{"metrics": [229.5]}', "bad_type"),
    (TELEMETRY, b'{"metrics": {"voltage": null}}', "bad_type"),
    (TELEMETRY, b'{"metrics": {"voltage": "high"}}', "bad_type"),
    (TELEMETRY, b'{"metrics": {"": 1}}', "bad_name"),
    (TELEMETRY, b'{"metrics": {"volt\\u0000age": 1}}', "bad_name"),
    (TELEMETRY, b'{"metrics": {"%s": 1}}' % (b"v" * 65), "bad_name"),
    (TELEMETRY, b'{"metrics": {"voltage": 1%s}}' % (b"0" * 400), "bad_type"),
    (STATUS, b'{"online": "perhaps"}', "bad_type"),
    (TELEMETRY, b'{"metrics": {"voltage": {"value": 229.5}}}', "bad_type"),
    (ALERT, b'{"type": "fire"}', "bad_value"),
    (ALERT, b'{"type": "device_offline"}', "bad_value"),
    (ALERT, b'{"type": ""}', "missing_field"),
    (ALERT, b'{"active": true}', "missing_field"),
    (ALERT, b'{"type": 1}', "bad_type"),
    (STATUS, b"maybe", "bad_json"),
    (STATUS, b'"online"', "bad_type"),
    (STATUS, b"{}", "missing_field"),
    (TELEMETRY + "/pb", b"\xff\xff\xff", "bad_protobuf"),
    (TELEMETRY + "/pb", b'{"metrics": {}}', "bad_protobuf"),
    (ALERT + "/pb", b"\x12\x02\xff\xfe", "bad_protobuf"),
    (TELEMETRY + "/pb", pb_telemetry(TWO_AM, voltage=float("nan")), "bad_type"),
    (TELEMETRY + "/pb", pb_telemetry(TWO_AM, voltage=float("inf")), "bad_type"),
    (ALERT + "/pb", pb_alert("fire"), "bad_value"),
    (ALERT + "/pb", pb_alert("device_offline"), "bad_value"),
    (ALERT + "/pb", pb_alert(""), "missing_field"),
]


@pytest.mark.parametrize(("topic", "payload", "expected"), NATIVE_REJECTIONS)
def test_native_rejections(topic: str, payload: bytes, expected: str) -> None:
    assert reason(topic, payload, NATIVE) == expected


@pytest.mark.parametrize("channel", ["telemetry", "alert", "status", "telemetry/pb"])
def test_native_device_must_match_topic(channel: str) -> None:
    topic = f"maint/site-a/meter-8/{channel}"
    assert reason(topic, b'{"metrics": {}}', NATIVE) == "device_mismatch"


# ---------------------------------------------------------------------------------------
# Zigbee2MQTT
# ---------------------------------------------------------------------------------------

LEAK_STATE = "zigbee2mqtt/B1/3F/kitchen leak"
PLUG_STATE = "zigbee2mqtt/plug-3"


def test_zigbee_leak_sensor_state() -> None:
    payload = (
        b'{"battery": 100, "battery_low": false, "linkquality": 120, "tamper": false,'
        b' "water_leak": true}'
    )
    assert parse(LEAK_STATE, payload, ZIGBEE_LEAK) == [
        Reading("leak-12", RECEIVED, {"water_leak": 1.0, "battery": 100.0, "linkquality": 120.0})
    ]


def test_zigbee_plug_state_with_iso_last_seen() -> None:
    payload = (
        b'{"current": 0.05, "energy": 1.23, "linkquality": 80, "power": 12.3, "state": "ON",'
        b' "voltage": 229, "last_seen": "2026-11-22T01:59:58.123Z"}'
    )
    assert parse(PLUG_STATE, payload, ZIGBEE_PLUG) == [
        Reading(
            "plug-3",
            datetime(2026, 11, 22, 1, 59, 58, 123000, tzinfo=UTC),
            {"linkquality": 80.0, "voltage": 229.0, "power": 12.3, "current": 0.05},
        )
    ]


def test_zigbee_last_seen_in_epoch_milliseconds() -> None:
    payload = b'{"temperature": 21.5, "humidity": 40, "last_seen": 1795312798123}'
    assert parse(PLUG_STATE, payload, ZIGBEE_PLUG) == [
        Reading(
            "plug-3",
            datetime(2026, 11, 22, 1, 59, 58, 123000, tzinfo=UTC),
            {"temperature": 21.5, "humidity": 40.0},
        )
    ]


def test_zigbee_null_known_keys_are_skipped_and_unknown_keys_ignored() -> None:
    assert parse(PLUG_STATE, b'{"battery": null, "temperature": 21.5}', ZIGBEE_PLUG) == [
        Reading("plug-3", RECEIVED, {"temperature": 21.5})
    ]
    assert parse(PLUG_STATE, b'{"state": "ON", "update": {"state": "idle"}}', ZIGBEE_PLUG) == [
        Reading("plug-3", RECEIVED, {})
    ]


@pytest.mark.parametrize(
    ("payload", "online"),
    [
        (b'{"state": "online"}', True),
        (b'{"state": "offline"}', False),
        (b"online", True),
        (b"offline", False),
    ],
)
def test_zigbee_availability(payload: bytes, online: bool) -> None:
    topic = LEAK_STATE + "/availability"
    assert parse(topic, payload, ZIGBEE_LEAK) == [StatusSignal("leak-12", RECEIVED, online)]


@pytest.mark.parametrize(
    ("topic", "payload", "expected"),
    [
        (PLUG_STATE, b'{"battery": "full"}', "bad_type"),
        (PLUG_STATE, b'{"power": [12.3]}', "bad_type"),
        (PLUG_STATE, b"ON", "bad_json"),
        (PLUG_STATE, b"[]", "bad_type"),
        (PLUG_STATE + "/availability", b'{"state": "unknown"}', "bad_value"),
        (PLUG_STATE + "/availability", b'{"status": "online"}', "missing_field"),
        (PLUG_STATE + "/availability", b'{"state": true}', "bad_type"),
        (PLUG_STATE + "/availability", b"maybe", "bad_json"),
        (LEAK_STATE, b'{"water_leak": false}', "device_mismatch"),
    ],
)
def test_zigbee_rejections(topic: str, payload: bytes, expected: str) -> None:
    assert reason(topic, payload, ZIGBEE_PLUG) == expected


# ---------------------------------------------------------------------------------------
# Tasmota
# ---------------------------------------------------------------------------------------

SENSOR = "tele/pump-room/SENSOR"
LWT = "tele/pump-room/LWT"
ENERGY = (
    b'"ENERGY": {"TotalStartTime": "2024-01-01T00:00:00", "Total": 12.345, "Yesterday": 1.2,'
    b' "Today": 0.5, "Period": 0, "Power": 100, "ApparentPower": 110, "ReactivePower": 45,'
    b' "Factor": 0.91, "Voltage": 229, "Current": 0.48}'
)
ENERGY_METRICS = {
    "energy_total_kwh": 12.345,
    "energy_today_kwh": 0.5,
    "power": 100.0,
    "apparent_power": 110.0,
    "reactive_power": 45.0,
    "power_factor": 0.91,
    "voltage": 229.0,
    "current": 0.48,
}


def tasmota(**thresholds: float) -> Device:
    return Device(
        "meter-9",
        DeviceKind.POWER,
        "site-a",
        "B1",
        "B2",
        PayloadFormat.TASMOTA,
        source_topic="pump-room",
        thresholds=thresholds,
    )


def test_tasmota_zone_less_time_without_an_offset_gives_way_to_the_receive_time() -> None:
    payload = b'{"Time": "2026-11-22T02:00:00", %s}' % ENERGY
    assert parsed(SENSOR, payload, TASMOTA) == Parsed(
        [Reading("meter-9", RECEIVED, ENERGY_METRICS)], clock=ClockState.NO_ZONE
    )
    assert parsed(SENSOR, payload, tasmota(utc_offset_h=0)) == Parsed(
        [Reading("meter-9", TWO_AM, ENERGY_METRICS)], clock=ClockState.OK
    )


@pytest.mark.parametrize(
    ("time", "offset", "expected"),
    [
        (b"2026-11-22T10:00:00", 8, TWO_AM),
        (b"2026-11-22T07:30:00", 5.5, TWO_AM),
        (b"2026-11-21T21:00:00", -5, TWO_AM),
        (b"2026-11-22T10:00:00+08:00", 0, TWO_AM),
        (b"2026-11-22T02:00:00Z", 8, TWO_AM),
    ],
)
def test_tasmota_local_time(time: bytes, offset: float, expected: datetime) -> None:
    payload = b'{"Time": "%s", "ENERGY": {"Power": 100}}' % time
    assert parse(SENSOR, payload, tasmota(utc_offset_h=offset)) == [
        Reading("meter-9", expected, {"power": 100.0})
    ]


def test_tasmota_several_channels() -> None:
    payload = (
        b'{"Time": "2026-11-22T02:00:00", "ENERGY": {"Total": 3.2, "Power": [12, 0],'
        b' "Voltage": 230, "Current": [0.052, 0.0], "Factor": [0.94, null]}}'
    )
    assert parse(SENSOR, payload, tasmota(utc_offset_h=0)) == [
        Reading(
            "meter-9",
            TWO_AM,
            {
                "voltage": 230.0,
                "current": 0.052,
                "current_1": 0.0,
                "power": 12.0,
                "power_1": 0.0,
                "power_factor": 0.94,
                "energy_total_kwh": 3.2,
            },
        )
    ]


def test_tasmota_sensor_without_energy_or_time() -> None:
    assert parse(SENSOR, b'{"DS18B20": {"Temperature": 21.4}}', TASMOTA) == [
        Reading("meter-9", RECEIVED, {})
    ]
    assert parse(SENSOR, b'{"ENERGY": {"Voltage": 229}}', TASMOTA) == [
        Reading("meter-9", RECEIVED, {"voltage": 229.0})
    ]


@pytest.mark.parametrize(("payload", "online"), [(b"Online", True), (b"Offline", False)])
def test_tasmota_last_will(payload: bytes, online: bool) -> None:
    assert parse(LWT, payload, TASMOTA) == [StatusSignal("meter-9", RECEIVED, online)]


@pytest.mark.parametrize(
    ("topic", "payload", "device", "expected"),
    [
        (LWT, b"Rebooting", TASMOTA, "bad_value"),
        (LWT, b"\xff", TASMOTA, "bad_json"),
        (SENSOR, b"Online", TASMOTA, "bad_json"),
        (SENSOR, b'{"ENERGY": "on"}', TASMOTA, "bad_type"),
        (SENSOR, b'{"ENERGY": {"Power": "100W"}}', TASMOTA, "bad_type"),
        (SENSOR, b'{"Time": "22/11/2026 02:00", "ENERGY": {}}', TASMOTA, "bad_time"),
        (SENSOR, b'{"Time": true, "ENERGY": {}}', TASMOTA, "bad_time"),
        (SENSOR, b'{"Time": "2026-11-22T02:00:00"}', tasmota(utc_offset_h=30), "bad_time"),
        ("tele/other/SENSOR", b'{"ENERGY": {}}', TASMOTA, "device_mismatch"),
    ],
)
def test_tasmota_rejections(topic: str, payload: bytes, device: Device, expected: str) -> None:
    assert reason(topic, payload, device) == expected


# ---------------------------------------------------------------------------------------
# Shelly Gen2
# ---------------------------------------------------------------------------------------

RPC = f"{SHELLY_ID}/events/rpc"
ONLINE = f"{SHELLY_ID}/online"
SHELLY_TS = datetime(2026, 11, 22, 2, 0, 0, 550000, tzinfo=UTC)


def test_shelly_notify_status() -> None:
    payload = (
        b'{"src": "shellyplus1pm-a8032ab12345", "dst": "shellyplus1pm-a8032ab12345/events",'
        b' "method": "NotifyStatus", "params": {"ts": 1795312800.55, "switch:0": {"id": 0,'
        b' "voltage": 229.1, "current": 0.05, "apower": 12.3, "aenergy": {"total": 1234.5},'
        b' "temperature": {"tC": 41.2, "tF": 106.2}}}}'
    )
    assert parse(RPC, payload, SHELLY) == [
        Reading(
            "pump-1",
            SHELLY_TS,
            {
                "voltage": 229.1,
                "current": 0.05,
                "power": 12.3,
                "energy_total": 1234.5,
                "temperature": 41.2,
            },
        )
    ]


def test_shelly_full_status_with_two_switches() -> None:
    payload = (
        b'{"src": "shellyplus1pm-a8032ab12345", "method": "NotifyFullStatus", "params": {'
        b'"ts": 1795312800.55, "sys": {"uptime": 3600}, "wifi": {"rssi": -60},'
        b' "switch:0": {"id": 0, "output": true, "apower": 12.3, "voltage": 229.1,'
        b' "aenergy": {"total": 1234.5, "by_minute": [1, 2, 3]}},'
        b' "switch:1": {"id": 1, "output": false, "apower": 0, "voltage": 229.4,'
        b' "aenergy": {"total": 10.0}, "temperature": {"tC": null, "tF": null}}}}'
    )
    assert parse(RPC, payload, SHELLY) == [
        Reading(
            "pump-1",
            SHELLY_TS,
            {
                "power": 12.3,
                "voltage": 229.1,
                "energy_total": 1234.5,
                "power_1": 0.0,
                "voltage_1": 229.4,
                "energy_total_1": 10.0,
            },
        )
    ]


def test_shelly_events_carry_nothing() -> None:
    payload = (
        b'{"method": "NotifyEvent", "params": {"ts": 1795312800.55, "events":'
        b' [{"component": "input:0", "event": "single_push"}]}}'
    )
    assert parse(RPC, payload, SHELLY) == []


def test_shelly_status_without_switches_is_a_heartbeat() -> None:
    payload = b'{"method": "NotifyStatus", "params": {"ts": 1795312800.55, "sys": {"uptime": 60}}}'
    assert parse(RPC, payload, SHELLY) == [Reading("pump-1", SHELLY_TS, {})]


def test_shelly_status_without_ts_uses_receipt() -> None:
    payload = b'{"method": "NotifyStatus", "params": {"switch:0": {"id": 0, "apower": 0}}}'
    assert parse(RPC, payload, SHELLY) == [Reading("pump-1", RECEIVED, {"power": 0.0})]


@pytest.mark.parametrize(("payload", "online"), [(b"true", True), (b"false", False)])
def test_shelly_online(payload: bytes, online: bool) -> None:
    assert parse(ONLINE, payload, SHELLY) == [StatusSignal("pump-1", RECEIVED, online)]


@pytest.mark.parametrize(
    ("topic", "payload", "expected"),
    [
        (ONLINE, b"yes", "bad_json"),
        (ONLINE, b'"true"', "bad_type"),
        (ONLINE, b"1", "bad_type"),
        (RPC, b"NotifyStatus", "bad_json"),
        (RPC, b'["NotifyStatus"]', "bad_type"),
        (RPC, b'{"params": {}}', "missing_field"),
        (RPC, b'{"method": 7, "params": {}}', "bad_type"),
        (RPC, b'{"method": "NotifyStatus"}', "missing_field"),
        (RPC, b'{"method": "NotifyStatus", "params": []}', "bad_type"),
        (RPC, b'{"method": "NotifyStatus", "params": {"switch:0": "on"}}', "bad_type"),
        (RPC, b'{"method": "NotifyStatus", "params": {"switch:0": {"aenergy": 5}}}', "bad_type"),
        (
            RPC,
            b'{"method": "NotifyStatus", "params": {"switch:0": {"temperature": {"tC": "hot"}}}}',
            "bad_type",
        ),
        ("shellyplus1pm-000000000000/online", b"true", "device_mismatch"),
    ],
)
def test_shelly_rejections(topic: str, payload: bytes, expected: str) -> None:
    assert reason(topic, payload, SHELLY) == expected


# ---------------------------------------------------------------------------------------
# Real devices are sloppy: their messages as found in each vendor's documentation, source and
# issue trackers. Nothing usable is lost; unreadable fields are skipped and said so.
# ---------------------------------------------------------------------------------------

NO_SKIPS: tuple[Skipped, ...] = ()
SLOPPY: list[tuple[str, bytes, Device, Parsed]] = [
    # Zigbee2MQTT: a numeric field as a string must not cost the leak (observed: "battery": "80.00").
    (
        LEAK_STATE,
        b'{"battery": "80.00", "voltage": 3005, "water_leak": true, "linkquality": 147}',
        ZIGBEE_LEAK,
        Parsed(
            [
                Reading(
                    "leak-12",
                    RECEIVED,
                    {"battery": 80.0, "voltage": 3005.0, "water_leak": 1.0, "linkquality": 147.0},
                )
            ]
        ),
    ),
    # An unreadable field is skipped, the leak is kept.
    (
        LEAK_STATE,
        b'{"battery": "full", "water_leak": "true", "battery_low": null, "unknown8": 3}',
        ZIGBEE_LEAK,
        Parsed(
            [Reading("leak-12", RECEIVED, {"water_leak": 1.0})], (Skipped("battery", "bad_type"),)
        ),
    ),
    # last_seen in the three forms Zigbee2MQTT has (epoch ms, ISO with Z, local with offset).
    (
        PLUG_STATE,
        b'{"power": 5, "last_seen": "2026-11-22T04:00:00+02:00"}',
        ZIGBEE_PLUG,
        Parsed([Reading("plug-3", TWO_AM, {"power": 5.0})], clock=ClockState.OK),
    ),
    # A device clock years off gives way to the receive time (and is said to be skewed).
    (
        PLUG_STATE,
        b'{"power": 1, "last_seen": 1495312800000}',
        ZIGBEE_PLUG,
        Parsed(
            [Reading("plug-3", RECEIVED, {"power": 1.0})],
            clock=ClockState.SKEWED,
            clock_offset_s=-300000030.0,
        ),
    ),
    (
        PLUG_STATE,
        b'{"power": 1, "last_seen": "2026-11-22 01:59:58"}',
        ZIGBEE_PLUG,
        Parsed([Reading("plug-3", RECEIVED, {"power": 1.0})], clock=ClockState.NO_ZONE),
    ),
    # A retained availability cleared when a device is renamed: nothing to say.
    (PLUG_STATE + "/availability", b"", ZIGBEE_PLUG, Parsed([])),
    # Tasmota without NTP counts from 1970 in local time; a Shelly 2.5 on Tasmota mixes lists
    # and single values.
    (
        SENSOR,
        b'{"Time": "1970-01-01T00:00:03", "ENERGY": {"Total": 0.004, "Power": [23.63, "67.17"],'
        b' "Voltage": 229.3, "Current": [0.103, "n/a"]}}',
        tasmota(utc_offset_h=8),
        Parsed(
            [
                Reading(
                    "meter-9",
                    RECEIVED,
                    {
                        "energy_total_kwh": 0.004,
                        "power": 23.63,
                        "power_1": 67.17,
                        "voltage": 229.3,
                        "current": 0.103,
                    },
                )
            ],
            (Skipped("Current", "bad_type"),),
            ClockState.SKEWED,
            -1795341627.0,
        ),
    ),
    (
        SENSOR,
        b'{"ENERGY": {"Power": "OFF"}}',
        TASMOTA,
        Parsed([Reading("meter-9", RECEIVED, {"power": 0.0})]),
    ),
    # Shelly right after boot sends seconds since boot as its time (observed: "ts": 1.61).
    (
        RPC,
        b'{"method": "NotifyStatus", "params": {"ts": 1.61, "switch:0": {"id": 0, "voltage": "232.7"}}}',
        SHELLY,
        Parsed(
            [Reading("pump-1", RECEIVED, {"voltage": 232.7})],
            clock=ClockState.SKEWED,
            clock_offset_s=-1795312828.39,
        ),
    ),
    (
        RPC,
        b'{"method": "NotifyStatus", "params": {"switch:0": {"apower": 3, "aenergy": 5,'
        b' "temperature": {"tC": null}, "errors": ["overtemp"]}}}',
        SHELLY,
        Parsed([Reading("pump-1", RECEIVED, {"power": 3.0})], (Skipped("aenergy", "bad_type"),)),
    ),
    # Native: numbers as strings, on/off words, 1/0 for true/false, the type in any case.
    (
        TELEMETRY,
        b'{"metrics": {"voltage": " 229.5 ", "door_open": "off", "bad\\u0000name": 1, "x": "high"}}',
        NATIVE,
        Parsed(
            [Reading("meter-7", RECEIVED, {"voltage": 229.5, "door_open": 0.0})],
            (Skipped("bad\x00name", "bad_name"), Skipped("x", "bad_type")),
        ),
    ),
    (
        ALERT,
        b'{"type": "LEAK", "active": 1, "readings": {"moisture": "87%", "temp": "21"}, "detail": 3}',
        NATIVE,
        Parsed(
            [AlertSignal("meter-7", RECEIVED, AlertType.LEAK, True, {"temp": 21.0})],
            (Skipped("moisture", "bad_type"), Skipped("detail", "bad_type")),
        ),
    ),
    (
        ALERT,
        b'{"type": "leak", "readings": 87, "detail": "water\\u0000 under\\nthe sink"}',
        NATIVE,
        Parsed(
            [AlertSignal("meter-7", RECEIVED, AlertType.LEAK, True, {}, "water under the sink")],
            (Skipped("readings", "bad_type"),),
        ),
    ),
    (STATUS, b'{"online": "true"}', NATIVE, Parsed([StatusSignal("meter-7", RECEIVED, True)])),
    (
        TELEMETRY,
        b'{"time": 0, "metrics": {}}',
        NATIVE,
        Parsed(
            [Reading("meter-7", RECEIVED, {})],
            clock=ClockState.SKEWED,
            clock_offset_s=-1795312830.0,
        ),
    ),
    (
        TELEMETRY,
        b'{"time": "yesterday", "metrics": {"voltage": 1}}',
        NATIVE,
        Parsed([Reading("meter-7", RECEIVED, {"voltage": 1.0})], (Skipped("time", "bad_time"),)),
    ),
]


@pytest.mark.parametrize(("topic", "payload", "device", "expected"), SLOPPY)
def test_sloppy_messages_lose_nothing_usable(
    topic: str, payload: bytes, device: Device, expected: Parsed
) -> None:
    assert parsed(topic, payload, device) == expected
