"""The leader lock under a database connection that goes away: the leader whose session
died stops leading within a check, another replica takes over, and the first does not
lead again while the other holds the lock."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from psycopg_pool import AsyncConnectionPool

from services.common.db import create_pool
from services.common.leader import follow_as_leader
from tests.support.tcp_proxy import TcpProxy

_KEY = 0x7465_7374  # "test"
_CHECK_S = 0.2


class Replica:
    """A replica's leader loop; `leading` is true while its follow() runs."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool
        self.leading = False
        self.task: asyncio.Task[None] | None = None

    async def _follow(self) -> None:
        self.leading = True
        try:
            await asyncio.Event().wait()
        finally:
            self.leading = False

    def start(self) -> None:
        lead = follow_as_leader(
            self.pool, _KEY, self._follow, "testing", retry_s=0.1, check_s=_CHECK_S
        )
        self.task = asyncio.create_task(lead)

    async def stop(self) -> None:
        assert self.task is not None
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def _pool(url: str) -> AsyncConnectionPool:
    pool = create_pool(url, min_size=0, max_size=2)
    await pool.open(wait=False)
    return pool


async def _until(what: str, check: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.02)


async def test_a_leader_whose_session_dies_stops_and_another_takes_over(
    database_url: str, proxied: tuple[TcpProxy, str]
) -> None:
    proxy, proxied_url = proxied
    first, second = Replica(await _pool(proxied_url)), Replica(await _pool(database_url))
    try:
        first.start()
        await _until("the first replica leads", lambda: first.leading)
        second.start()
        await asyncio.sleep(0.5)
        assert first.leading and not second.leading  # one leader at a time

        proxy.cut()  # the first replica's database connections die
        both_s, began = 0.0, time.monotonic()
        while not (second.leading and not first.leading):
            assert time.monotonic() - began < 10, "no hand-over"
            if first.leading and second.leading:
                both_s += 0.01
            await asyncio.sleep(0.01)
        assert both_s <= _CHECK_S + 0.3, f"two leaders for {both_s:.2f}s"

        proxy.restore()  # back: the first must stand by while the second leads
        for _ in range(50):
            await asyncio.sleep(0.02)
            assert second.leading and not first.leading
    finally:
        await first.stop()
        await second.stop()
        await first.pool.close()
        await second.pool.close()
