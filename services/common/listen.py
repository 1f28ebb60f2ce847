"""Wake a worker as soon as work is committed: PostgreSQL NOTIFY, heard on a LISTEN
connection.

Whoever queues work sends `NOTIFY <channel>` (or `pg_notify`) in the same transaction;
PostgreSQL delivers it only once that transaction commits, so a woken worker always finds
the work. Workers poll as well, so a notification lost while nobody listened only delays.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import psycopg
from psycopg import sql

__all__ = ["listen_forever"]

log = logging.getLogger(__name__)


async def listen_forever(
    database_url: str, channel: str, on_wake: Callable[[], None], retry_s: float = 2.0
) -> None:
    """Call `on_wake` for every notification on `channel`; reconnect when the connection
    drops (and wake once then, for anything queued meanwhile)."""
    while True:
        try:
            conn = await psycopg.AsyncConnection.connect(database_url, autocommit=True)
            async with conn:
                await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                on_wake()
                async for _ in conn.notifies():
                    on_wake()
        except psycopg.Error as exc:
            log.warning("listening on %s stopped (%s); again in %.1fs", channel, exc, retry_s)
        await asyncio.sleep(retry_s)
