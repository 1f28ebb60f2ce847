"""An ingestor killed with SIGKILL mid-stream loses and duplicates nothing.

A real ingestor process reads 40,000 QoS 1 telemetry messages from our own mosquitto.
Once about 30 % of the rows are committed it is killed with SIGKILL; a new process with the
same MQTT client id resumes the persistent session, which still holds every message that
was not acknowledged (the ingestor acknowledges only after its commit). In the end every
published reading is stored exactly once.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from bench.mqtt_load import (
    BurstPublisher,
    Ingestor,
    telemetry_streams,
    wait_rows,
    wait_subscribed,
)
from services.launcher.broker import LocalBroker
from tests.integration.conftest import ingestor_database

COUNT = 40_000
DEVICES = [f"crash-meter-{n}" for n in range(4)]
PROBE = "crash-probe"
CLIENT_ID = "ingestor-crash-test"


@pytest.fixture
def ingestor_db() -> Iterator[str]:
    with ingestor_database([*DEVICES, PROBE]) as url:
        yield url


def _stored(url: str) -> tuple[int, int, set[datetime]]:
    """(rows, distinct keys, times) of the test devices' telemetry."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*), count(DISTINCT (device_id, metric, time)) FROM ingestor.telemetry"
            " WHERE device_id = ANY(%s)",
            (DEVICES,),
        ).fetchone()
        times = conn.execute(
            "SELECT time FROM ingestor.telemetry WHERE device_id = ANY(%s)", (DEVICES,)
        ).fetchall()
        letters = conn.execute("SELECT count(*) FROM ingestor.dead_letters").fetchone()
    assert row is not None and letters == (0,)
    return int(row[0]), int(row[1]), {t[0] for t in times}


def test_sigkill_mid_stream_loses_and_duplicates_nothing(
    ingestor_db: str, broker: LocalBroker, tmp_path: Path
) -> None:
    start = datetime.now(UTC) - timedelta(hours=3)
    published = {start + timedelta(milliseconds=n) for n in range(COUNT)}
    publisher = BurstPublisher(broker.port, telemetry_streams(DEVICES, COUNT, start), tmp_path)
    began = time.monotonic()
    with (tmp_path / "ingestor.log").open("w") as sink:
        first = Ingestor(ingestor_db, broker.url, CLIENT_ID, sink).start()
        try:
            probes = wait_subscribed(broker.port, [first], PROBE)
            publisher.start()
            at_kill, _ = wait_rows(ingestor_db, probes + COUNT * 3 // 10, timeout_s=60)
            os.kill(first.pid, signal.SIGKILL)
            assert first.stack.children["ingestor"].wait(10) == -signal.SIGKILL
        finally:
            first.stop()
        publisher.join()
        killed_at = time.monotonic() - began
        assert probes + COUNT * 3 // 10 <= at_kill < probes + COUNT, "not killed part-way"

        second = Ingestor(ingestor_db, broker.url, CLIENT_ID, sink).start()
        try:
            final, _ = wait_rows(ingestor_db, probes + COUNT, timeout_s=120, stall_s=15)
        finally:
            second.stop()
    rows, distinct, times = _stored(ingestor_db)
    print(f"killed at {at_kill - probes} rows after {killed_at:.1f}s; all {rows} rows"
          f" after {time.monotonic() - began:.1f}s")  # fmt: skip
    assert final == probes + COUNT
    assert rows == distinct == COUNT
    assert times == published
