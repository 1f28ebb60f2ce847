"""Versioned SQL migrations, one folder per service: `services/<service>/migrations/NNNN_name.sql`.

Each service's files are applied in name order into its own schema, each file in its own
transaction, recorded in `<service>.schema_migrations`. An advisory lock on the database
makes two processes starting at once apply each file exactly once. TimescaleDB is enabled when
the server offers it; migrations test for it with `maintenance_has_timescaledb()`.

Run `python -m services.common.migrate` to apply everything.
"""

from __future__ import annotations

import hashlib
import logging
import sys
from pathlib import Path

import psycopg
from psycopg import sql

from services.common.db import ensure_database
from services.common.logs import configure_logging
from services.common.settings import ServiceSettings

__all__ = ["discover", "has_timescaledb", "migrate"]

log = logging.getLogger(__name__)

_SERVICES_DIR = Path(__file__).resolve().parent.parent
_LOCK_KEY = 0x6D61696E74  # "maint"

_HELPER = """
CREATE OR REPLACE FUNCTION public.maintenance_has_timescaledb() RETURNS boolean
LANGUAGE sql STABLE AS $$ SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') $$
"""


def discover(root: Path = _SERVICES_DIR) -> dict[str, list[Path]]:
    """Map each service that has migrations to its SQL files in apply order."""
    found: dict[str, list[Path]] = {}
    for folder in sorted(root.glob("*/migrations")):
        files = sorted(folder.glob("*.sql"))
        if files:
            found[folder.parent.name] = files
    return found


def has_timescaledb(conn: psycopg.Connection[tuple[object, ...]]) -> bool:
    """True when the TimescaleDB extension is installed in this database."""
    row = conn.execute("SELECT public.maintenance_has_timescaledb()").fetchone()
    return bool(row and row[0])


def _enable_timescaledb(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    offered = conn.execute(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'"
    ).fetchone()
    if not offered:
        log.info("TimescaleDB not offered by this server: using plain PostgreSQL tables")
        return
    # Without the library preloaded, CREATE EXTENSION ends the session (FATAL), not just the
    # statement: ask first.
    libraries = conn.execute("SELECT current_setting('shared_preload_libraries')").fetchone()
    if libraries is None or "timescaledb" not in str(libraries[0]):
        log.warning("TimescaleDB offered but not in shared_preload_libraries: using plain tables")
        return
    try:
        with conn.transaction():
            conn.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
        log.info("TimescaleDB enabled")
    except psycopg.Error as exc:
        log.warning("TimescaleDB offered but cannot be enabled (%s): using plain tables", exc)


def _apply_service(
    conn: psycopg.Connection[tuple[object, ...]], service: str, files: list[Path]
) -> int:
    schema = sql.Identifier(service)
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))
    conn.execute(
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {}.schema_migrations ("
            " version text PRIMARY KEY, checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        ).format(schema)
    )
    applied = {
        str(version): str(checksum)
        for version, checksum in conn.execute(
            sql.SQL("SELECT version, checksum FROM {}.schema_migrations").format(schema)
        ).fetchall()
    }
    count = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        checksum = hashlib.sha256(text.encode()).hexdigest()
        if path.stem in applied:
            if applied[path.stem] != checksum:
                log.warning("%s/%s changed after it was applied", service, path.name)
            continue
        with conn.transaction():
            conn.execute(sql.SQL("SET LOCAL search_path TO {}, public").format(schema))
            conn.execute(text.encode())
            conn.execute(
                sql.SQL(
                    "INSERT INTO {}.schema_migrations (version, checksum) VALUES (%s, %s)"
                ).format(schema),
                (path.stem, checksum),
            )
        log.info("applied migration %s/%s", service, path.name)
        count += 1
    return count


def migrate(database_url: str, services: list[str] | None = None) -> int:
    """Create the database if needed and apply pending migrations; returns how many ran."""
    ensure_database(database_url)
    plan = discover()
    if services is not None:
        plan = {name: plan[name] for name in services}
    total = 0
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            _enable_timescaledb(conn)
            conn.execute(_HELPER)
            for service, files in plan.items():
                total += _apply_service(conn, service, files)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
    return total


def main() -> None:
    """Apply every service's migrations to `DATABASE_URL`."""
    settings = ServiceSettings()
    configure_logging(settings.log_level, settings.log_format, "migrate")
    count = migrate(settings.database_url, sys.argv[1:] or None)
    log.info("%d migration(s) applied", count)


if __name__ == "__main__":
    main()
