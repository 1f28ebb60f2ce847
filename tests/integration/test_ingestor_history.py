"""Imported history against a real PostgreSQL: readings staged by binary COPY and moved in at
once (new, corrected, unchanged, named twice), events by their key, and a device's telemetry
read back page by page."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
import pytest_asyncio

from services.ingestor.adapters.history_repo import HistoryRepository, Point
from services.ingestor.domain.history import DeviceEvent, TelemetryColumns, micros
from tests.integration.conftest import ingestor_database

DEVICES = ["hist-meter-1", "hist-meter-2"]
T0 = datetime(2024, 3, 1, 0, 0, tzinfo=UTC)

Conn = psycopg.AsyncConnection[Any]


@pytest.fixture(scope="module")
def ingestor_db() -> Iterator[str]:
    with ingestor_database(DEVICES) as url:
        yield url


@pytest_asyncio.fixture
async def conn(ingestor_db: str) -> AsyncIterator[Conn]:
    async with await psycopg.AsyncConnection.connect(ingestor_db, autocommit=True) as c:
        yield c


def readings(first_line: int, minutes: range, value: float = 230.0) -> TelemetryColumns:
    """Voltage and current of both devices at each minute, lines numbered from `first_line`."""
    keys = [(d, m, t) for t in minutes for d in DEVICES for m in ("voltage", "current")]
    return TelemetryColumns(
        lines=list(range(first_line, first_line + len(keys))),
        device_ids=[d for d, _, _ in keys],
        times_us=[micros(T0 + timedelta(minutes=t)) for _, _, t in keys],
        metrics=[m for _, m, _ in keys],
        values=[value + t for _, _, t in keys],
    )


async def store(conn: Conn, *chunks: TelemetryColumns) -> tuple[int, int] | list[tuple[int, int]]:
    async with conn.transaction():
        stage = await HistoryRepository(conn).telemetry_stage()
        for chunk in chunks:
            await stage.add(chunk)
        return await stage.store()


async def count(conn: Conn, sql: str) -> int:
    row = await (await conn.execute(sql)).fetchone()
    assert row is not None
    return int(row[0])


async def test_new_readings_then_the_same_again_then_one_corrected(conn: Conn) -> None:
    first, second = readings(2, range(0, 50)), readings(202, range(50, 100))
    assert await store(conn, first, second) == (400, 0)  # new history: the plain INSERT
    assert await count(conn, "SELECT count(*) FROM ingestor.telemetry") == 400
    assert await store(conn, first, second) == (0, 0)  # all 400 unchanged
    corrected = readings(2, range(0, 1), value=999.0)
    assert await store(conn, corrected, readings(10, range(100, 101))) == (4, 4)
    value = await count(
        conn,
        "SELECT value FROM ingestor.telemetry WHERE device_id = 'hist-meter-2'"
        f" AND metric = 'current' AND time = '{T0.isoformat()}'",
    )
    assert value == 999


async def test_a_reading_named_twice_writes_nothing_and_names_the_lines(conn: Conn) -> None:
    before = await count(conn, "SELECT count(*) FROM ingestor.telemetry")
    chunk = readings(2, range(500, 502))  # 8 readings, lines 2-9
    again = readings(20, range(501, 502))  # lines 20-23 repeat lines 6-9
    assert await store(conn, chunk, again) == [(20, 6), (21, 7), (22, 8), (23, 9)]
    assert await count(conn, "SELECT count(*) FROM ingestor.telemetry") == before
    stored = readings(2, range(0, 1))  # stored already: the upsert path finds them too
    assert await store(conn, stored, readings(30, range(0, 1))) == [
        (30, 2),
        (31, 3),
        (32, 4),
        (33, 5),
    ]


async def test_events_by_their_key(conn: Conn) -> None:
    repo = HistoryRepository(conn)
    events = [
        DeviceEvent(T0, "E42", device_id=DEVICES[0], severity="major", message="door", site="demo"),
        DeviceEvent(T0, "E42", asset_id="elevator-A-E1", message="door", site="demo"),
        DeviceEvent(T0, "E42", DEVICES[0], "elevator-A-E1", site="demo"),
    ]
    assert await repo.put_events(events) == (3, 0)
    assert await repo.put_events(events) == (0, 0)
    corrected = [
        events[0],
        DeviceEvent(T0, "E42", asset_id="elevator-A-E1", message="doors", site="demo"),
    ]
    assert await repo.put_events(corrected) == (0, 1)


async def test_a_devices_telemetry_page_by_page(conn: Conn) -> None:
    await store(conn, readings(2, range(1000, 1003)))
    repo = HistoryRepository(conn)
    start, end = T0 + timedelta(minutes=1000), T0 + timedelta(minutes=1003)
    first, token = await repo.telemetry_page(DEVICES[0], "", start, end, 4, "")
    assert [(p.time - start, p.metric) for p in first] == [
        (timedelta(0), "current"), (timedelta(0), "voltage"),
        (timedelta(minutes=1), "current"), (timedelta(minutes=1), "voltage"),
    ]  # fmt: skip
    rest, last = await repo.telemetry_page(DEVICES[0], "", start, end, 4, token)
    assert len(rest) == 2 and last == ""
    only, _ = await repo.telemetry_page(DEVICES[0], "voltage", start, None, 10, "")
    assert only[0] == Point(start, "voltage", 1230.0) and len(only) == 3
