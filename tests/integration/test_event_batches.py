"""The common event follower against real cursor and parked-event tables (an in-memory
intake stream): events in batches, imported history only to consumers that ask for it, a
poisoned event parked (and retried over gRPC) while the rest flow, a silent stream opened
again, failures of what is away waited out, and the lag gauge."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import grpc
import pytest
import pytest_asyncio
from maintenance.follower.v1 import follower_pb2, follower_pb2_grpc
from maintenance.intake.v1 import intake_pb2 as pb
from prometheus_client import REGISTRY
from psycopg_pool import AsyncConnectionPool

from services.common.db import create_pool
from services.common.event_follower import EventFollower, one_by_one
from services.launcher.stack import free_port
from tests.integration.analytics_feed import analytics_database

EVENTS = [
    pb.TicketEvent(id=n, ticket_id="t", type="comment", cursor=f"1.{n}", imported=n in (3, 4, 8))
    for n in range(1, 11)
]


class Stream:
    """Intake's StreamEvents over `EVENTS`: after the cursor asked for (imported ones only
    when asked for), then nothing more."""

    def __init__(self, beat_s: float = 0.0) -> None:
        self.asked: list[str] = []
        self._beat_s = beat_s  # 0: a silent stream once the events are sent

    def StreamEvents(self, request: pb.StreamEventsRequest, **_: Any) -> AsyncIterator[Any]:  # noqa: N802
        self.asked.append(request.after_cursor)
        after = int(request.after_cursor.partition(".")[2] or 0)

        async def replies() -> AsyncIterator[pb.StreamEventsResponse]:
            for event in EVENTS[after:]:
                if request.include_imported or not event.imported:
                    yield pb.StreamEventsResponse(event=event)
            while self._beat_s:  # following: no more events come, only heartbeats
                await asyncio.sleep(self._beat_s)
                yield pb.StreamEventsResponse(heartbeat=pb.StreamHeartbeat(cursor="1.10"))
            await asyncio.Event().wait()

        return replies()


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with analytics_database() as found:
        yield found


@pytest_asyncio.fixture
async def pool(url: str) -> AsyncIterator[AsyncConnectionPool]:
    pool = create_pool(url, min_size=1, max_size=2)
    await pool.open(wait=True, timeout=10)
    async with pool.connection() as conn:
        await conn.execute("TRUNCATE analytics.event_cursor, analytics.parked_events")
    try:
        yield pool
    finally:
        await pool.close()


async def _cursor(pool: AsyncConnectionPool) -> str:
    async with pool.connection() as conn:
        row = await (await conn.execute("SELECT cursor FROM analytics.event_cursor")).fetchone()
    return str(row[0]) if row else ""


async def _until(done: Any, task: asyncio.Task[None]) -> None:
    """Wait until `await done()`, then stop the follower."""
    deadline = time.monotonic() + 10
    try:
        while not await done():
            assert time.monotonic() < deadline, "the follower did not get there"
            await asyncio.sleep(0.01)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_batches_hold_what_arrived_imported_included(pool: AsyncConnectionPool) -> None:
    batches: list[list[int]] = []

    async def handle(conn: Any, events: list[pb.TicketEvent]) -> None:
        batches.append([e.id for e in events])

    task = asyncio.create_task(EventFollower(
        Stream(), pool, schema="analytics", consumer="test", handle=handle,  # type: ignore[arg-type]
        max_batch=4, with_imported=True,
    ).run())  # fmt: skip

    async def done() -> bool:  # the last batch handed over, and its transaction committed
        return await _cursor(pool) == "1.10"

    await _until(done, task)
    assert [n for batch in batches for n in batch] == list(range(1, 11))
    assert max(map(len, batches)) == 4  # batched, never more than asked


async def test_one_event_at_a_time_without_imported_history(pool: AsyncConnectionPool) -> None:
    seen: list[int] = []

    async def handle(conn: Any, event: pb.TicketEvent) -> None:
        seen.append(event.id)

    task = asyncio.create_task(EventFollower(
        Stream(), pool, schema="analytics", consumer="test", handle=one_by_one(handle),  # type: ignore[arg-type]
    ).run())  # fmt: skip

    async def done() -> bool:
        return await _cursor(pool) == "1.10"

    await _until(done, task)
    assert seen == [1, 2, 5, 6, 7, 9, 10]


async def test_a_failed_batch_is_handed_again_from_the_stored_cursor(
    pool: AsyncConnectionPool,
) -> None:
    stream = Stream()
    batches: list[list[int]] = []
    failed: list[bool] = []

    async def handle(conn: Any, events: list[pb.TicketEvent]) -> None:
        if 6 in [e.id for e in events] and not failed:
            failed.append(True)
            raise RuntimeError("the database said no")
        batches.append([e.id for e in events])

    task = asyncio.create_task(EventFollower(
        stream, pool, schema="analytics", consumer="test", handle=handle,  # type: ignore[arg-type]
        max_batch=1, retry_s=0.01,
    ).run())  # fmt: skip

    async def done() -> bool:
        return await _cursor(pool) == "1.10"

    await _until(done, task)
    assert [n for batch in batches for n in batch] == [1, 2, 5, 6, 7, 9, 10]
    assert stream.asked[:2] == ["", "1.5"]


async def _parked(pool: AsyncConnectionPool) -> list[tuple[int, int, str]]:
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT event_id, attempts, error FROM analytics.parked_events ORDER BY event_id"
        )
        return [(int(a), int(b), str(c)) for a, b, c in await cur.fetchall()]


async def test_an_event_that_always_fails_is_parked_and_the_rest_flow(
    pool: AsyncConnectionPool,
) -> None:
    """Event 6 makes the handler fail every time: after five attempts it is set aside (the
    batch it came in is first split to find it) and 7 to 10 are handled; retried over
    gRPC once the handler is mended, it is handled and no longer parked."""
    handled: list[int] = []
    poisoned = {6}

    async def handle(conn: Any, events: list[pb.TicketEvent]) -> None:
        if poisoned & {e.id for e in events}:
            raise ValueError("cannot read this event's payload")
        handled.extend(e.id for e in events)

    follower = EventFollower(
        Stream(), pool, schema="analytics", consumer="test", handle=handle,  # type: ignore[arg-type]
        max_batch=4, retry_s=0.01, park_after=5,
    )  # fmt: skip
    task = asyncio.create_task(follower.run())

    async def done() -> bool:
        return await _cursor(pool) == "1.10"

    await _until(done, task)
    assert handled == [1, 2, 5, 7, 9, 10]
    ((event_id, attempts, error),) = await _parked(pool)
    assert (event_id, attempts) == (
        6,
        5,
    ) and error == "ValueError: cannot read this event's payload"

    port = free_port()
    server = grpc.aio.server()
    follower.register(server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = follower_pb2_grpc.FollowerServiceStub(channel)
            listed = await stub.ListParkedEvents(follower_pb2.ListParkedEventsRequest())
            assert [(e.event_id, e.consumer, e.attempts) for e in listed.events] == [(6, "test", 5)]
            again = await stub.RetryParkedEvent(follower_pb2.RetryParkedEventRequest(event_id=6))
            assert not again.handled and again.event.attempts == 6  # still broken
            poisoned.clear()
            mended = await stub.RetryParkedEvent(follower_pb2.RetryParkedEventRequest(event_id=6))
            assert mended.handled and handled[-1] == 6
            with pytest.raises(grpc.aio.AioRpcError) as gone:
                await stub.RetryParkedEvent(follower_pb2.RetryParkedEventRequest(event_id=6))
            assert gone.value.code() == grpc.StatusCode.NOT_FOUND
    finally:
        await server.stop(None)
    assert await _parked(pool) == []


async def test_what_is_away_is_waited_out_not_parked(pool: AsyncConnectionPool) -> None:
    """A handler that fails because intake is unavailable is not giving up on the event."""
    failures: list[int] = []

    async def handle(conn: Any, events: list[pb.TicketEvent]) -> None:
        if 5 in {e.id for e in events} and len(failures) < 8:
            failures.append(5)
            raise grpc.aio.AioRpcError(grpc.StatusCode.UNAVAILABLE, grpc.aio.Metadata(),
                                       grpc.aio.Metadata(), "intake is away", None)  # fmt: skip

    task = asyncio.create_task(EventFollower(
        Stream(), pool, schema="analytics", consumer="test", handle=handle,  # type: ignore[arg-type]
        retry_s=0.01, park_after=2,
    ).run())  # fmt: skip

    async def done() -> bool:
        return await _cursor(pool) == "1.10"

    await _until(done, task)
    assert len(failures) == 8 and await _parked(pool) == []


@pytest.mark.parametrize(("beat_s", "reopened"), [(0.0, True), (0.05, False)])
async def test_a_silent_stream_is_opened_again_a_beating_one_is_not(
    pool: AsyncConnectionPool, beat_s: float, reopened: bool
) -> None:
    stream = Stream(beat_s=beat_s)
    task = asyncio.create_task(EventFollower(
        stream, pool, schema="analytics", consumer="test",  # type: ignore[arg-type]
        handle=one_by_one(_nothing), silence_s=0.3,
    ).run())  # fmt: skip
    await asyncio.sleep(1.0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert stream.asked[0] == "" and (len(stream.asked) > 1) == reopened
    assert set(stream.asked[1:]) <= {"1.10"}


async def _nothing(conn: Any, event: pb.TicketEvent) -> None:
    return None


async def test_the_lag_gauge_shows_an_event_waiting_on_its_handler(
    pool: AsyncConnectionPool,
) -> None:
    release = asyncio.Event()
    written = pb.TicketEvent(id=1, ticket_id="t", type="comment", cursor="1.1")
    written.occurred_at.FromSeconds(int(time.time()) - 120)

    class OneOld(Stream):
        def StreamEvents(self, request: pb.StreamEventsRequest, **_: Any) -> AsyncIterator[Any]:  # noqa: N802
            async def replies() -> AsyncIterator[pb.StreamEventsResponse]:
                if not request.after_cursor:
                    yield pb.StreamEventsResponse(event=written)
                await asyncio.Event().wait()

            return replies()

    async def handle(conn: Any, events: list[pb.TicketEvent]) -> None:
        await release.wait()

    task = asyncio.create_task(EventFollower(
        OneOld(), pool, schema="analytics", consumer="lagging", handle=handle,  # type: ignore[arg-type]
    ).run())  # fmt: skip

    def lag() -> float:
        value = REGISTRY.get_sample_value(
            "ticket_event_follower_lag_seconds", {"consumer": "lagging"}
        )
        assert value is not None
        return value

    deadline = time.monotonic() + 5
    while lag() < 119:
        assert time.monotonic() < deadline, lag()
        await asyncio.sleep(0.02)
    release.set()

    async def caught_up() -> bool:
        return lag() == 0.0

    await _until(caught_up, task)


async def test_a_stream_that_cannot_open_is_not_hearing_from_intake(
    pool: AsyncConnectionPool,
) -> None:
    """Intake away: every attempt ends at once; the follower keeps trying, and its
    last-heard time does not move (EventFollowerDisconnected can fire)."""
    attempts: list[str] = []

    class Away(Stream):
        def StreamEvents(self, request: pb.StreamEventsRequest, **_: Any) -> AsyncIterator[Any]:  # noqa: N802
            attempts.append(request.after_cursor)

            async def replies() -> AsyncIterator[pb.StreamEventsResponse]:
                raise grpc.aio.AioRpcError(grpc.StatusCode.UNAVAILABLE, grpc.aio.Metadata(),
                                           grpc.aio.Metadata(), "intake is away", None)  # fmt: skip
                yield pb.StreamEventsResponse()  # an async generator

            return replies()

    task = asyncio.create_task(EventFollower(
        Away(), pool, schema="analytics", consumer="away", handle=one_by_one(_nothing),  # type: ignore[arg-type]
        retry_s=0.05,
    ).run())  # fmt: skip
    await asyncio.sleep(0.5)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert len(attempts) >= 3
    heard = REGISTRY.get_sample_value(
        "ticket_event_follower_last_heard_timestamp_seconds", {"consumer": "away"}
    )
    assert heard is None
