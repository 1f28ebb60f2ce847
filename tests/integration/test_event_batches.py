"""The common event follower taking events in batches, and handing imported history only to
consumers that ask for it, against a real cursor table (an in-memory intake stream)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio
from maintenance.intake.v1 import intake_pb2 as pb
from psycopg_pool import AsyncConnectionPool

from services.common.db import create_pool
from services.common.event_follower import follow_ticket_event_batches, follow_ticket_events
from tests.integration.analytics_feed import analytics_database

EVENTS = [
    pb.TicketEvent(id=n, ticket_id="t", type="comment", cursor=f"1.{n}", imported=n in (3, 4, 8))
    for n in range(1, 11)
]


class Stream:
    """Intake's StreamEvents over `EVENTS`: after the cursor asked for (imported ones only
    when asked for), then nothing more."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def StreamEvents(self, request: pb.StreamEventsRequest, **_: Any) -> AsyncIterator[Any]:  # noqa: N802
        self.asked.append(request.after_cursor)
        after = int(request.after_cursor.partition(".")[2] or 0)

        async def replies() -> AsyncIterator[pb.StreamEventsResponse]:
            for event in EVENTS[after:]:
                if request.include_imported or not event.imported:
                    yield pb.StreamEventsResponse(event=event)
            await asyncio.Event().wait()  # following: no more events come

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
        await conn.execute("TRUNCATE analytics.event_cursor")
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

    task = asyncio.create_task(follow_ticket_event_batches(
        Stream(), pool, schema="analytics", consumer="test", handle=handle,  # type: ignore[arg-type]
        max_batch=4, with_imported=True,
    ))  # fmt: skip

    async def done() -> bool:  # the last batch handed over, and its transaction committed
        return await _cursor(pool) == "1.10"

    await _until(done, task)
    assert [n for batch in batches for n in batch] == list(range(1, 11))
    assert max(map(len, batches)) == 4  # batched, never more than asked


async def test_one_event_at_a_time_without_imported_history(pool: AsyncConnectionPool) -> None:
    seen: list[int] = []

    async def handle(conn: Any, event: pb.TicketEvent) -> None:
        seen.append(event.id)

    task = asyncio.create_task(follow_ticket_events(
        Stream(), pool, schema="analytics", consumer="test", handle=handle,  # type: ignore[arg-type]
    ))  # fmt: skip

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

    task = asyncio.create_task(follow_ticket_event_batches(
        stream, pool, schema="analytics", consumer="test", handle=handle,  # type: ignore[arg-type]
        max_batch=1, retry_s=0.01,
    ))  # fmt: skip

    async def done() -> bool:
        return await _cursor(pool) == "1.10"

    await _until(done, task)
    assert [n for batch in batches for n in batch] == [1, 2, 5, 6, 7, 9, 10]
    assert stream.asked[:2] == ["", "1.5"]
