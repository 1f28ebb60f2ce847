"""Database access shared by services: create the database if missing, open a pool."""

from __future__ import annotations

import logging

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import AsyncConnectionPool

__all__ = ["create_pool", "ensure_database", "ping"]

log = logging.getLogger(__name__)


def ensure_database(database_url: str) -> None:
    """Create the database named in `database_url` if it does not exist yet."""
    params = conninfo_to_dict(database_url)
    name = str(params.get("dbname") or "postgres")
    try:
        psycopg.connect(database_url, connect_timeout=5).close()
        return
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise
    admin = make_conninfo(database_url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            log.info("created database %s", name)
        except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
            pass  # another process created it first


def create_pool(
    database_url: str, min_size: int = 2, max_size: int = 10, *,
    idle_in_transaction_s: float = 60.0, statement_timeout_s: float = 300.0,
) -> AsyncConnectionPool:  # fmt: skip
    """An unopened async pool; open it with `await pool.open()` inside the event loop.

    Its sessions are limited: the server ends one left idle inside a transaction for
    `idle_in_transaction_s` (an open transaction holds back the event log's readers
    server-wide: they read only below the oldest one in flight), and any statement that
    runs longer than `statement_timeout_s`.
    """
    limits = (
        f"-c idle_in_transaction_session_timeout={int(idle_in_transaction_s * 1000)}"
        f" -c statement_timeout={int(statement_timeout_s * 1000)}"
    )
    return AsyncConnectionPool(
        database_url,
        min_size=min_size,
        max_size=max_size,
        open=False,
        kwargs={"autocommit": True, "options": limits},
        name="maintenance",
    )


async def ping(pool: AsyncConnectionPool, timeout_s: float = 2.0) -> bool:
    """True when a connection can be had and answers `SELECT 1`."""
    try:
        async with pool.connection(timeout=timeout_s) as conn:
            await conn.execute("SELECT 1")
        return True
    except (psycopg.Error, TimeoutError, OSError) as exc:
        log.warning("database ping failed: %s", exc)
        return False
