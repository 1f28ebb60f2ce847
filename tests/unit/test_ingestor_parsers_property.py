"""Every payload format's reader, driven with what real devices and attackers send: arbitrary
bytes, deep nesting, huge and tiny numbers, NaN and infinities, NUL and other control
characters, unpaired surrogates, invalid UTF-8, over-long names and values.

The property: a reader never raises past its boundary (only `Rejected`, with a known reason),
and whatever it returns can be stored as it is (names PostgreSQL can index, finite numbers,
plausible times, text without NUL).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from maintenance.telemetry.v1 import telemetry_pb2

from services.ingestor.domain.model import (
    AlertSignal,
    Device,
    DeviceKind,
    PayloadFormat,
    Reading,
    Rejected,
    StatusSignal,
)
from services.ingestor.formats import adapter_for, route
from services.ingestor.formats.base import MAX_FUTURE, MAX_NAME_CHARS, MAX_PAST, Parsed

RECEIVED = datetime(2026, 11, 22, 2, 0, 30, tzinfo=UTC)
KNOWN_REASONS = {
    "bad_json", "bad_type", "missing_field", "bad_value", "device_mismatch", "bad_protobuf",
    "bad_name", "bad_time", "too_many",
}  # fmt: skip


def _device(fmt: PayloadFormat, source_topic: str = "", **thresholds: float) -> Device:
    return Device("dev-1", DeviceKind.POWER, "s", "B", "1", fmt, source_topic=source_topic,
                  thresholds=thresholds)  # fmt: skip


NATIVE = _device(PayloadFormat.NATIVE)
TOPICS: list[tuple[str, Device]] = [
    ("maint/s/dev-1/telemetry", NATIVE),
    ("maint/s/dev-1/alert", NATIVE),
    ("maint/s/dev-1/status", NATIVE),
    ("maint/s/dev-1/telemetry/pb", NATIVE),
    ("maint/s/dev-1/alert/pb", NATIVE),
    ("maint/s/dev-1/status/pb", NATIVE),
    ("zigbee2mqtt/leak", _device(PayloadFormat.ZIGBEE2MQTT, "leak")),
    ("zigbee2mqtt/leak/availability", _device(PayloadFormat.ZIGBEE2MQTT, "leak")),
    ("tele/meter/SENSOR", _device(PayloadFormat.TASMOTA, "meter")),
    ("tele/meter/SENSOR", _device(PayloadFormat.TASMOTA, "meter", utc_offset_h=8)),
    ("tele/meter/LWT", _device(PayloadFormat.TASMOTA, "meter")),
    ("shellyplus1pm-1/events/rpc", _device(PayloadFormat.SHELLY_GEN2, "shellyplus1pm-1")),
    ("shellyplus1pm-1/online", _device(PayloadFormat.SHELLY_GEN2, "shellyplus1pm-1")),
]

# Every character, unpaired surrogates and NUL included.
any_text = st.text(st.characters(exclude_categories=()), max_size=80)
long_text = st.text(st.characters(exclude_categories=()), min_size=60, max_size=3000)
names = st.one_of(
    st.sampled_from(["voltage", "water_leak", "Power", "apower", "battery", "moisture"]),
    any_text,
    long_text,
)
numbers = st.one_of(
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 5e-324, 1.7976931348623157e308, 2**63, "230.5", " 1e3 ", "ON"]),
)
ODD_TIMES = [
    "2026-11-22T02:00:00",
    "2026-11-22T02:00:00Z",
    "1970-01-01T00:05:12",
    "9999-12-31T23:59:59-23:59",
    "0001-01-01T00:00:00+14:00",
    "2026-13-45",
]
times = st.one_of(
    st.none(),
    numbers,
    any_text,
    st.sampled_from(
        [
            "2026-11-22T02:00:00",
            "2026-11-22T02:00:00Z",
            "1970-01-01T00:05:12",
            "9999-12-31T23:59:59-23:59",
            "0001-01-01T00:00:00+14:00",
            "2026-13-45",
        ]
    ),
)
json_values = st.recursive(
    st.none() | st.booleans() | numbers | any_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(names, inner, max_size=4),
    max_leaves=16,
)
metrics_objects = st.dictionaries(names, json_values, max_size=6)


def _dump(value: object) -> bytes:
    return json.dumps(value, allow_nan=True).encode("utf-8", "surrogatepass")


structured = st.one_of(
    st.builds(lambda t, m: {"time": t, "metrics": m}, times, metrics_objects),
    st.builds(
        lambda t, kind, a, r, d: {"time": t, "type": kind, "active": a, "readings": r, "detail": d},
        times,
        st.sampled_from(["leak", "LEAK", "fire", ""]) | json_values,
        json_values,
        metrics_objects | json_values,
        json_values,
    ),
    st.builds(lambda t, o: {"time": t, "online": o}, times, json_values),
    st.builds(lambda s, m: {"last_seen": s, **m}, times, metrics_objects),
    st.builds(lambda t, e: {"Time": t, "ENERGY": e}, times, metrics_objects | json_values),
    st.builds(
        lambda m, ts, sw: {"method": m, "params": {"ts": ts, "switch:0": sw, "switch:99999": sw}},
        st.sampled_from(["NotifyStatus", "NotifyFullStatus"]) | json_values,
        times,
        metrics_objects | json_values,
    ),
    json_values,
)


def _protobuf(time_s: int, name: str, value: float, detail: str) -> bytes:
    message = telemetry_pb2.AlertPayload(type="leak", active=True, detail=detail)
    message.time.seconds = time_s
    message.readings[name] = value
    return message.SerializeToString()


payloads = st.one_of(
    st.binary(max_size=300),
    structured.map(_dump),
    st.builds(
        _protobuf,
        st.integers(min_value=-(2**63), max_value=2**63 - 1),
        st.text(max_size=80),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=600),
    ),
    st.sampled_from([b"[" * 20_000, b'{"a":' * 4_000, b"\x00", b"\xff\xfe", b"\xef\xbb\xbf{}"]),
)


def _storable_name(name: str) -> bool:
    return 0 < len(name) <= MAX_NAME_CHARS and name.isprintable()


def _check_storable(parsed: Parsed) -> None:
    for obs in parsed.observations:
        assert RECEIVED - MAX_PAST <= obs.time <= RECEIVED + MAX_FUTURE
        assert obs.time.tzinfo is not None
        if isinstance(obs, Reading):
            values = dict(obs.metrics)
        elif isinstance(obs, AlertSignal):
            values = dict(obs.readings)
            assert "\x00" not in obs.detail and obs.detail.isprintable() and len(obs.detail) <= 500
        else:
            assert isinstance(obs, StatusSignal)
            values = {}
        assert all(_storable_name(n) for n in values), values
        assert all(math.isfinite(v) for v in values.values()), values


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(where=st.sampled_from(TOPICS), payload=payloads)
def test_a_reader_never_raises_past_its_boundary_and_returns_only_storable_data(
    where: tuple[str, Device], payload: bytes
) -> None:
    topic, device = where
    found = route(topic)
    assert found is not None
    try:
        parsed = adapter_for(found.format).parse(found, payload, device, RECEIVED)
    except Rejected as exc:
        assert exc.reason in KNOWN_REASONS, exc
        return
    _check_storable(parsed)


@given(st.text(st.characters(exclude_categories=()), max_size=300))
def test_routing_any_topic_never_raises(topic: str) -> None:
    found = route(topic)
    assert found is None or found.format in PayloadFormat


def test_a_skewed_clock_is_replaced_and_reported_with_its_offset() -> None:
    found = route("maint/s/dev-1/telemetry")
    assert found is not None
    ahead = (RECEIVED + timedelta(days=400)).isoformat()
    parsed = adapter_for(found.format).parse(
        found, _dump({"time": ahead, "metrics": {"voltage": 1}}), NATIVE, RECEIVED
    )
    assert parsed.observations == [Reading("dev-1", RECEIVED, {"voltage": 1.0})]
    assert parsed.clock == "skewed" and parsed.clock_offset_s == 400 * 86400
