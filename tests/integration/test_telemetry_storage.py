"""Telemetry storage against a real server: the roll-up views every install publishes and,
with TimescaleDB, the hypertable's chunks made ahead of the writers and its policy jobs.

The TimescaleDB tests skip, saying so, on a server without it; `make test-timescaledb`
runs them (docs/design.md, "Telemetry").
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg import AsyncConnection

from services.common.migrate import migrate
from services.ingestor.adapters.store import IngestStore
from tests.integration.conftest import drop_database, new_database_name, url_for
from tests.support.timescaledb import has_timescaledb, require_timescaledb

ROLLUP_COLUMNS = [
    ("bucket", "timestamp with time zone"),
    ("device_id", "text"),
    ("metric", "text"),
    ("samples", "bigint"),
    ("avg", "double precision"),
    ("min", "double precision"),
    ("max", "double precision"),
    ("stddev", "double precision"),
    ("first", "double precision"),
    ("last", "double precision"),
]
OUR_JOBS = (
    "SELECT job_id, proc_name, coalesce(hypertable_name, '') FROM timescaledb_information.jobs"
    " WHERE hypertable_schema = 'ingestor' OR proc_name = 'prepare_telemetry_chunks'"
    " ORDER BY job_id"
)


def pause_jobs(url: str) -> None:
    """Unschedule the database's TimescaleDB jobs and wait until none is running, so that a
    test runs them alone (the scheduler starts each new job at once)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "SELECT alter_job(job_id, scheduled => false) FROM timescaledb_information.jobs"
        )
        deadline = time.monotonic() + 30
        while conn.execute(
            "SELECT 1 FROM timescaledb_information.job_stats WHERE job_status = 'Running'"
        ).fetchone():
            assert time.monotonic() < deadline, "a TimescaleDB job kept running"
            time.sleep(0.1)


@pytest.fixture
def telemetry_db() -> Iterator[str]:
    """A fresh database with the ingestor's schema, its TimescaleDB jobs (if any) paused."""
    name = new_database_name()
    url = url_for(name)
    try:
        migrate(url, ["ingestor"])
        if has_timescaledb():
            pause_jobs(url)
        yield url
    finally:
        drop_database(name)


def _columns(conn: psycopg.Connection[Any], view: str) -> list[tuple[str, str]]:
    rows = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = 'ingestor' AND table_name = %s ORDER BY ordinal_position",
        (view,),
    ).fetchall()
    return [(str(name), str(kind)) for name, kind in rows]


def test_the_rollups_have_the_same_columns_on_every_install(telemetry_db: str) -> None:
    with psycopg.connect(telemetry_db) as conn:
        assert _columns(conn, "telemetry_hourly_v1") == ROLLUP_COLUMNS
        assert _columns(conn, "telemetry_daily_v1") == ROLLUP_COLUMNS


def _expected(readings: list[tuple[datetime, float]]) -> tuple[object, ...]:
    values = [v for _, v in sorted(readings)]
    return (
        len(values), pytest.approx(statistics.fmean(values)), min(values), max(values),
        pytest.approx(statistics.stdev(values)) if len(values) > 1 else None,
        values[0], values[-1],
    )  # fmt: skip


def _rollup(
    conn: psycopg.Connection[Any], view: str
) -> dict[tuple[datetime, str], tuple[Any, ...]]:
    rows = conn.execute(
        f"SELECT bucket, metric, samples, avg, min, max, stddev, first, last FROM ingestor.{view}"
        " WHERE device_id = 'meter-1' ORDER BY bucket, metric"
    ).fetchall()
    return {(row[0], row[1]): tuple(row[2:]) for row in rows}


def _figures(
    readings: dict[str, list[tuple[datetime, float]]], bucket: Callable[[datetime], datetime]
) -> dict[tuple[datetime, str], tuple[object, ...]]:
    """What a roll-up should say: per bucket and metric, from the readings themselves."""
    grouped: dict[tuple[datetime, str], list[tuple[datetime, float]]] = {}
    for metric, taken in readings.items():
        for at, value in taken:
            grouped.setdefault((bucket(at), metric), []).append((at, value))
    return {key: _expected(group) for key, group in grouped.items()}


def test_the_rollups_aggregate_per_device_metric_and_bucket(telemetry_db: str) -> None:
    """Hourly and daily figures as readers see them: computed at read time and, with
    TimescaleDB, the same again once materialised by a refresh."""
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=3)
    rng = random.Random(7)
    readings: dict[str, list[tuple[datetime, float]]] = {"voltage": [], "current": []}
    for taken in readings.values():
        for hour in (2, 3, 23):
            for _ in range(5 if hour != 23 else 1):
                at = day + timedelta(hours=hour, seconds=rng.randrange(3600))
                taken.append((at, round(rng.uniform(200, 240), 3)))
        taken.append((day + timedelta(days=1, minutes=5), 1.0))  # the next day
    hourly = _figures(readings, lambda at: at.replace(minute=0, second=0, microsecond=0))
    daily = _figures(readings, lambda at: at.replace(hour=0, minute=0, second=0, microsecond=0))
    with psycopg.connect(telemetry_db, autocommit=True) as conn:
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO ingestor.telemetry (time, device_id, metric, value)"
                " VALUES (%s, 'meter-1', %s, %s)",
                [(at, m, v) for m, taken in readings.items() for at, v in taken],
            )
            cur.execute(  # another device, not in the figures
                "INSERT INTO ingestor.telemetry VALUES (%s, 'meter-2', 'voltage', 999)", (day,)
            )
        assert _rollup(conn, "telemetry_hourly_v1") == hourly
        assert _rollup(conn, "telemetry_daily_v1") == daily
        if has_timescaledb():
            for view in ("telemetry_hourly", "telemetry_daily"):
                conn.execute(f"CALL refresh_continuous_aggregate('ingestor.{view}', NULL, NULL)")
                assert _materialised(conn, view) > 0, "the refresh materialised nothing"
            assert _rollup(conn, "telemetry_hourly_v1") == hourly
            assert _rollup(conn, "telemetry_daily_v1") == daily


# With TimescaleDB -------------------------------------------------------------------------


def _materialised(conn: psycopg.Connection[Any], view: str) -> int:
    """Rows a continuous aggregate holds materialised (not computed at read time)."""
    row = conn.execute(
        "SELECT format('%%I.%%I', materialization_hypertable_schema,"
        " materialization_hypertable_name) FROM timescaledb_information.continuous_aggregates"
        " WHERE view_schema = 'ingestor' AND view_name = %s",
        (view,),
    ).fetchone()
    assert row is not None
    counted = conn.execute(f"SELECT count(*) FROM {row[0]}").fetchone()
    return int(counted[0]) if counted else 0


def _chunks(conn: psycopg.Connection[Any]) -> list[tuple[datetime, datetime, bool]]:
    rows = conn.execute(
        "SELECT range_start, range_end, is_compressed FROM timescaledb_information.chunks"
        " WHERE hypertable_schema = 'ingestor' AND hypertable_name = 'telemetry'"
        " ORDER BY range_start"
    ).fetchall()
    return [(row[0], row[1], bool(row[2])) for row in rows]


def test_chunks_for_the_next_two_weeks_exist_from_the_start(telemetry_db: str) -> None:
    require_timescaledb()
    now = datetime.now(UTC)
    with psycopg.connect(telemetry_db) as conn:
        chunks = _chunks(conn)
        assert all(end - start == timedelta(days=7) for start, end, _ in chunks)
        covered = [at for at in (now + timedelta(hours=h) for h in range(0, 14 * 24 + 1, 6))
                   if any(start <= at < end for start, end, _ in chunks)]  # fmt: skip
        assert len(covered) == 14 * 4 + 1
        assert conn.execute("SELECT count(*) FROM ingestor.telemetry").fetchone() == (0,)


WRITERS = 6
BATCHES = 25


async def _ingest(url: str, seed: int, start: datetime) -> tuple[int, float]:
    """What an ingestor replica does: batches through the real ingest statement, each in a
    transaction, at times spread over the two weeks the chunks were made for. Returns rows
    stored and the longest batch in seconds."""
    rng = random.Random(seed)
    stored, longest = 0, 0.0
    async with await AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("SET lock_timeout = '5s'")
        store = IngestStore(conn)
        await store.prepare_session()
        for batch in range(BATCHES):
            rows = [
                (start + timedelta(seconds=rng.randrange(13 * 86400)), f"meter-{seed}",
                 f"m{batch}-{n}", rng.random())
                for n in range(20)
            ]  # fmt: skip
            began = time.monotonic()
            async with conn.transaction():
                new, _ = await store.store_readings(rows, [])
                await asyncio.sleep(rng.uniform(0, 0.01))
            longest = max(longest, time.monotonic() - began)
            stored += new
    return stored, longest


async def test_writers_never_wait_behind_a_chunk_being_made(telemetry_db: str) -> None:
    """A transaction that makes a chunk (here an import of old history) holds a lock on the
    hypertable until it ends, and every other chunk creation waits for it. Writers whose
    chunks were made ahead of time go on meanwhile, through the ingestor's own statement;
    one that needs a chunk nobody made waits (which is why the chunks are made ahead)."""
    require_timescaledb()
    now = datetime.now(UTC)
    importer = await AsyncConnection.connect(telemetry_db)
    live = await AsyncConnection.connect(telemetry_db)  # an open ingest transaction
    try:
        await importer.execute(
            "INSERT INTO ingestor.telemetry SELECT t, 'old-meter', 'voltage', 230"
            " FROM generate_series(%s::timestamptz, %s, interval '15 minutes') AS t",
            (now - timedelta(days=400), now - timedelta(days=390)),
        )
        await live.execute("INSERT INTO ingestor.telemetry VALUES (%s, 'meter-x', 'v', 1)", (now,))

        # Without a chunk made ahead, a writer waits for the importer.
        async with await AsyncConnection.connect(telemetry_db) as late:
            await late.execute("SET lock_timeout = '500ms'")
            with pytest.raises(psycopg.errors.LockNotAvailable):
                await late.execute(
                    "INSERT INTO ingestor.telemetry VALUES (%s, 'meter-y', 'v', 1)",
                    (now + timedelta(days=60),),
                )

        results = await asyncio.wait_for(
            asyncio.gather(*(_ingest(telemetry_db, seed, now) for seed in range(WRITERS))),
            timeout=60,
        )
        assert [stored for stored, _ in results] == [BATCHES * 20] * WRITERS
        assert max(longest for _, longest in results) < 2.0
        await live.commit()
        await importer.commit()
    finally:
        await importer.close()
        await live.close()
    with psycopg.connect(telemetry_db) as conn:
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE device_id LIKE 'meter-%'), count(*)"
            " FROM ingestor.telemetry"
        ).fetchone()
    assert row == (WRITERS * BATCHES * 20 + 1, WRITERS * BATCHES * 20 + 1 + 961)


def test_every_policy_job_succeeds_when_run_by_hand(telemetry_db: str) -> None:
    """Compression, retention, the two roll-up refreshes and the chunk maker, each run with
    `CALL run_job` on data that gives each of them work."""
    require_timescaledb()
    now = datetime.now(UTC)
    with psycopg.connect(telemetry_db, autocommit=True) as conn:
        jobs = conn.execute(OUR_JOBS).fetchall()
        by_kind = {(str(proc), str(table)): int(job) for job, proc, table in jobs}
        assert sorted(by_kind) == [
            ("policy_compression", "telemetry"),
            ("policy_refresh_continuous_aggregate", "telemetry_daily"),
            ("policy_refresh_continuous_aggregate", "telemetry_hourly"),
            ("policy_retention", "telemetry"),
            ("prepare_telemetry_chunks", ""),
        ]
        for days_ago in (800, 30, 20, 1):  # dropped, compressed (twice), left as they are
            conn.execute(
                "INSERT INTO ingestor.telemetry SELECT t, 'meter-1', 'voltage', 230"
                " FROM generate_series(%s::timestamptz, %s, interval '15 minutes') AS t",
                (now - timedelta(days=days_ago), now - timedelta(days=days_ago - 1)),
            )
        started = conn.execute("SELECT now()").fetchone()
        for kind in (
            ("prepare_telemetry_chunks", ""),
            ("policy_refresh_continuous_aggregate", "telemetry_hourly"),
            ("policy_refresh_continuous_aggregate", "telemetry_daily"),
            ("policy_compression", "telemetry"),
            ("policy_retention", "telemetry"),
        ):
            conn.execute("CALL run_job(%s)", (by_kind[kind],))
        errors = conn.execute(
            "SELECT job_id, err_message FROM timescaledb_information.job_errors"
            " WHERE start_time >= %s",
            (started[0] if started else now,),
        ).fetchall()
        assert errors == []

        chunks = _chunks(conn)
        assert chunks[0][0] > now - timedelta(days=730 + 7), "retention dropped nothing"
        assert [c for c in chunks if c[1] < now - timedelta(days=7)], "nothing to compress"
        assert all(compressed for _, end, compressed in chunks if end < now - timedelta(days=7))
        assert not any(compressed for _, end, compressed in chunks if end > now)
        assert any(start <= now + timedelta(days=14) < end for start, end, _ in chunks)
        for view in ("telemetry_hourly", "telemetry_daily"):
            assert _materialised(conn, view) > 0
            samples = conn.execute(
                f"SELECT sum(samples) FROM ingestor.{view}_v1 WHERE bucket < %s",
                (now - timedelta(days=2),),
            ).fetchone()
            assert samples == (2 * 97,)
