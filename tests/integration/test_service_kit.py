"""The pieces every service is built from, under failure: a follower whose database is
away, a background job that ends, and the LISTEN wake-up."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import grpc
import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from services.common.event_follower import follow_ticket_events
from services.common.grpc_server import BackgroundJobEnded, serve_grpc
from services.common.listen import listen_forever
from services.launcher.stack import free_port


async def test_a_follower_outlives_a_database_that_is_away() -> None:
    # Nothing listens on this port: every attempt to load the cursor fails quickly.
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere?connect_timeout=1"
    pool = AsyncConnectionPool(url, min_size=0, max_size=1, timeout=0.2, open=False)
    await pool.open(wait=False)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{free_port()}")
    stub: Any = None  # never reached: the cursor cannot be loaded

    async def handle(conn: Any, event: Any) -> None:
        raise AssertionError("no event can arrive")

    follower = asyncio.create_task(
        follow_ticket_events(
            stub, pool, schema="intake", consumer="test", handle=handle, retry_s=0.05
        )
    )
    try:
        await asyncio.sleep(1.5)  # several failed attempts
        assert not follower.done(), follower
    finally:
        follower.cancel()
        await asyncio.gather(follower, return_exceptions=True)
        await channel.close(grace=None)
        await pool.close()


async def test_a_background_job_that_ends_stops_the_service() -> None:
    ran: list[str] = []

    async def fails() -> None:
        ran.append("fails")
        raise RuntimeError("lost its connection for good")

    async def forever() -> None:
        ran.append("forever")
        await asyncio.Event().wait()

    async def ready() -> bool:
        return True

    jobs: list[Callable[[], Coroutine[Any, Any, None]]] = [forever, fails]
    with pytest.raises(BackgroundJobEnded, match="fails"):
        await asyncio.wait_for(
            serve_grpc(
                service_names=["test.v1.Nothing"], register=lambda server: None,
                host="127.0.0.1", port=free_port(), metrics_port=free_port(),
                is_ready=ready, background=jobs, grace_s=0.1,
            ),
            timeout=10,
        )  # fmt: skip
    assert sorted(ran) == ["fails", "forever"]


async def test_listen_wakes_on_connect_and_on_each_committed_notify(database_url: str) -> None:
    wakes: asyncio.Queue[None] = asyncio.Queue()
    listener = asyncio.create_task(
        listen_forever(database_url, "test_kit_wake", lambda: wakes.put_nowait(None), 0.05)
    )
    try:
        await asyncio.wait_for(wakes.get(), 5.0)  # on connect: anything queued meanwhile
        async with await psycopg.AsyncConnection.connect(database_url) as conn:
            async with conn.transaction():
                await conn.execute("SELECT pg_notify('test_kit_wake', '')")
                await asyncio.sleep(0.2)
                assert wakes.empty(), "woken before the transaction committed"
            await asyncio.wait_for(wakes.get(), 5.0)
            await conn.execute("NOTIFY test_kit_other")
            await asyncio.sleep(0.2)
            assert wakes.empty(), "woken by another channel"
    finally:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)


async def test_listen_outlives_a_database_that_is_away() -> None:
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere?connect_timeout=1"
    listener = asyncio.create_task(listen_forever(url, "test_kit_wake", lambda: None, 0.05))
    try:
        await asyncio.sleep(0.5)  # several failed attempts
        assert not listener.done(), listener
    finally:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
