"""Start the SLA service: `python -m services.sla`."""

from __future__ import annotations

from typing import Any

import grpc
from maintenance.intake.v1 import intake_pb2 as intake_pb
from maintenance.sla.v1 import sla_pb2_grpc
from psycopg import AsyncConnection

from services.common.db import ping
from services.common.event_follower import EventFollower, one_by_one
from services.common.leader import follow_as_leader
from services.common.periodic import every
from services.common.service import intake_stub, run_main, serve, service_pool
from services.sla.adapters.intake_client import GrpcIntake
from services.sla.defaults import seed_defaults
from services.sla.entrypoint.events import incoming_from_pb
from services.sla.entrypoint.servicer import SlaServicer
from services.sla.handlers.admin import SlaAdmin
from services.sla.handlers.timers import TimerWorker
from services.sla.handlers.tracking import Tracker
from services.sla.settings import SlaSettings

__all__ = ["main", "run"]

SERVICE_NAME = "maintenance.sla.v1.SlaService"
#: The advisory lock one SLA replica holds while it follows the event log ("sla").
FOLLOWER_LOCK = 0x736C61


async def run(settings: SlaSettings) -> None:
    """Wire the service from settings and serve until stopped."""
    clock = settings.clock()
    async with (
        service_pool(settings, "sla") as pool,
        intake_stub(settings.intake_target, settings.grpc_tls) as stub,
    ):
        intake = GrpcIntake(stub, settings.intake_timeout_s)
        tracker = Tracker(pool, intake, clock)
        worker = TimerWorker(
            pool, intake, clock, batch=settings.timer_batch, lease_s=settings.timer_lease_s,
            concurrency=settings.timer_concurrency,
        )  # fmt: skip

        async def handle(conn: AsyncConnection[Any], event: intake_pb.TicketEvent) -> None:
            await tracker.handle(conn, incoming_from_pb(event))
            worker.wake()

        follower = EventFollower(stub, pool, schema="sla", consumer="sla",
                                 handle=one_by_one(handle))  # fmt: skip

        async def start_following() -> None:
            if settings.seed_defaults:
                await seed_defaults(pool)
            await follow_as_leader(pool, FOLLOWER_LOCK, follower.run, "following ticket events")

        def register(server: grpc.aio.Server) -> None:
            sla_pb2_grpc.add_SlaServiceServicer_to_server(
                SlaServicer(SlaAdmin(pool, clock)), server
            )
            follower.register(server)

        await serve(settings, SERVICE_NAME, register, lambda: ping(pool), [
            start_following,
            lambda: worker.run_forever(settings.timer_every_s),
            lambda: every(settings.recompute_every_s, tracker.recompute_all_stale,
                          "recomputing tickets"),
            lambda: every(settings.gauges_every_s, tracker.refresh_gauges,
                          "refreshing SLA gauges"),
        ])  # fmt: skip


def main() -> None:
    run_main(SlaSettings(), "sla", run)
