"""Integration fixtures: a throw-away PostgreSQL database, a pool, handlers and a clock.

The database is created once per run (`maint_it_<hex>`), migrated, seeded with the demo
site and users, and dropped at the end. Tests share it, so each creates its own tickets;
each test's clock starts on its own day, which lets a test pick out its own tickets with a
created-at range.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
import pytest_asyncio
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import AsyncConnectionPool

from bench.database import ADMIN_URL
from bench.mqtt_load import register_native_devices
from services.common.db import create_pool
from services.common.migrate import migrate
from services.intake.demo import seed_demo
from services.intake.domain.creation import NewTicket
from services.intake.domain.model import Actor, Channel, Kind, Location, Priority, Role
from services.intake.handlers import IntakeHandlers
from services.launcher.broker import LocalBroker
from services.launcher.stack import free_port
from tests.support.tcp_proxy import TcpProxy

#: The server the tests make their databases on: `MAINT_TEST_PG_URL` (bench/database.py).
SERVER_URL = ADMIN_URL

TENANT1 = Actor("tenant1", Role.TENANT, "demo", Channel.APP, unit="A-301")
TENANT2 = Actor("tenant2", Role.TENANT, "demo", Channel.WEB, unit="B-502")
TECH1 = Actor("tech1", Role.TECHNICIAN, "demo", Channel.APP)
TECH2 = Actor("tech2", Role.TECHNICIAN, "demo", Channel.APP)
DISPATCHER = Actor("dispatcher1", Role.DISPATCHER, "demo", Channel.WEB)
SUPERVISOR = Actor("supervisor1", Role.SUPERVISOR, "demo", Channel.WEB)
PLANNER = Actor("planner1", Role.PLANNER, "demo", Channel.WEB)
ADMIN = Actor("admin", Role.ADMIN, "", Channel.WEB)


def url_for(dbname: str) -> str:
    return make_conninfo(SERVER_URL, dbname=dbname)


def new_database_name() -> str:
    return f"maint_it_{secrets.token_hex(6)}"


def drop_database(dbname: str) -> None:
    with psycopg.connect(SERVER_URL, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
        )


@contextmanager
def migrated_database(services: list[str]) -> Iterator[str]:
    """A new database with `services`' schemas migrated; dropped afterwards."""
    name = new_database_name()
    url = url_for(name)
    try:
        migrate(url, services)
        yield url
    finally:
        drop_database(name)


class Clock:
    """A settable clock: handlers read the time from it instead of the wall clock."""

    def __init__(self, now: datetime) -> None:
        assert now.tzinfo is not None
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta = timedelta(minutes=1)) -> datetime:
        self.now += delta
        return self.now

    def set(self, now: datetime) -> datetime:
        assert now.tzinfo is not None
        self.now = now
        return now


_DAYS = itertools.count()
#: Each test's clock starts on a day of its own, after the wall clock and far from others.
_FIRST_DAY = datetime(2031, 1, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def broker() -> Iterator[LocalBroker]:
    """A Mosquitto of the test's own on a free port, with the project's broker settings."""
    with LocalBroker() as running:
        yield running


@contextmanager
def ingestor_database(devices: list[str]) -> Iterator[str]:
    """A fresh database with the ingestor's schema and `devices` registered (native
    format); dropped afterwards."""
    with migrated_database(["ingestor"]) as url:
        register_native_devices(url, devices)
        yield url


def ticket_request(
    title: str = "Kitchen tap drips",
    *,
    kind: Kind = Kind.REPAIR,
    category: str = "plumbing",
    description: str = "It has been dripping since Monday.",
    building: str = "A",
    floor: str = "3",
    unit: str = "",
    asset: str = "",
    priority: Priority | None = None,
) -> NewTicket:
    return NewTicket(
        kind=kind,
        category=category,
        title=title,
        description=description,
        location=Location("demo", building, floor, unit, asset),
        priority=priority,
    )


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    with migrated_database(["intake"]) as url:
        seed_demo(url)
        yield url


@pytest.fixture
def clock() -> Clock:
    return Clock(_FIRST_DAY + timedelta(days=next(_DAYS)))


@pytest_asyncio.fixture
async def pool(database_url: str) -> AsyncIterator[AsyncConnectionPool]:
    pool = create_pool(database_url, min_size=1, max_size=10)
    await pool.open(wait=True, timeout=10)
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture
def handlers(pool: AsyncConnectionPool, clock: Clock) -> IntakeHandlers:
    return IntakeHandlers(pool, clock, stream_poll_s=0.01)


@contextmanager
def proxy_to(database_url: str) -> Iterator[tuple[TcpProxy, str]]:
    """A TCP proxy to the server of `database_url` and the URL through it: `cut()` it to
    take the database away from whoever connects that way."""
    upstream = conninfo_to_dict(database_url)
    if str(upstream.get("host") or "").startswith("/"):
        pytest.skip("the proxy needs a PostgreSQL server reached over TCP")
    port = free_port()
    with TcpProxy(port, int(upstream.get("port") or 5432),
                  str(upstream.get("host") or "127.0.0.1")) as proxy:  # fmt: skip
        yield proxy, make_conninfo(database_url, host="127.0.0.1", port=port)


@pytest.fixture
def proxied(database_url: str) -> Iterator[tuple[TcpProxy, str]]:
    """`proxy_to` the session's database."""
    with proxy_to(database_url) as both:
        yield both
