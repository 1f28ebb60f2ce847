"""One replica at a time leads (follows the event log, runs a schedule): it holds a
PostgreSQL session advisory lock while it leads, and the others stand by (taking over when
the holder's session ends).

The lock is checked again every `check_s` on the session that holds it: when that session
is gone (the database restarted, the network dropped it) the server has released the lock
and another replica may hold it now, so the leader stops leading at once and asks again
like any other replica. Two replicas never lead together for longer than `check_s`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

__all__ = ["follow_as_leader"]

log = logging.getLogger(__name__)

#: Whether this session holds the advisory lock on a (non-negative) bigint key.
_HOLDS = (
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND pid = pg_backend_pid() AND objsubid = 1"
    " AND (classid::bigint << 32) | objid::bigint = %s)"
)


async def _holds(conn: AsyncConnection[Any], lock_key: int) -> bool:
    try:
        cur = await conn.execute(_HOLDS, (lock_key,))
        row = await cur.fetchone()
    except Exception:  # the session is gone, and the lock with it
        return False
    return bool(row and row[0])


async def _lead(conn: AsyncConnection[Any], lock_key: int, follow: Callable[[], Awaitable[None]],
                what: str, check_s: float) -> None:  # fmt: skip
    """Run `follow` until it ends or the lock is lost; raises what `follow` raised."""
    task = asyncio.ensure_future(follow())
    try:
        while not task.done():
            await asyncio.wait({task}, timeout=check_s)
            if not task.done() and not await _holds(conn, lock_key):
                log.warning("lost the leader lock: no longer %s", what)
                return
        task.result()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def follow_as_leader(
    pool: AsyncConnectionPool,
    lock_key: int,
    follow: Callable[[], Awaitable[None]],
    what: str,
    retry_s: float = 5.0,
    check_s: float = 2.0,
) -> None:
    """Run `follow` (`what` it does, for the log) while holding the advisory lock `lock_key`
    (checked every `check_s`); stand by while another replica holds it."""
    while True:
        try:
            async with pool.connection() as conn:
                cur = await conn.execute("SELECT pg_try_advisory_lock(%s)", (lock_key,))
                row = await cur.fetchone()
                if row and row[0]:
                    log.info("leading: %s", what)
                    try:
                        await _lead(conn, lock_key, follow, what, check_s)
                    finally:
                        if not conn.closed:
                            await conn.execute("SELECT pg_advisory_unlock(%s)", (lock_key,))
        except Exception:
            log.exception("%s failed; will try again", what)
        await asyncio.sleep(retry_s)
