"""Start the analytics service: `python -m services.analytics`."""

from __future__ import annotations

import os
from typing import Any

import grpc
from maintenance.analytics.v1 import analytics_pb2_grpc
from maintenance.dispatch.v1 import dispatch_pb2_grpc
from maintenance.intake.v1 import intake_pb2 as intake_pb
from maintenance.intake.v1 import intake_pb2_grpc, places_pb2_grpc
from maintenance.sla.v1 import sla_pb2_grpc
from psycopg import AsyncConnection

from services.analytics.adapters.dispatch_client import GrpcTeams
from services.analytics.adapters.intake_client import GrpcIntake
from services.analytics.adapters.sla_client import GrpcSlaConfig
from services.analytics.entrypoint.events import incoming_from_pb
from services.analytics.entrypoint.servicer import AnalyticsServicer
from services.analytics.handlers.follow import Follower
from services.analytics.handlers.gauges import Gauges
from services.analytics.handlers.hours import BusinessHours
from services.analytics.handlers.reports import Reports
from services.analytics.handlers.sites import SiteZones
from services.analytics.settings import AnalyticsSettings
from services.common.db import ping
from services.common.event_follower import EventFollower
from services.common.grpc_tls import aio_channel
from services.common.leader import follow_as_leader
from services.common.periodic import every
from services.common.service import intake_channel, run_main, serve, service_pool

__all__ = ["CONSUMER", "main", "run"]

SERVICE_NAME = "maintenance.analytics.v1.AnalyticsService"
#: Analytics' name for its cursor in intake's event log.
CONSUMER = "analytics"
#: The advisory lock one analytics replica holds while it follows the event log ("anl").
FOLLOWER_LOCK = 0x616E6C


async def run(settings: AnalyticsSettings) -> None:
    """Wire the service from settings and serve until stopped."""
    clock = settings.clock()
    async with (
        service_pool(settings, "analytics") as pool,
        intake_channel(settings.intake_target, settings.grpc_tls) as intake,
        aio_channel(settings.dispatch_target, settings.grpc_tls) as dispatch,
        aio_channel(settings.sla_target, settings.grpc_tls) as sla,
    ):
        tickets = intake_pb2_grpc.IntakeServiceStub(intake)
        intake_port = GrpcIntake(tickets, places_pb2_grpc.PlaceServiceStub(intake),
                                 settings.rpc_timeout_s)  # fmt: skip
        teams = GrpcTeams(dispatch_pb2_grpc.DispatchServiceStub(dispatch), settings.rpc_timeout_s,
                          settings.teams_ttl_s)  # fmt: skip
        sites = SiteZones(pool, intake_port)
        hours = BusinessHours(
            GrpcSlaConfig(sla_pb2_grpc.SlaServiceStub(sla), settings.rpc_timeout_s)
        )
        follower = Follower(intake_port, sites, hours, clock)
        gauges = Gauges(pool, clock)

        async def handle(conn: AsyncConnection[Any], events: list[intake_pb.TicketEvent]) -> None:
            await follower.handle(conn, [incoming_from_pb(e) for e in events])

        events = EventFollower(
            tickets, pool, schema="analytics", consumer=CONSUMER, handle=handle,
            max_batch=settings.follow_batch, with_imported=True,
        )  # fmt: skip

        def register(server: grpc.aio.Server) -> None:
            analytics_pb2_grpc.add_AnalyticsServiceServicer_to_server(
                AnalyticsServicer(Reports(pool, sites, teams, clock)), server
            )
            events.register(server)

        await serve(settings, SERVICE_NAME, register, lambda: ping(pool), [
            lambda: follow_as_leader(pool, FOLLOWER_LOCK, events.run, "following ticket events"),
            lambda: every(settings.zones_every_s, sites.refresh, "comparing time zones"),
            lambda: every(settings.gauges_every_s, gauges.refresh, "counting gauges"),
            lambda: hours.run(settings.calendars_every_s),
        ])  # fmt: skip


def main() -> None:
    """Settings from the environment, then serve."""
    settings = AnalyticsSettings()
    os.nice(settings.nice)
    run_main(settings, "analytics", run)
