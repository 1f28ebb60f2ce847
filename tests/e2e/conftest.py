"""The system as real processes on free ports, against a fresh PostgreSQL database."""

from __future__ import annotations

import signal
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from services.common.migrate import migrate
from services.intake.demo import seed_demo
from services.launcher.broker import LocalBroker
from services.launcher.stack import LocalStack, free_port_env

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
JWT_SECRET = "e2e-secret-0123456789-0123456789-0123456789"
RATING_WINDOW_S = 2.0


class System:
    """Where the running system is and how to talk to it."""

    def __init__(self, base_url: str, database_url: str, mqtt_port: int) -> None:
        self.base_url = base_url
        self.database_url = database_url
        self.mqtt_port = mqtt_port

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=15)

    def token(self, username: str, password: str = "demo") -> str:
        with self.client() as c:
            reply = c.post("/v1/auth/token", data={"username": username, "password": password})
        assert reply.status_code == 200, reply.text
        return str(reply.json()["access_token"])

    def count_rows(self) -> tuple[int, int, int]:
        """(tickets, ticket events, attachments) in the database right now."""
        with psycopg.connect(self.database_url) as conn:
            row = conn.execute(
                "SELECT (SELECT count(*) FROM intake.tickets), (SELECT count(*) FROM"
                " intake.ticket_events), (SELECT count(*) FROM intake.attachments)"
            ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1]), int(row[2])


@pytest.fixture(scope="session")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    name = f"maint_e2e_{uuid.uuid4().hex[:10]}"
    database_url = make_conninfo(ADMIN_URL, dbname=name)
    migrate(database_url)
    # No dispatch rules are seeded: these tests drive tickets by hand, and dispatch leaves
    # a site without rules alone (its flows are tested in tests/integration/test_dispatch_*).
    seed_demo(database_url)
    broker = LocalBroker()
    env, base_url = free_port_env(
        database_url,
        MQTT_URL=broker.url,
        INTAKE_RATING_WINDOW_S=str(RATING_WINDOW_S),
        INTAKE_AUTO_CLOSE_EVERY_S="0.3",
        INGESTOR_OFFLINE_CHECK_EVERY_S="0.5",
        INGESTOR_REPEAT_EVENT_EVERY_S="0",
        GATEWAY_JWT_SECRET=JWT_SECRET,
    )
    log_path: Path = tmp_path_factory.mktemp("e2e") / "system.log"
    with log_path.open("w") as sink, broker:
        stack = LocalStack(env=env, sink=sink)
        stack.start()
        try:
            stack.wait_ready(f"{base_url}/readyz", timeout_s=40)
            yield System(base_url, database_url, broker.port)
        finally:
            stack.stop()
    codes = {name: child.returncode for name, child in stack.children.items()}
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
    # uvicorn re-raises the SIGTERM it handled after its graceful shutdown: -15 is clean too.
    clean = (0, -signal.SIGTERM)
    assert all(code in clean for code in codes.values()), f"unclean stop: {codes}; log: {log_path}"


@pytest.fixture(scope="session")
def as_user(system: System) -> Iterator[Callable[[str], httpx.Client]]:
    """`as_user("tenant1")` is an HTTP client signed in as that demo user."""
    tokens: dict[str, str] = {}
    clients: list[httpx.Client] = []

    def make(username: str) -> httpx.Client:
        if username not in tokens:
            tokens[username] = system.token(username)
        client = system.client(tokens[username])
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
