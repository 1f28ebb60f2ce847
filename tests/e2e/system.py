"""The whole system as real processes on free ports, against a fresh PostgreSQL database
and a broker of its own; a test can kill and restart any of its processes."""

from __future__ import annotations

import signal
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from bench.database import ADMIN_URL
from services.common.migrate import migrate
from services.intake.demo import seed_demo
from services.launcher.broker import LocalBroker
from services.launcher.stack import PROCESSES, LocalStack, Process, free_port_env

__all__ = [
    "ADMIN_URL",
    "BRISK",
    "JWT_SECRET",
    "Setup",
    "System",
    "offset_to_last",
    "running_system",
]

JWT_SECRET = "e2e-secret-0123456789-0123456789-0123456789"
#: Settings that make the services look for work often, and retry soon, for tests that
#: follow a ticket through all of them.
BRISK = {
    "INTAKE_STREAM_POLL_S": "0.05",
    "DISPATCH_WORK_EVERY_S": "0.2",
    "SLA_TIMER_EVERY_S": "0.1",
    "SLA_RECOMPUTE_EVERY_S": "0.2",
    "NOTIFICATION_RETRY_BASE_S": "0.2",
    "NOTIFICATION_OUTBOX_EVERY_S": "0.2",
}


def offset_to_last(weekday: int, hour: int, minute: int, tz: ZoneInfo) -> float:
    """CLOCK_OFFSET_S that sets the clock to the last `weekday` (0 is Monday) at
    `hour`:`minute` in `tz`: seconds from now back to then."""
    now = datetime.now(tz)
    day = now - timedelta(days=(now.weekday() - weekday) % 7)
    then = day.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if then > now:
        then -= timedelta(days=7)
    return (then - now).total_seconds()


class System:
    """Where the running system is, how to talk to it, and its processes."""

    def __init__(self, base_url: str, database_url: str, broker: LocalBroker, stack: LocalStack):
        self.base_url = base_url
        self.database_url = database_url
        self.broker = broker
        self.mqtt_port = broker.port
        self.stack = stack

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=15)

    def token(self, username: str, password: str = "demo") -> str:
        with self.client() as c:
            reply = c.post("/v1/auth/token", data={"username": username, "password": password})
        assert reply.status_code == 200, reply.text
        return str(reply.json()["access_token"])

    def count_rows(self) -> tuple[int, int, int]:
        """(tickets, ticket events, attachments) in the database right now, leaving out
        sensor tickets: the ingestor opens and updates those on its own at any time."""
        with psycopg.connect(self.database_url) as conn:
            row = conn.execute(
                "WITH people AS (SELECT id FROM intake.tickets WHERE source <> 'sensor')"
                " SELECT (SELECT count(*) FROM people), (SELECT count(*) FROM"
                " intake.ticket_events WHERE ticket_id IN (SELECT id FROM people)),"
                " (SELECT count(*) FROM intake.attachments)"
            ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1]), int(row[2])

    def kill(self, name: str) -> None:
        """SIGKILL one process (no graceful stop) and wait until it is gone."""
        self.stack.kill(name)

    def restart(self, name: str) -> None:
        """Start a killed process again and wait until the whole system is ready."""
        self.stack.restart(name)
        self.stack.wait_ready(f"{self.base_url}/readyz", timeout_s=40)


@dataclass(frozen=True)
class Setup:
    """What the system runs on: the server its database is made on (`admin_url`), its
    `processes`, the database's name (a new one when empty) and how long it may take to be
    ready."""

    admin_url: str = ADMIN_URL
    processes: tuple[Process, ...] = PROCESSES
    database: str = ""
    ready_timeout_s: float = 40


@contextmanager
def running_system(log_path: Path, setup: Setup = Setup(), /, **env: str) -> Iterator[System]:
    """Migrate and seed a new database as `setup` says, start the broker and the processes
    with `env` added, and stop and drop it all afterwards (asserting every process stopped
    cleanly)."""
    admin_url, processes = setup.admin_url, setup.processes
    name = setup.database or f"maint_e2e_{uuid.uuid4().hex[:10]}"
    database_url = make_conninfo(admin_url, dbname=name)
    migrate(database_url)
    seed_demo(database_url)
    broker = LocalBroker()
    full_env, base_url = free_port_env(
        database_url, MQTT_URL=broker.url, GATEWAY_JWT_SECRET=JWT_SECRET, **env
    )
    with log_path.open("w") as sink, broker:
        stack = LocalStack(env=full_env, processes=processes, sink=sink)
        stack.start()
        try:
            stack.wait_ready(f"{base_url}/readyz", timeout_s=setup.ready_timeout_s)
            yield System(base_url, database_url, broker, stack)
        finally:
            stack.stop()
    codes = {name: child.returncode for name, child in stack.children.items()}
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
    # uvicorn re-raises the SIGTERM it handled after its graceful shutdown: -15 is clean too.
    clean = (0, -signal.SIGTERM)
    assert all(code in clean for code in codes.values()), f"unclean stop: {codes}; log: {log_path}"
