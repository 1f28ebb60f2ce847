"""The pieces every service is built from, under failure: a follower whose database is
away, a background job that ends, and the LISTEN wake-up."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import grpc
import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from services.common.event_follower import EventFollower, one_by_one
from services.common.grpc_server import BackgroundJobEnded, serve_grpc
from services.common.listen import listen_forever
from services.launcher.stack import free_port, free_ports


def nowhere() -> str:
    """A database URL nothing listens on: every attempt to connect fails quickly."""
    return f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere?connect_timeout=1"


@asynccontextmanager
async def background(job: Coroutine[Any, Any, None]) -> AsyncIterator[asyncio.Task[None]]:
    """`job` running as a task for the block, cancelled after it."""
    task = asyncio.create_task(job)
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def outlives_several_failures(job: Coroutine[Any, Any, None], seconds: float) -> None:
    async with background(job) as task:
        await asyncio.sleep(seconds)
        assert not task.done(), task


async def test_a_follower_outlives_a_database_that_is_away() -> None:
    pool = AsyncConnectionPool(nowhere(), min_size=0, max_size=1, timeout=0.2, open=False)
    await pool.open(wait=False)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{free_port()}")
    stub: Any = None  # never reached: the cursor cannot be loaded

    async def handle(conn: Any, event: Any) -> None:
        raise AssertionError("no event can arrive")

    try:
        await outlives_several_failures(
            EventFollower(
                stub,
                pool,
                schema="intake",
                consumer="test",
                handle=one_by_one(handle),
                retry_s=0.05,
            ).run(),
            1.5,
        )
    finally:
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


async def test_a_job_that_swallows_its_cancellation_is_cancelled_again() -> None:
    cancelled: list[int] = []
    started = asyncio.Event()

    async def stubborn() -> None:
        started.set()
        while True:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                cancelled.append(1)
                if len(cancelled) > 1:
                    raise  # the second time it gives in

    async def ready() -> bool:
        return True

    async def stop_when_started() -> None:
        await started.wait()
        os.kill(os.getpid(), signal.SIGTERM)

    stopper = asyncio.create_task(stop_when_started())
    await asyncio.wait_for(
        serve_grpc(
            service_names=["test.v1.Nothing"], register=lambda server: None,
            host="127.0.0.1", port=free_port(), metrics_port=free_port(),
            is_ready=ready, background=[stubborn], grace_s=0.1,
        ),
        timeout=10,
    )  # fmt: skip
    await stopper
    assert len(cancelled) == 2


async def test_a_port_another_server_holds_is_an_error_not_a_shared_port() -> None:
    port, metrics_port = free_ports(2)
    other = grpc.aio.server(options=[("grpc.so_reuseport", 1)])
    other.add_insecure_port(f"127.0.0.1:{port}")
    await other.start()

    async def ready() -> bool:
        return True

    try:
        with pytest.raises(RuntimeError, match="bind"):
            await asyncio.wait_for(
                serve_grpc(
                    service_names=["test.v1.Nothing"], register=lambda server: None,
                    host="127.0.0.1", port=port, metrics_port=metrics_port, is_ready=ready,
                ),
                timeout=10,
            )  # fmt: skip
    finally:
        await other.stop(None)


def test_free_ports_are_all_different() -> None:
    ports = free_ports(200)
    assert len(set(ports)) == 200


async def test_listen_wakes_on_connect_and_on_each_committed_notify(database_url: str) -> None:
    wakes: asyncio.Queue[None] = asyncio.Queue()
    async with background(
        listen_forever(database_url, "test_kit_wake", lambda: wakes.put_nowait(None), 0.05)
    ):
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


async def test_listen_outlives_a_database_that_is_away() -> None:
    await outlives_several_failures(
        listen_forever(nowhere(), "test_kit_wake", lambda: None, 0.05), 0.5
    )
