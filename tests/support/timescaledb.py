"""Whether the test server has TimescaleDB, and a skip for tests that need it.

Migrations enable TimescaleDB when the server offers the extension and preloads its library
(`services/common/migrate.py`); so does this check. `python -m tests.support.timescaledb`
exits non-zero, saying why, when the server of `MAINT_TEST_PG_URL` lacks it
(`make test-timescaledb` runs it first, so that a missing extension fails the run instead of
skipping its tests).
"""

from __future__ import annotations

import sys
from functools import cache

import psycopg
import pytest

from bench.database import ADMIN_URL, server_label

__all__ = ["has_timescaledb", "require_timescaledb", "skip_reason"]


@cache
def has_timescaledb(url: str = ADMIN_URL) -> bool:
    """True when the server offers TimescaleDB and preloads it (asked once per run)."""
    with psycopg.connect(url, connect_timeout=10) as conn:
        offered = conn.execute(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'"
        ).fetchone()
        preloaded = conn.execute("SELECT current_setting('shared_preload_libraries')").fetchone()
    return offered is not None and preloaded is not None and "timescaledb" in str(preloaded[0])


def skip_reason(url: str = ADMIN_URL) -> str:
    return f"TimescaleDB is not installed and preloaded on {server_label(url)}"


def require_timescaledb(url: str = ADMIN_URL) -> None:
    """Skip the calling test when the server has no TimescaleDB."""
    if not has_timescaledb(url):
        pytest.skip(skip_reason(url))


def main() -> None:
    if not has_timescaledb():
        sys.exit(f"{skip_reason()}: set MAINT_TEST_PG_URL to a server that has it")
    print(f"TimescaleDB is installed and preloaded on {server_label()}")


if __name__ == "__main__":
    main()
