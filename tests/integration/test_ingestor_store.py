"""What one ingest transaction writes, against a real PostgreSQL: telemetry rows once each,
and device state that does not go back in time when transactions commit out of order (alerts
and status commit apart from telemetry)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from services.ingestor.adapters.store import DeviceTouch, IngestStore
from tests.integration.conftest import ingestor_database

DEVICE = "store-meter"
T0 = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


@pytest.fixture
def ingestor_db() -> Iterator[str]:
    with ingestor_database([DEVICE]) as url:
        yield url


async def test_rows_are_stored_once_and_an_older_touch_does_not_undo_a_newer_one(
    ingestor_db: str,
) -> None:
    async with await psycopg.AsyncConnection.connect(ingestor_db, autocommit=True) as conn:
        store = IngestStore(conn)
        await store.prepare_session()
        newer = DeviceTouch(DEVICE, T0 + timedelta(seconds=10), {"voltage": 0.0}, False)
        async with conn.transaction():
            assert await store.store_readings([], [newer]) == (0, [])
        rows = [(T0, DEVICE, "voltage", 230.0), (T0, DEVICE, "current", 1.5)]
        older = DeviceTouch(DEVICE, T0, {"voltage": 230.0, "current": 1.5}, True)
        async with conn.transaction():
            assert await store.store_readings([*rows, rows[0]], [older]) == (2, [])
        async with conn.transaction():  # redelivered: nothing new
            assert await store.store_readings(rows, [older]) == (0, [])
        state = await (
            await conn.execute(
                "SELECT last_seen_at, last_values, online FROM ingestor.devices"
                " WHERE device_id = %s",
                (DEVICE,),
            )
        ).fetchone()
        assert state == (T0 + timedelta(seconds=10), {"voltage": 0.0, "current": 1.5}, False)

        back = DeviceTouch(DEVICE, T0 + timedelta(seconds=20), {}, True)
        async with conn.transaction():
            assert await store.store_readings([], [back]) == (0, [DEVICE])
