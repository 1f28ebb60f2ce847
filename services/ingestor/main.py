"""Start the ingestor: `python -m services.ingestor`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Any

import grpc
from maintenance.ingestor.v1 import ingestor_pb2_grpc
from maintenance.intake.v1 import intake_pb2 as intake_pb
from maintenance.intake.v1 import intake_pb2_grpc, places_pb2_grpc
from psycopg import AsyncConnection

from services.common.db import ping
from services.common.event_follower import follow_ticket_events
from services.common.periodic import every
from services.common.service import intake_channel, run_main, serve, service_pool
from services.ingestor import metrics
from services.ingestor.adapters.mqtt_source import MqttSource, Received
from services.ingestor.adapters.outbox_repo import OutboxRepository
from services.ingestor.adapters.places_client import PlaceChecker
from services.ingestor.domain.detection import Detector
from services.ingestor.entrypoint.servicer import DeviceServicer
from services.ingestor.formats import SUBSCRIPTIONS, is_urgent
from services.ingestor.handlers.ingest import Ingest
from services.ingestor.handlers.outbox import Outbox
from services.ingestor.handlers.registry import DeviceCache, Registry
from services.ingestor.handlers.watchdog import Watchdog
from services.ingestor.settings import IngestorSettings

__all__ = ["main", "run"]

log = logging.getLogger(__name__)

SERVICE_NAME = "maintenance.ingestor.v1.DeviceService"
_DONE = frozenset(
    {
        intake_pb.TICKET_STATUS_RESOLVED,
        intake_pb.TICKET_STATUS_CLOSED,
        intake_pb.TICKET_STATUS_CANCELLED,
    }
)


async def _commit(
    batch: list[Received], source: MqttSource, ingest: Ingest, outbox: Outbox
) -> None:
    """Commit a batch (every message stored or dead-lettered), then acknowledge it."""
    result = await ingest.handle([item.inbound for item in batch])
    source.ack(batch)
    if result.signals:
        outbox.wake()


async def _ingest_forever(
    source: MqttSource, ingest: Ingest, outbox: Outbox, settings: IngestorSettings
) -> None:
    """Take batches of telemetry, commit each, then acknowledge it."""
    while True:
        batch = source.take(settings.batch_size)
        if not batch:
            await asyncio.sleep(settings.batch_wait_s)
            continue
        await _commit(batch, source, ingest, outbox)


async def _ingest_urgent_forever(
    source: MqttSource, ingest: Ingest, outbox: Outbox, arrived: asyncio.Event, batch_size: int
) -> None:
    """Alerts and status messages, committed in their own small transactions as soon as they
    arrive, alongside the telemetry loop, so that they never wait behind a telemetry backlog."""
    while True:
        arrived.clear()
        batch = source.take_urgent(batch_size)
        if batch:
            await _commit(batch, source, ingest, outbox)
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(arrived.wait(), 1.0)


async def run(settings: IngestorSettings) -> None:
    """Wire the ingestor from settings and run until stopped."""
    async with (
        service_pool(settings, "ingestor") as pool,
        intake_channel(settings.intake_target) as channel,
    ):
        intake = intake_pb2_grpc.IntakeServiceStub(channel)
        places = PlaceChecker(places_pb2_grpc.PlaceServiceStub(channel))
        cache = DeviceCache(pool)
        ingest = Ingest(
            pool, cache, Detector(),
            max_payload_bytes=settings.max_payload_bytes,
            rollup_window=timedelta(seconds=settings.rollup_window_s),
            repeat_every=timedelta(seconds=settings.repeat_event_every_s),
        )  # fmt: skip
        outbox = Outbox(pool, intake, cache)
        watchdog = Watchdog(pool, ingest, settings.offline_factor)
        host, port = settings.broker()
        loop = asyncio.get_running_loop()
        urgent_arrived = asyncio.Event()
        source = MqttSource(
            host, port, settings.client_id, SUBSCRIPTIONS, settings.share_group,
            settings.receive_maximum, is_urgent=is_urgent,
            on_urgent=lambda: loop.call_soon_threadsafe(urgent_arrived.set),
            max_queued_bytes=settings.max_queued_bytes,
        )  # fmt: skip
        metrics.UNACKNOWLEDGED.set_function(source.unacknowledged)
        metrics.QUEUED.set_function(source.pending)

        async def close_incidents(conn: AsyncConnection[Any], event: intake_pb.TicketEvent) -> None:
            if event.to_status in _DONE and event.from_status not in _DONE:
                await OutboxRepository(conn).close_incidents_of(event.ticket_id)

        async def ready() -> bool:
            return source.connected.is_set() and await ping(pool)

        def register(server: grpc.aio.Server) -> None:
            ingestor_pb2_grpc.add_DeviceServiceServicer_to_server(
                DeviceServicer(Registry(pool, cache, places)), server
            )

        async def ingest_loops() -> None:
            # The device cache loads with the first batch (inside its retries), so a
            # database that is away at start delays ingest instead of ending it.
            async with asyncio.TaskGroup() as loops:
                loops.create_task(_ingest_forever(source, ingest, outbox, settings))
                loops.create_task(_ingest_urgent_forever(
                    source, ingest, outbox, urgent_arrived, settings.batch_size))  # fmt: skip

        async def follow() -> None:
            await follow_ticket_events(
                intake, pool, schema="ingestor", consumer="ingestor", handle=close_incidents
            )

        source.start()
        try:
            await serve(settings, SERVICE_NAME, register, ready, [
                ingest_loops,
                lambda: outbox.run_forever(settings.outbox_every_s),
                lambda: every(settings.offline_check_every_s, watchdog.check, "offline watchdog"),
                follow,
            ])  # fmt: skip
        finally:
            source.stop()


def main() -> None:
    run_main(IngestorSettings(), "ingestor", run)
