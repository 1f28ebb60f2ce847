"""Follow intake's ticket event log from a cursor the consumer stores in its own schema.

Each event is handled in a transaction that also moves the cursor, so after a crash the
consumer resumes exactly after the last event it handled: nothing is lost, nothing is
handled twice. Imported history (`TicketEvent.imported`: work orders from another system,
backfills) is passed over unless the consumer asks for it (`with_imported`: analytics
counts it): nobody is routed, timed or told about work done long ago. Passing over costs
no transaction; the cursor moves past such events with the next handled one, or every
`_SKIPPED_PER_SAVE` of them.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import grpc
from maintenance.intake.v1 import intake_pb2 as pb
from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

if TYPE_CHECKING:
    from maintenance.intake.v1.intake_pb2_grpc import IntakeServiceAsyncStub

__all__ = ["EventHandler", "event_payload", "follow_ticket_events"]

log = logging.getLogger(__name__)

_SKIPPED_PER_SAVE = 1_000

EventHandler = Callable[[AsyncConnection[Any], pb.TicketEvent], Awaitable[None]]


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
    other; without it they are passed over.
    """
    while True:
        try:
            cursor = await _load_cursor(pool, schema, consumer)
            stream = intake.StreamEvents(pb.StreamEventsRequest(after_cursor=cursor, follow=True))
            skipped = 0
            async for reply in stream:
                event = reply.event
                if event.imported and not with_imported:
                    skipped += 1
                    if skipped % _SKIPPED_PER_SAVE == 0:
                        async with pool.connection() as conn, conn.transaction():
                            await _save_cursor(conn, schema, consumer, event.cursor)
                    continue
                async with pool.connection() as conn, conn.transaction():
                    await handle(conn, event)
                    await _save_cursor(conn, schema, consumer, event.cursor)
        except grpc.aio.AioRpcError as exc:
            log.warning(
                "%s: event stream broke (%s); resuming in %.1fs", consumer, exc.code().name, retry_s
            )
        except Exception:
            log.exception(
                "%s: following ticket events failed; resuming in %.1fs", consumer, retry_s
            )
        await asyncio.sleep(retry_s)
