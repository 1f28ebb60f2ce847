"""One replica at a time follows the event log: it holds a PostgreSQL session advisory lock
while it follows, and the others stand by (taking over when the holder's session ends)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from psycopg_pool import AsyncConnectionPool

__all__ = ["follow_as_leader"]

log = logging.getLogger(__name__)


async def follow_as_leader(
    pool: AsyncConnectionPool,
    lock_key: int,
    follow: Callable[[], Awaitable[None]],
    what: str,
    retry_s: float = 5.0,
) -> None:
    """Run `follow` (`what` it does, for the log) while holding the advisory lock `lock_key`;
    stand by while another replica holds it."""
    while True:
        try:
            async with pool.connection() as conn:
                cur = await conn.execute("SELECT pg_try_advisory_lock(%s)", (lock_key,))
                row = await cur.fetchone()
                if row and row[0]:
                    log.info("leading: %s", what)
                    try:
                        await follow()
                    finally:
                        await conn.execute("SELECT pg_advisory_unlock(%s)", (lock_key,))
        except Exception:
            log.exception("%s failed; will try again", what)
        await asyncio.sleep(retry_s)
