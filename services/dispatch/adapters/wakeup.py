"""Wake the workers when work is committed: PostgreSQL NOTIFY, heard on a LISTEN connection.

Whoever queues a routing job or an intake call sends `NOTIFY dispatch_work` in the same
transaction; PostgreSQL delivers it only once that transaction commits, so a woken worker
always finds the work. The workers poll as well, so a lost notification only delays.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import psycopg
from psycopg import sql

from services.dispatch.adapters.work_repo import WAKE_CHANNEL

__all__ = ["listen_for_work"]

log = logging.getLogger(__name__)


async def listen_for_work(
    database_url: str, wake: Callable[[], None], retry_s: float = 2.0
) -> None:
    """Run forever: call `wake()` on every notification; reconnect when the connection drops."""
    while True:
        try:
            conn = await psycopg.AsyncConnection.connect(database_url, autocommit=True)
            async with conn:
                await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(WAKE_CHANNEL)))
                wake()  # anything queued while nobody listened
                async for _ in conn.notifies():
                    wake()
        except psycopg.Error as exc:
            log.warning("work notifications stopped (%s); listening again in %.1fs", exc, retry_s)
        await asyncio.sleep(retry_s)
