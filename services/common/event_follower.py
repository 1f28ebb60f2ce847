"""Follow intake's ticket event log from a cursor the consumer stores in its own schema.

Each batch of events is handled in a transaction that also moves the cursor, so after a
crash the consumer resumes exactly after the last event it handled: nothing is lost,
nothing is handled twice. Imported history (`TicketEvent.imported`) is left out by intake
unless the consumer asks for it (`with_imported`: analytics counts it).

Nothing stalls in silence:
- intake sends a heartbeat while a stream is quiet; a stream that brings neither events
  nor heartbeats for `silence_s` is dropped and opened again (a half-open connection), and
  the channel to intake sends keepalive pings (`services/common/service.py`);
- an event the handler keeps failing on (not because the database or a service is away:
  those are waited out) is parked after `park_after` attempts, with an ERROR log and a
  metric, so the events after it flow again; `FollowerService` lists and retries parked
  events (`services/common/follower_servicer.py`);
- `ticket_event_follower_last_heard_timestamp_seconds{consumer}` says when the stream last
  brought anything (it stops moving while a follower cannot reach intake), and
  `ticket_event_follower_lag_seconds{consumer}` says how long the oldest live event
  received and not yet handled has waited since it was written (0 when caught up;
  imported history, stamped with its original times, is left out).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterable, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import grpc
import psycopg
from maintenance.follower.v1 import follower_pb2_grpc
from maintenance.intake.v1 import intake_pb2 as pb
from prometheus_client import Counter, Gauge
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from services.common.follower_servicer import FollowerServicer
from services.common.follower_store import FollowerStore
from services.common.rpc_errors import PERMANENT_CODES

if TYPE_CHECKING:
    from maintenance.intake.v1.intake_pb2_grpc import IntakeServiceAsyncStub

__all__ = [
    "BatchHandler",
    "EventFollower",
    "EventHandler",
    "event_payload",
    "one_by_one",
]

log = logging.getLogger(__name__)

EventHandler = Callable[[AsyncConnection[Any], pb.TicketEvent], Awaitable[None]]
BatchHandler = Callable[[AsyncConnection[Any], list[pb.TicketEvent]], Awaitable[None]]
_Item = pb.TicketEvent | pb.StreamHeartbeat | Exception
_Queue = asyncio.Queue[_Item]

LAG = Gauge(
    "ticket_event_follower_lag_seconds",
    "How long the oldest ticket event received and not yet handled has waited since it"
    " was written (0 when caught up), by consumer",
    ["consumer"],
)
HEARD = Gauge(
    "ticket_event_follower_last_heard_timestamp_seconds",
    "When the follower last heard from intake's stream (an event or a heartbeat), by"
    " consumer; only replicas that follow (lead) have it",
    ["consumer"],
)
RECONNECTS = Counter(
    "ticket_event_follower_reconnects_total",
    "Event streams opened again, by consumer and why (broken, silent, failed)",
    ["consumer", "reason"],
)
PARKED = Counter(
    "ticket_event_follower_parked_total",
    "Ticket events a follower gave up on after repeated failures, by consumer",
    ["consumer"],
)


def event_payload(event: pb.TicketEvent) -> dict[str, Any]:
    """The event's JSON payload as a dict; empty when it has none or it is malformed."""
    if not event.payload_json:
        return {}
    try:
        value = json.loads(event.payload_json)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def one_by_one(handle: EventHandler) -> BatchHandler:
    """A batch handler that hands each event of the batch to `handle` in turn."""

    async def batch(conn: AsyncConnection[Any], events: list[pb.TicketEvent]) -> None:
        for event in events:
            await handle(conn, event)

    return batch


def _transient(exc: BaseException) -> bool:
    """The failure says something is away (the database, a service), not that the event
    cannot be handled: waiting helps, parking would not."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, psycopg.OperationalError | OSError | TimeoutError):
            return True
        if isinstance(seen, grpc.aio.AioRpcError) and seen.code() not in PERMANENT_CODES:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class _SilentStream(Exception):
    """Neither an event nor a heartbeat came for too long."""


class _EndOfStream(Exception):
    """Intake ended the stream (it never does while following)."""


class _HandlerFailed(Exception):
    def __init__(self, events: list[pb.TicketEvent]) -> None:
        super().__init__(f"handling event {events[0].id} failed")
        self.events = events


class EventFollower:
    """Follows the event log for `consumer`, keeping its cursor in `schema`.

    `schema` must have the tables `event_cursor (consumer text primary key, cursor text,
    updated_at timestamptz)` and `parked_events` (see `follower_store.py`). `handle` takes
    up to `max_batch` events at once, in one transaction with the cursor: those that
    arrived while the last batch was handled (live, batches are one event).
    """

    def __init__(
        self, intake: IntakeServiceAsyncStub, pool: AsyncConnectionPool, *, schema: str,
        consumer: str, handle: BatchHandler, max_batch: int = 1, with_imported: bool = False,
        retry_s: float = 1.0, park_after: int = 5, silence_s: float = 30.0,
    ) -> None:  # fmt: skip
        self._intake = intake
        self._pool = pool
        self._consumer = consumer
        self._handle = handle
        self._max_batch = max_batch
        self._with_imported = with_imported
        self._retry_s = retry_s
        self._park_after = park_after
        self._silence_s = silence_s
        self.store = FollowerStore(pool, schema, consumer, handle)
        self._waiting_since: float | None = None  # when the oldest unhandled event was written
        self._failing = ("", 0)  # (cursor of the event that fails, attempts so far)
        LAG.labels(consumer).set_function(self._lag)
        PARKED.labels(consumer)  # 0 until the first: increase() then sees the first one

    def _lag(self) -> float:
        since = self._waiting_since
        return 0.0 if since is None else max(0.0, time.time() - since)

    def register(self, server: grpc.aio.Server) -> None:
        """Serve `FollowerService` (list and retry parked events) on `server`."""
        follower_pb2_grpc.add_FollowerServiceServicer_to_server(
            FollowerServicer(self.store), server
        )

    async def run(self) -> None:
        """Run forever: replay from the stored cursor, then follow live; open the stream
        again after any failure, waiting longer while the same event keeps failing."""
        while True:
            reader: asyncio.Task[None] | None = None
            delay = self._retry_s
            try:
                cursor = await self.store.cursor()
                stream = self._intake.StreamEvents(pb.StreamEventsRequest(
                    after_cursor=cursor, follow=True, include_imported=self._with_imported))  # fmt: skip
                batch = 1 if self._failing[1] else self._max_batch
                queue: _Queue = asyncio.Queue(maxsize=2 * batch)
                reader = asyncio.create_task(_read(stream, queue))
                await self._consume(queue, batch)
            except grpc.aio.AioRpcError as exc:
                RECONNECTS.labels(self._consumer, "broken").inc()
                log.warning("%s: event stream broke (%s); resuming in %.1fs",
                            self._consumer, exc.code().name, delay)  # fmt: skip
            except _SilentStream:
                RECONNECTS.labels(self._consumer, "silent").inc()
                log.warning("%s: nothing from intake for %.0fs; opening the stream again",
                            self._consumer, self._silence_s)  # fmt: skip
                delay = 0.0
            except _HandlerFailed as failed:
                RECONNECTS.labels(self._consumer, "failed").inc()
                delay = await self._failed(failed)
            except Exception:
                RECONNECTS.labels(self._consumer, "failed").inc()
                log.exception("%s: following ticket events failed; resuming in %.1fs",
                              self._consumer, delay)  # fmt: skip
            finally:
                self._waiting_since = None
                if reader is not None:
                    reader.cancel()
                    await asyncio.gather(reader, return_exceptions=True)
            await asyncio.sleep(delay)

    async def _failed(self, failed: _HandlerFailed) -> float:
        """Count a handler's failure on a batch; park its event when it is alone and has
        failed `park_after` times. Returns how long to wait before trying again."""
        cause = failed.__cause__ or failed
        first = failed.events[0]
        if _transient(cause):
            log.warning("%s: event %d waits for what is away (%s); trying again in %.1fs",
                        self._consumer, first.id, cause, self._retry_s)  # fmt: skip
            return self._retry_s
        cursor, attempts = self._failing
        attempts = attempts + 1 if cursor == first.cursor else 1
        self._failing = (first.cursor, attempts)
        if len(failed.events) == 1 and attempts >= self._park_after:
            try:
                await self.store.park(first, cause, attempts)
            except Exception:  # the database went away too: park it next time round
                log.exception("%s: could not park event %d", self._consumer, first.id)
                return self._retry_s
            PARKED.labels(self._consumer).inc()
            self._failing = ("", 0)
            log.error("%s: parked event %d (%s of ticket %s) after %d attempts: %s",
                      self._consumer, first.id, first.type, first.ticket_id, attempts, cause)  # fmt: skip
            return 0.0
        delay: float = min(60.0, self._retry_s * 2 ** (attempts - 1))
        log.error("%s: event %d (%s of ticket %s) failed, attempt %d of %d; next in %.1fs",
                  self._consumer, first.id, first.type, first.ticket_id, attempts,
                  self._park_after, delay, exc_info=cause)  # fmt: skip
        return delay

    async def _consume(self, queue: _Queue, max_batch: int) -> None:
        """Handle batches from `queue` until the stream ends; raises how it ended."""
        while True:
            try:
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a
                # cancellation that comes as the item arrives, and the follower never stops.
                async with asyncio.timeout(self._silence_s):
                    items = [await queue.get()]
            except TimeoutError:
                raise _SilentStream() from None
            while (
                len(items) < max_batch
                and not queue.empty()
                and isinstance(items[-1], pb.TicketEvent)
            ):
                items.append(queue.get_nowait())
            events = [e for e in items if isinstance(e, pb.TicketEvent)]
            ended = next((e for e in items if isinstance(e, Exception)), None)
            if ended is None or len(items) > 1:  # an event or a heartbeat, not only an end
                HEARD.labels(self._consumer).set_to_current_time()
            if events:
                # Imported events carry their original (old) times: they say nothing of lag.
                live = [e for e in events if not e.imported]
                self._waiting_since = live[0].occurred_at.ToNanoseconds() / 1e9 if live else None
                try:
                    async with self._pool.connection() as conn, conn.transaction():
                        await self._handle(conn, events)
                        await self.store.save_cursor(conn, events[-1].cursor)
                except Exception as exc:
                    raise _HandlerFailed(events) from exc
                self._failing = ("", 0)  # past it (full batches again on the next stream)
            if queue.empty():
                self._waiting_since = None
            if ended is not None:
                raise ended


async def _read(stream: AsyncIterable[pb.StreamEventsResponse], queue: _Queue) -> None:
    """Pass the stream's events and heartbeats to `queue`, then how it ended (an exception)."""
    try:
        async for reply in stream:
            await queue.put(reply.event if reply.HasField("event") else reply.heartbeat)
        await queue.put(_EndOfStream())
    except Exception as exc:  # the consumer raises it after handling what came before
        await queue.put(exc)
