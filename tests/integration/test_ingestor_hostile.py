"""One bad message costs nothing but itself, against a real PostgreSQL.

A message the database refuses is found by splitting its batch, dead-lettered with the
database's reason, and the rest of the batch commits; in the telemetry path and in the
urgent (alert) path alike. Driven by hand-written culprits (NUL, over-long names, numbers
past a float) and by hypothesis with arbitrary payloads.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from services.common.db import create_pool
from services.ingestor.domain.detection import Detector
from services.ingestor.domain.model import Device, DeviceKind, Inbound, PayloadFormat, Rejected
from services.ingestor.formats import adapter_for, route
from services.ingestor.handlers.ingest import Ingest
from services.ingestor.handlers.registry import DeviceCache
from tests.integration.conftest import ingestor_database
from tests.unit.test_ingestor_parsers_property import TOPICS, payloads

METER, LEAK = "meter-1", "leak-1"
NOW = datetime.now(UTC).replace(microsecond=0)
_SECONDS = itertools.count()
#: The devices the property test speaks for, by the start of their topics.
HOSTILE_DEVICES = {
    "maint/demo/dev-1/": Device("dev-1", DeviceKind.POWER, "demo", "A", "1", PayloadFormat.NATIVE),
    "zigbee2mqtt/leak": Device("z2m-1", DeviceKind.LEAK, "demo", "A", "1",
                               PayloadFormat.ZIGBEE2MQTT, source_topic="leak"),
    "tele/meter/": Device("tas-1", DeviceKind.POWER, "demo", "A", "1", PayloadFormat.TASMOTA,
                          source_topic="meter", thresholds={"utc_offset_h": 8}),
    "shellyplus1pm-1/": Device("shelly-1", DeviceKind.POWER, "demo", "A", "1",
                               PayloadFormat.SHELLY_GEN2, source_topic="shellyplus1pm-1"),
}  # fmt: skip


@pytest.fixture(scope="module")
def ingestor_db() -> Iterator[str]:
    with ingestor_database([METER, LEAK]) as url:
        with psycopg.connect(url) as conn:
            conn.execute("UPDATE ingestor.devices SET kind = 'leak' WHERE device_id = %s", (LEAK,))
            # Stand-ins for whatever else the database may refuse: a value and a detail it
            # will not take (check_violation, SQLSTATE 23514).
            conn.execute("ALTER TABLE ingestor.telemetry ADD CHECK (value <> 666)")
            conn.execute("ALTER TABLE ingestor.alert_signals ADD CHECK (detail <> 'refuse me')")
            conn.cursor().executemany(
                "INSERT INTO ingestor.devices (device_id, kind, site, building, floor, format,"
                " source_topic, thresholds) VALUES (%s, %s, 'demo', 'A', '1', %s, %s, %s)",
                [(d.device_id, d.kind.value, d.format.value, d.source_topic,
                  Jsonb(dict(d.thresholds))) for d in HOSTILE_DEVICES.values()],
            )  # fmt: skip
        yield url


@pytest_asyncio.fixture
async def ingest(ingestor_db: str) -> AsyncIterator[Ingest]:
    pool = create_pool(ingestor_db, min_size=1, max_size=4)
    await pool.open(wait=True, timeout=10)
    try:
        yield _ingest(pool)
    finally:
        await pool.close()


def _ingest(pool: AsyncConnectionPool) -> Ingest:
    return Ingest(pool, DeviceCache(pool), Detector(), max_payload_bytes=64 * 1024,
                  rollup_window=timedelta(minutes=10), repeat_every=timedelta(minutes=5),
                  retry_max_s=0.2)  # fmt: skip


def _at() -> datetime:
    """A distinct receive time per message, so each test finds its own rows."""
    return NOW - timedelta(days=1) + timedelta(seconds=next(_SECONDS))


def telemetry(value: object, name: str = "voltage", device: str = METER) -> Inbound:
    when = _at()
    body = {"time": when.isoformat(), "metrics": {name: value}}
    return Inbound(f"maint/demo/{device}/telemetry", json.dumps(body).encode(), when)


def alert(detail: str, device: str = LEAK) -> Inbound:
    when = _at()
    body = {"time": when.isoformat(), "type": "leak", "detail": detail}
    return Inbound(f"maint/demo/{device}/alert", json.dumps(body).encode(), when)


def _rows(url: str, sql: str, *params: object) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def _letters(url: str, batch: list[Inbound]) -> list[tuple[object, ...]]:
    return _rows(
        url,
        "SELECT received_at, reason, detail FROM ingestor.dead_letters"
        " WHERE received_at BETWEEN %s AND %s ORDER BY received_at",
        min(m.received_at for m in batch),
        max(m.received_at for m in batch),
    )


async def test_a_message_the_database_refuses_costs_only_itself(
    ingest: Ingest, ingestor_db: str
) -> None:
    batch = [telemetry(1000.0 + n) for n in range(1000)]
    for n in (3, 500, 998):
        batch[n] = telemetry(666)
    culprits = [batch[3], batch[500], batch[998]]
    result = await ingest.handle(batch)
    assert (result.rows_stored, result.rejected) == (997, {"unstorable": 3})
    letters = _letters(ingestor_db, batch)
    assert [r[0] for r in letters] == [m.received_at for m in culprits]
    assert all(r[1] == "unstorable" and str(r[2]).startswith("23514") for r in letters)
    stored = _rows(
        ingestor_db,
        "SELECT count(*) FROM ingestor.telemetry WHERE device_id = %s AND time BETWEEN %s AND %s",
        METER, batch[0].received_at, batch[-1].received_at,
    )  # fmt: skip
    assert stored == [(997,)]


async def test_an_alert_the_database_refuses_does_not_hold_up_the_next_one(
    ingest: Ingest, ingestor_db: str
) -> None:
    refused, good = alert("refuse me"), alert("water under the riser")
    result = await ingest.handle([refused, good])
    assert (result.opened, result.rejected) == (1, {"unstorable": 1})
    incidents = _rows(ingestor_db, "SELECT count(*) FROM ingestor.incidents i"
                      " JOIN ingestor.ticket_outbox o ON o.incident_id = i.id"
                      " WHERE %s = ANY(i.devices)", LEAK)  # fmt: skip
    assert incidents == [(1,)]


async def test_what_stalled_ingestion_before_is_dead_lettered_or_cleaned(
    ingest: Ingest, ingestor_db: str
) -> None:
    batch = [
        telemetry(1, name="volt\x00age"),  # NUL in a name: PostgreSQL refuses it in text
        telemetry(1, name="v" * 3000),  # too long for the unique index
        telemetry(10**400),  # past what a float holds
        alert("leak\x00 at the riser\x07"),  # kept, without the control characters
        telemetry(229.5),
    ]
    result = await ingest.handle(batch)
    assert result.rows_stored == 1 and result.signals == 1
    assert [r[1] for r in _letters(ingestor_db, batch)] == ["bad_name", "bad_name", "bad_type"]
    details = _rows(ingestor_db, "SELECT detail FROM ingestor.alert_signals WHERE time = %s",
                    batch[3].received_at)  # fmt: skip
    assert details == [("leak at the riser",)]


def _expected_letter(msg: Inbound) -> str | None:
    """The dead-letter reason the readers give this message, or None when they accept it."""
    found = route(msg.topic)
    assert found is not None
    device = next(d for prefix, d in HOSTILE_DEVICES.items() if msg.topic.startswith(prefix))
    try:
        adapter_for(found.format).parse(found, msg.payload, device, msg.received_at)
    except Rejected as exc:
        return exc.reason
    return None


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])  # fmt: skip
@given(where=st.sampled_from(sorted({t for t, _ in TOPICS})), payload=payloads)
async def test_any_message_ends_stored_or_as_one_dead_letter_and_the_next_one_is_stored(
    ingest: Ingest, ingestor_db: str, where: str, payload: bytes
) -> None:
    hostile = Inbound(where.replace("maint/s/", "maint/demo/"), payload, _at())
    good = telemetry(230.0)
    expected = _expected_letter(hostile)
    await ingest.handle([hostile, good])
    reasons = [r[1] for r in _letters(ingestor_db, [hostile])]
    assert reasons == ([] if expected is None else [expected])
    assert _rows(ingestor_db, "SELECT count(*) FROM ingestor.telemetry WHERE time = %s",
                 good.received_at) == [(1,)]  # fmt: skip
