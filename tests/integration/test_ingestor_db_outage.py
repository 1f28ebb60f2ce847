"""PostgreSQL goes away under the ingestor: it stops acknowledging, keeps running, holds what
it has, and stores everything once the database is back."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
import psycopg
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from bench.database import ADMIN_URL
from services.common.migrate import migrate
from services.launcher.broker import LocalBroker
from services.launcher.stack import LocalStack, Process, free_port, free_port_env
from tests.support.tcp_proxy import TcpProxy

SERVER = ADMIN_URL


@pytest.fixture
def database() -> Iterator[str]:
    name = f"maint_it_outage_{uuid.uuid4().hex[:8]}"
    url = make_conninfo(SERVER, dbname=name)
    migrate(url, ["intake", "ingestor"])
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO ingestor.devices (device_id, kind, site, building, floor, format)"
            " VALUES ('meter-1', 'power', 'demo', 'A', '1', 'native')"
        )
    yield url
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _rows(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM ingestor.telemetry").fetchone()
    return int(row[0]) if row else 0


def _publish(port: int, start: datetime, first: int, count: int) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:6]}")
    client.connect("127.0.0.1", port)
    client.loop_start()
    infos = [
        client.publish(
            "maint/demo/meter-1/telemetry",
            json.dumps(
                {
                    "time": (start + timedelta(milliseconds=i)).isoformat(),
                    "metrics": {"voltage": 230},
                }
            ),
            qos=1,
        )
        for i in range(first, first + count)
    ]
    for info in infos:
        info.wait_for_publish(10)
    client.disconnect()
    client.loop_stop()


def _wait_rows(url: str, expected: int, timeout_s: float) -> int:
    deadline = time.monotonic() + timeout_s
    rows = _rows(url)
    while rows < expected and time.monotonic() < deadline:
        time.sleep(0.2)
        rows = _rows(url)
    return rows


def test_ingestor_holds_messages_while_the_database_is_down(
    database: str, tmp_path: object
) -> None:
    proxy_port = free_port()
    proxied = make_conninfo(database, host="127.0.0.1", port=proxy_port)
    upstream = conninfo_to_dict(SERVER)
    if str(upstream.get("host") or "").startswith("/"):
        pytest.skip("the proxy needs a PostgreSQL server reached over TCP")
    start = datetime.now(UTC) - timedelta(minutes=5)
    with (
        LocalBroker() as broker,
        TcpProxy(
            proxy_port, int(upstream.get("port") or 5432), str(upstream.get("host") or "127.0.0.1")
        ) as proxy,
    ):
        env, _ = free_port_env(proxied, MQTT_URL=broker.url, INGESTOR_MIGRATE_ON_START="false")
        target = f"127.0.0.1:{env['INGESTOR_GRPC_PORT']}"
        with (
            open(os.devnull, "w") as sink,
            LocalStack(
                env=env, processes=(Process("ingestor", "services.ingestor"),), sink=sink
            ) as stack,
        ):
            stack.wait_serving(target)  # subscribed to the broker and the database answers
            _publish(broker.port, start, 0, 500)
            assert _wait_rows(database, 500, 20) == 500
            proxy.cut()
            _publish(broker.port, start, 500, 1500)
            time.sleep(3)
            assert _rows(database) == 500  # nothing could be stored...
            assert stack.exited() == ""  # ...and the ingestor is still running
            proxy.restore()
            assert _wait_rows(database, 2000, 60) == 2000
            time.sleep(1)
            assert _rows(database) == 2000
