"""Start the ingestor: `python -m services.ingestor`."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import grpc
from maintenance.ingestor.v1 import ingestor_pb2_grpc
from maintenance.intake.v1 import assets_pb2_grpc, intake_pb2_grpc, places_pb2_grpc

from services.common.db import ping
from services.common.event_follower import EventFollower, one_by_one
from services.common.periodic import every
from services.common.service import intake_channel, run_main, serve, service_pool
from services.ingestor import metrics
from services.ingestor.adapters.mqtt_source import Broker, MqttSource
from services.ingestor.adapters.places_client import AssetSites, PlaceChecker
from services.ingestor.domain.detection import Detector
from services.ingestor.entrypoint.events import close_incidents
from services.ingestor.entrypoint.history_servicer import HistoryServicer
from services.ingestor.entrypoint.mqtt import MqttIngest
from services.ingestor.entrypoint.servicer import DeviceServicer
from services.ingestor.formats import SUBSCRIPTIONS, is_urgent
from services.ingestor.handlers.history import History
from services.ingestor.handlers.ingest import Ingest
from services.ingestor.handlers.outbox import Outbox
from services.ingestor.handlers.registry import DeviceCache, Registry
from services.ingestor.handlers.watchdog import Watchdog
from services.ingestor.settings import IngestorSettings

__all__ = ["main", "run"]


SERVICE_NAME = "maintenance.ingestor.v1.DeviceService"


async def run(settings: IngestorSettings) -> None:
    """Wire the ingestor from settings and run until stopped."""
    async with (
        service_pool(settings, "ingestor") as pool,
        intake_channel(settings.intake_target, settings.grpc_tls) as channel,
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
        outbox = Outbox(pool, intake, cache, places)
        watchdog = Watchdog(pool, ingest, settings.offline_factor)
        loop = asyncio.get_running_loop()
        source = MqttSource(
            Broker.from_url(settings.mqtt_url), settings.client_id, SUBSCRIPTIONS, settings.share_group,
            settings.receive_maximum, is_urgent=is_urgent,
            on_urgent=lambda: loop.call_soon_threadsafe(mqtt.urgent_arrived),
            max_queued_bytes=settings.max_queued_bytes,
        )  # fmt: skip
        mqtt = MqttIngest(source, ingest, outbox, settings.batch_size, settings.batch_wait_s)
        metrics.UNACKNOWLEDGED.set_function(source.unacknowledged)
        metrics.QUEUED.set_function(source.pending)

        async def ready() -> bool:
            return source.connected.is_set() and await ping(pool)

        follower = EventFollower(intake, pool, schema="ingestor", consumer="ingestor",
                                 handle=one_by_one(close_incidents))  # fmt: skip

        def register(server: grpc.aio.Server) -> None:
            follower.register(server)
            ingestor_pb2_grpc.add_DeviceServiceServicer_to_server(
                DeviceServicer(Registry(pool, cache, places)), server
            )
            assets = AssetSites(assets_pb2_grpc.AssetServiceStub(channel))
            ingestor_pb2_grpc.add_HistoryServiceServicer_to_server(
                HistoryServicer(History(pool, cache, places, assets)), server
            )

        source.start()
        try:
            await serve(settings, SERVICE_NAME, register, ready, [
                mqtt.run,  # the device cache loads with the first batch, inside its retries
                lambda: outbox.run_forever(settings.outbox_every_s),
                lambda: every(settings.offline_check_every_s, watchdog.check, "offline watchdog"),
                follower.run,
            ])  # fmt: skip
        finally:
            source.stop()


def main() -> None:
    run_main(IngestorSettings(), "ingestor", run)
