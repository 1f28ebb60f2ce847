"""Wake the delivery worker as soon as deliveries are committed: LISTEN on the channel the
event handler NOTIFYs inside its transaction (PostgreSQL delivers it at commit)."""

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
            log.warning("listening for queued deliveries failed (%s); again in %.1fs", exc, retry_s)
        await asyncio.sleep(retry_s)
