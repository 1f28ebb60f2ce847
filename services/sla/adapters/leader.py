"""One SLA replica at a time follows the event log: it holds a PostgreSQL session advisory
lock while it follows, and the others stand by (all of them work timers)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from psycopg_pool import AsyncConnectionPool

__all__ = ["follow_as_leader"]

log = logging.getLogger(__name__)

_FOLLOWER_LOCK = 0x736C61  # "sla"


async def follow_as_leader(
    pool: AsyncConnectionPool, follow: Callable[[], Awaitable[None]]
) -> None:
    """Follow while holding the follower lock; stand by while another replica holds it."""
    while True:
        try:
            async with pool.connection() as conn:
                cur = await conn.execute("SELECT pg_try_advisory_lock(%s)", (_FOLLOWER_LOCK,))
                row = await cur.fetchone()
                if row and row[0]:
                    log.info("following intake's ticket events")
                    try:
                        await follow()
                    finally:
                        await conn.execute("SELECT pg_advisory_unlock(%s)", (_FOLLOWER_LOCK,))
        except Exception:
            log.exception("following ticket events failed; will try again")
        await asyncio.sleep(5.0)
