"""Follow intake's ticket event log from a cursor the consumer stores in its own schema.

Each event is handled in a transaction that also moves the cursor, so after a crash the
consumer resumes exactly after the last event it handled: nothing is lost, nothing is
handled twice. Imported history (`TicketEvent.imported`: work orders from another system,
backfills) is left out by intake unless the consumer asks for it (`with_imported`:
analytics counts it): nobody is routed, timed or told about work done long ago. A consumer
that writes a lot per event can take events in
batches (`follow_ticket_event_batches`): one transaction for all that have arrived.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterable, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import grpc
from maintenance.intake.v1 import intake_pb2 as pb
from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

if TYPE_CHECKING:
    from maintenance.intake.v1.intake_pb2_grpc import IntakeServiceAsyncStub

__all__ = [
    "BatchHandler",
    "EventHandler",
    "event_payload",
    "follow_ticket_event_batches",
    "follow_ticket_events",
]

log = logging.getLogger(__name__)

EventHandler = Callable[[AsyncConnection[Any], pb.TicketEvent], Awaitable[None]]
BatchHandler = Callable[[AsyncConnection[Any], list[pb.TicketEvent]], Awaitable[None]]
_Queue = asyncio.Queue[pb.TicketEvent | Exception]


def event_payload(event: pb.TicketEvent) -> dict[str, Any]:
    """The event's JSON payload as a dict; empty when it has none or it is malformed."""
    if not event.payload_json:
        return {}
    try:
        value = json.loads(event.payload_json)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


async def _load_cursor(pool: AsyncConnectionPool, schema: str, consumer: str) -> str:
    async with pool.connection() as conn, conn.cursor() as cur:
        await cur.execute(
            sql.SQL("SELECT cursor FROM {}.event_cursor WHERE consumer = %s").format(
                sql.Identifier(schema)
            ),
            (consumer,),
        )
        row = await cur.fetchone()
    return str(row[0]) if row else ""


async def _save_cursor(conn: AsyncConnection[Any], schema: str, consumer: str, cursor: str) -> None:
    await conn.execute(
        sql.SQL(
            "INSERT INTO {}.event_cursor (consumer, cursor) VALUES (%s, %s)"
            " ON CONFLICT (consumer) DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = now()"
        ).format(sql.Identifier(schema)),
        (consumer, cursor),
    )


async def follow_ticket_events(
    intake: IntakeServiceAsyncStub,
    pool: AsyncConnectionPool,
    *,
    schema: str,
    consumer: str,
    handle: EventHandler,
    retry_s: float = 1.0,
    with_imported: bool = False,
) -> None:
    """Run forever: replay from the stored cursor, then follow live; start again after any
    failure (intake or the database going away, or a handler failing on an event).

    `schema` must have the table `event_cursor (consumer text primary key, cursor text,
    updated_at timestamptz)`. With `with_imported`, imported events are handled like any
    other; without it intake leaves them out. Each event has a transaction of its own.
    """

    async def one_by_one(conn: AsyncConnection[Any], events: list[pb.TicketEvent]) -> None:
        for event in events:
            await handle(conn, event)

    await follow_ticket_event_batches(
        intake, pool, schema=schema, consumer=consumer, handle=one_by_one, max_batch=1,
        retry_s=retry_s, with_imported=with_imported,
    )  # fmt: skip


class _EndOfStream(Exception):
    """Intake ended the stream (it never does while following)."""


async def _read(stream: AsyncIterable[pb.StreamEventsResponse], queue: _Queue) -> None:
    """Pass the stream's events to `queue`, then how it ended (an exception)."""
    try:
        async for reply in stream:
            await queue.put(reply.event)
        await queue.put(_EndOfStream())
    except Exception as exc:  # the consumer raises it after handling what came before
        await queue.put(exc)


async def follow_ticket_event_batches(
    intake: IntakeServiceAsyncStub,
    pool: AsyncConnectionPool,
    *,
    schema: str,
    consumer: str,
    handle: BatchHandler,
    max_batch: int,
    retry_s: float = 1.0,
    with_imported: bool = False,
) -> None:
    """Like `follow_ticket_events`, but `handle` takes up to `max_batch` events at once, in
    one transaction with the cursor: those that arrived while the last batch was handled.
    Catching up (a replay, an import) goes a batch at a time; live, batches are one event."""
    while True:
        reader: asyncio.Task[None] | None = None
        try:
            cursor = await _load_cursor(pool, schema, consumer)
            stream = intake.StreamEvents(pb.StreamEventsRequest(
                after_cursor=cursor, follow=True, include_imported=with_imported))  # fmt: skip
            queue: _Queue = asyncio.Queue(maxsize=2 * max_batch)
            reader = asyncio.create_task(_read(stream, queue))
            await _consume(queue, pool, schema, consumer, handle, max_batch)
        except grpc.aio.AioRpcError as exc:
            log.warning(
                "%s: event stream broke (%s); resuming in %.1fs", consumer, exc.code().name, retry_s
            )
        except Exception:
            log.exception(
                "%s: following ticket events failed; resuming in %.1fs", consumer, retry_s
            )
        finally:
            if reader is not None:
                reader.cancel()
                await asyncio.gather(reader, return_exceptions=True)
        await asyncio.sleep(retry_s)


async def _consume(
    queue: _Queue, pool: AsyncConnectionPool, schema: str, consumer: str, handle: BatchHandler,
    max_batch: int,
) -> None:  # fmt: skip
    """Handle batches from `queue` until the stream ends; raises how it ended."""
    while True:
        items = [await queue.get()]
        while (
            len(items) < max_batch and not queue.empty() and isinstance(items[-1], pb.TicketEvent)
        ):
            items.append(queue.get_nowait())
        events = [e for e in items if isinstance(e, pb.TicketEvent)]
        ended = next((e for e in items if isinstance(e, Exception)), None)
        if events:
            async with pool.connection() as conn, conn.transaction():
                await handle(conn, events)
                await _save_cursor(conn, schema, consumer, events[-1].cursor)
        if ended is not None:
            raise ended
