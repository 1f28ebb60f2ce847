"""The MQTT side of the ingestor: batches taken from the broker's queues, committed (every
message stored or dead-lettered), then acknowledged.

Telemetry and urgent messages (alerts, status) run in two loops side by side, so an alert
never waits behind a telemetry backlog. A failure here is a fault of ours, not of a message
(`Ingest.handle` deals with those): it ends the loops, and with them the service, so that
the broker delivers the unacknowledged messages again to a fresh process.
"""

from __future__ import annotations

import asyncio
import contextlib

from services.ingestor.adapters.mqtt_source import MqttSource, Received
from services.ingestor.handlers.ingest import Ingest
from services.ingestor.handlers.outbox import Outbox

__all__ = ["MqttIngest"]


class MqttIngest:
    """Runs the telemetry and urgent loops; `urgent_arrived()` wakes the urgent one (call it
    on the event loop's thread)."""

    def __init__(
        self, source: MqttSource, ingest: Ingest, outbox: Outbox, batch_size: int,
        batch_wait_s: float, urgent_poll_s: float = 1.0,
    ) -> None:  # fmt: skip
        self._source = source
        self._ingest = ingest
        self._outbox = outbox
        self._batch_size = batch_size
        self._batch_wait_s = batch_wait_s
        self._urgent_poll_s = urgent_poll_s
        self._urgent = asyncio.Event()

    def urgent_arrived(self) -> None:
        self._urgent.set()

    async def run(self) -> None:
        """Both loops, until one fails (or the service stops)."""
        async with asyncio.TaskGroup() as loops:
            loops.create_task(self._telemetry_forever())
            loops.create_task(self._urgent_forever())

    async def _commit(self, batch: list[Received]) -> None:
        result = await self._ingest.handle([item.inbound for item in batch])
        self._source.ack(batch)
        if result.signals:
            self._outbox.wake()

    async def _telemetry_forever(self) -> None:
        while True:
            batch = self._source.take(self._batch_size)
            if not batch:
                await asyncio.sleep(self._batch_wait_s)
                continue
            await self._commit(batch)

    async def _urgent_forever(self) -> None:
        while True:
            self._urgent.clear()
            if batch := self._source.take_urgent(self._batch_size):
                await self._commit(batch)
                continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._urgent_poll_s):
                    await self._urgent.wait()
