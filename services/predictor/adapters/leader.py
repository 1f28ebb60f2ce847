"""One predictor replica at a time syncs, trains and ranks: it holds a PostgreSQL session
advisory lock while it works, and the others stand by (all of them serve)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from psycopg_pool import AsyncConnectionPool

__all__ = ["run_as_leader"]

log = logging.getLogger(__name__)

_LEADER_LOCK = 0x70726564  # "pred"


async def run_as_leader(pool: AsyncConnectionPool, work: Callable[[], Awaitable[None]],
                        retry_s: float = 5.0) -> None:  # fmt: skip
    """Run `work` (which runs until cancelled) while holding the leader lock; stand by
    while another replica holds it."""
    while True:
        try:
            async with pool.connection() as conn:
                cur = await conn.execute("SELECT pg_try_advisory_lock(%s)", (_LEADER_LOCK,))
                row = await cur.fetchone()
                if row and row[0]:
                    log.info("leading: syncing, training and ranking")
                    try:
                        await work()
                    finally:
                        await conn.execute("SELECT pg_advisory_unlock(%s)", (_LEADER_LOCK,))
        except Exception:
            log.exception("leading failed; will try again")
        await asyncio.sleep(retry_s)
