"""Two ingestor replicas share one subscription: every message is stored once, by either.

Both replicas are real processes with their own MQTT client ids in the same share group
(`$share/ingestors/...`) on our own mosquitto. 20,000 QoS 1 telemetry messages are all
stored exactly once, and each replica took in some of them (its own /metrics says so).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from bench.mqtt_load import (
    BurstPublisher,
    ingestors,
    telemetry_streams,
    wait_rows,
    wait_subscribed,
)
from services.launcher.broker import LocalBroker
from tests.integration.conftest import ingestor_database

COUNT = 20_000
DEVICES = [f"replica-meter-{n}" for n in range(4)]
PROBE = "replica-probe"


@pytest.fixture
def ingestor_db() -> Iterator[str]:
    with ingestor_database([*DEVICES, PROBE]) as url:
        yield url


def test_two_replicas_store_every_message_once_and_share_the_load(
    ingestor_db: str, broker: LocalBroker, tmp_path: Path
) -> None:
    start = datetime.now(UTC) - timedelta(hours=3)
    publisher = BurstPublisher(broker.port, telemetry_streams(DEVICES, COUNT, start), tmp_path)
    with (
        (tmp_path / "ingestors.log").open("w") as sink,
        ingestors(ingestor_db, broker.url, ["replica-a", "replica-b"], sink) as replicas,
    ):
        probes = wait_subscribed(broker.port, replicas, PROBE)
        before = [r.received() for r in replicas]
        publisher.start()
        publisher.join()
        rows, _ = wait_rows(ingestor_db, probes + COUNT, timeout_s=90, stall_s=15)
        taken = [r.received() - b for r, b in zip(replicas, before, strict=True)]
    with psycopg.connect(ingestor_db) as conn:
        stored = conn.execute(
            "SELECT count(*), count(DISTINCT (device_id, metric, time)), min(time), max(time)"
            " FROM ingestor.telemetry WHERE device_id = ANY(%s)",
            (DEVICES,),
        ).fetchone()
    assert rows == probes + COUNT
    assert stored == (COUNT, COUNT, start, start + timedelta(milliseconds=COUNT - 1))
    assert all(n > 0 for n in taken), f"messages taken in per replica: {taken}"
