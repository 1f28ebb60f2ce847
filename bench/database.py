"""A throw-away database for one benchmark run: created and migrated, dropped afterwards.

Benchmarks and tests make their databases on the server `MAINT_TEST_PG_URL` names (a URL
of its `postgres` database, default `postgresql://postgres@127.0.0.1:5432/postgres`), so
one variable moves them all, e.g. to a server with TimescaleDB.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from services.common.migrate import migrate
from services.intake.demo import seed_demo

__all__ = ["ADMIN_URL", "bench_database", "server_label"]

#: The server's maintenance database: where throw-away databases are created and dropped.
ADMIN_URL = os.environ.get("MAINT_TEST_PG_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"


def server_label(url: str = ADMIN_URL) -> str:
    """host:port of a server URL, for messages (never its password)."""
    params = conninfo_to_dict(url)
    return f"{params.get('host') or 'localhost'}:{params.get('port') or 5432}"


def _flavour(url: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'"
        ).fetchone()
    return f"TimescaleDB {row[0]}" if row else "plain PostgreSQL"


@contextmanager
def bench_database(services: list[str] | None = None, demo: bool = True) -> Iterator[str]:
    """A new database migrated for `services` (all when None) and, with `demo`, seeded with
    the demo site and users; its URL for the block, dropped afterwards."""
    name = f"maint_bench_{uuid.uuid4().hex[:8]}"
    url = make_conninfo(ADMIN_URL, dbname=name)
    print(f"setting up database {name} on {server_label()}", flush=True)
    try:
        migrate(url, services)
        print(f"database {name}: {_flavour(url)}", flush=True)
        if demo:
            seed_demo(url)
        yield url
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
