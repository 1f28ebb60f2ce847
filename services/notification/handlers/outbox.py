"""Deliver the outbox: claim due rows under a lease, send each through its channel, record
sent, retry later with exponential backoff, or dead after the last attempt.

Delivery is at least once: a worker that dies after sending but before recording sends
that message again once its lease runs out (an HTTP webhook sees the same delivery id
both times and can drop the second). A database that is away when the outcome is
to be recorded (restarting, cut off) is asked again until half the lease has passed since
the claim, so a restart of the database alone does not send a message twice. Everything
else (replays, concurrent replicas, retries) sends each (event, recipient, channel) at
most once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import psycopg
from psycopg_pool import AsyncConnectionPool

from services.common.worker import Worker
from services.notification import metrics
from services.notification.adapters.outbox_repo import DueDelivery, OutboxRepository
from services.notification.domain.delivery import RetryPolicy, with_delivery_id
from services.notification.domain.model import SendOutcome
from services.notification.handlers.ports import Channels

__all__ = ["DeliveryWorker"]

log = logging.getLogger(__name__)

#: Seconds between attempts to record an outcome while the database is away.
_RECORD_AGAIN_S = 0.5


class DeliveryWorker:
    def __init__(
        self,
        pool: AsyncConnectionPool,
        channels: Channels,
        policy: RetryPolicy,
        *,
        lease_s: float = 60.0,
        batch: int = 50,
        concurrency: int = 8,
    ) -> None:
        self._pool = pool
        self._channels = channels
        self._policy = policy
        self._lease_s = lease_s
        self._batch = batch
        self._limit = asyncio.Semaphore(concurrency)
        self._worker = Worker()

    def wake(self) -> None:
        """Deliveries were queued: look now rather than at the next tick."""
        self._worker.wake()

    async def run_forever(self, every_s: float, depth_every_s: float = 5.0) -> None:
        """Deliver whenever woken, and every `every_s` for retries that come due; refresh
        the queue-depth gauge every `depth_every_s`."""
        next_depth = 0.0

        async def work() -> bool:
            nonlocal next_depth
            if await self.deliver_due() >= self._batch:
                return True  # a full batch: there may be more due right now
            if time.monotonic() >= next_depth:
                await self.refresh_depth()
                next_depth = time.monotonic() + depth_every_s
            return False

        await self._worker.run_forever(work, every_s, "delivering notifications")

    async def deliver_due(self) -> int:
        """Claim and attempt one batch of due deliveries; returns how many were claimed."""
        claimed = time.monotonic()
        async with self._pool.connection() as conn, conn.transaction():
            items = await OutboxRepository(conn).claim(self._batch, self._lease_s)
        until = claimed + self._lease_s / 2
        await asyncio.gather(*(self._deliver(item, until) for item in items))
        return len(items)

    async def refresh_depth(self) -> dict[str, int]:
        """Read the queue depth into the gauge; returns it."""
        async with self._pool.connection() as conn:
            depth = await OutboxRepository(conn).depth()
        for state, count in depth.items():
            metrics.OUTBOX_DEPTH.labels(state).set(count)
        return depth

    async def _record(
        self, write: Callable[[OutboxRepository], Awaitable[bool]], item: DueDelivery, until: float
    ) -> bool:
        """`write` the outcome of `item`, again while the database is away, until the
        monotonic time `until` (inside the lease: no other worker can have the row yet)."""
        while True:
            try:
                async with self._pool.connection() as conn:
                    return await write(OutboxRepository(conn))
            except psycopg.OperationalError as exc:
                if time.monotonic() >= until:
                    raise
                log.warning("delivery %d: cannot record its outcome yet (%s); trying again",
                            item.id, exc)  # fmt: skip
                await asyncio.sleep(_RECORD_AGAIN_S)

    async def _deliver(self, item: DueDelivery, until: float) -> None:
        async with self._limit:
            start = time.perf_counter()
            try:
                url = with_delivery_id(item.url, item.scheme, item.id)
                outcome = await self._channels.send(url, item.title, item.body)
            except Exception as exc:  # a plugin bug must not stop the worker
                log.exception("delivery %d: the channel raised", item.id)
                outcome = SendOutcome(False, f"{type(exc).__name__}: {exc}")
            metrics.SEND_SECONDS.labels(item.scheme).observe(time.perf_counter() - start)
        if outcome.ok:
            if await self._record(lambda repo: repo.mark_sent(item), item, until):
                metrics.SENT.labels(item.scheme).inc()
            return
        metrics.FAILED.labels(item.scheme).inc()
        delay = None if outcome.permanent else self._policy.delay_after(item.attempts)
        failed = await self._record(
            lambda repo: repo.mark_failed(item, outcome.error, delay), item, until
        )
        if not failed:
            return
        if delay is None:
            metrics.DEAD.labels(item.scheme).inc()
            log.warning("delivery %d (%s) is dead after %d attempt(s): %s", item.id,
                        item.scheme, item.attempts, outcome.error[:200])  # fmt: skip
        else:
            log.info("delivery %d (%s) attempt %d failed; retry in %.1fs", item.id,
                     item.scheme, item.attempts, delay)  # fmt: skip
