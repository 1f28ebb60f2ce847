"""A throw-away database for one benchmark run: created and migrated, dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from services.common.migrate import migrate
from services.intake.demo import seed_demo

__all__ = ["ADMIN_URL", "bench_database"]

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@contextmanager
def bench_database(services: list[str] | None = None, demo: bool = True) -> Iterator[str]:
    """A new database migrated for `services` (all when None) and, with `demo`, seeded with
    the demo site and users; its URL for the block, dropped afterwards."""
    name = f"maint_bench_{uuid.uuid4().hex[:8]}"
    url = make_conninfo(ADMIN_URL, dbname=name)
    print(f"setting up database {name}", flush=True)
    try:
        migrate(url, services)
        if demo:
            seed_demo(url)
        yield url
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
