"""Start the intake service: `python -m services.intake`."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import grpc
import uvloop
from maintenance.intake.v1 import intake_pb2_grpc as pb_grpc

from services.common.db import create_pool, ping
from services.common.grpc_server import serve_grpc
from services.common.logs import configure_logging
from services.common.migrate import migrate
from services.intake.entrypoint.servicer import IntakeServicer
from services.intake.handlers import IntakeHandlers
from services.intake.settings import IntakeSettings

__all__ = ["main", "run"]

log = logging.getLogger(__name__)

SERVICE_NAME = "maintenance.intake.v1.IntakeService"


async def _close_unrated_forever(handlers: IntakeHandlers, settings: IntakeSettings) -> None:
    window = timedelta(seconds=settings.rating_window_s)
    while True:
        try:
            while await handlers.close_unrated(window) > 0:
                pass
        except Exception:
            log.exception("closing unrated tickets failed; will retry")
        await asyncio.sleep(settings.auto_close_every_s)


async def run(settings: IntakeSettings) -> None:
    """Wire the service from settings and serve until stopped."""
    clock = settings.clock()
    if settings.migrate_on_start:
        await asyncio.to_thread(migrate, settings.database_url, ["intake"])
    pool = create_pool(settings.database_url, settings.pool_min, settings.pool_max)
    await pool.open(wait=False)
    handlers = IntakeHandlers(
        pool, clock, settings.stream_poll_s, settings.approval_threshold_cents
    )

    def register(server: grpc.aio.Server) -> None:
        pb_grpc.add_IntakeServiceServicer_to_server(IntakeServicer(handlers), server)

    async def auto_close() -> None:
        await _close_unrated_forever(handlers, settings)

    try:
        await serve_grpc(
            service_names=[SERVICE_NAME],
            register=register,
            host=settings.host,
            port=settings.grpc_port,
            metrics_port=settings.metrics_port,
            is_ready=lambda: ping(pool),
            background=[auto_close],
            grace_s=settings.grace_s,
        )
    finally:
        await pool.close()


def main() -> None:
    settings = IntakeSettings()
    configure_logging(settings.log_level, settings.log_format, "intake")
    uvloop.run(run(settings))
