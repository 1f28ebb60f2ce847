"""Start the dispatch service: `python -m services.dispatch`."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import grpc
from maintenance.dispatch.v1 import dispatch_pb2_grpc

from services.common.db import ping
from services.common.event_follower import EventFollower, one_by_one
from services.common.listen import listen_forever
from services.common.service import intake_stub, run_main, serve, service_pool
from services.dispatch.adapters.intake_client import IntakeClient
from services.dispatch.adapters.work_repo import WAKE_CHANNEL
from services.dispatch.domain.errors import InvalidInput
from services.dispatch.entrypoint.servicer import DispatchServicer
from services.dispatch.handlers.config import ConfigHandlers
from services.dispatch.handlers.delivery import Delivery
from services.dispatch.handlers.events import EventProjector
from services.dispatch.handlers.offers import Offers
from services.dispatch.handlers.routing import Router
from services.dispatch.handlers.workers import Workers
from services.dispatch.settings import DispatchSettings

__all__ = ["CONSUMER", "main", "run"]

log = logging.getLogger(__name__)

SERVICE_NAME = "maintenance.dispatch.v1.DispatchService"
#: Dispatch's name for its cursor in intake's event log.
CONSUMER = "dispatch"


async def run(settings: DispatchSettings) -> None:
    """Wire the service from settings and serve until stopped."""
    clock = settings.clock()
    async with (
        service_pool(settings, "dispatch") as pool,
        intake_stub(settings.intake_target, settings.grpc_tls) as stub,
    ):
        intake = IntakeClient(stub, settings.rpc_timeout_s)
        config = ConfigHandlers(pool, clock, settings.default_timezone)
        router = Router(
            pool, intake, clock, offer_window_s=settings.offer_window_s,
            lease_s=settings.lease_s, default_timezone=settings.default_timezone,
        )  # fmt: skip
        offers = Offers(pool, intake, clock, settings.lease_s)
        workers = Workers(offers, router, Delivery(pool, intake, clock, settings.lease_s))
        projector = EventProjector(clock)
        if settings.rules_file:
            stored = await config.load_rules_file(Path(settings.rules_file))
            log.info("rules of site %s loaded from %s (version %d)",
                     stored.site, settings.rules_file, stored.version)  # fmt: skip

        follower = EventFollower(stub, pool, schema="dispatch", consumer=CONSUMER,
                                 handle=one_by_one(projector.handle))  # fmt: skip

        def register(server: grpc.aio.Server) -> None:
            dispatch_pb2_grpc.add_DispatchServiceServicer_to_server(
                DispatchServicer(config, offers, router), server
            )
            follower.register(server)

        await serve(settings, SERVICE_NAME, register, lambda: ping(pool), [
            follower.run,
            lambda: workers.run_forever(settings.work_every_s),
            lambda: listen_forever(settings.database_url, WAKE_CHANNEL, workers.wake),
        ])  # fmt: skip


def main() -> None:
    try:
        run_main(DispatchSettings(), "dispatch", run)
    except InvalidInput as exc:
        log.error("cannot start: %s", exc)
        sys.exit(2)
