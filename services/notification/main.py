"""Start the notification service: `python -m services.notification`."""

from __future__ import annotations

from datetime import timedelta

import grpc
from maintenance.notification.v1 import notification_pb2_grpc as pb_grpc

from services.common.db import ping
from services.common.listen import listen_forever
from services.common.service import intake_stub, run_main, serve, service_pool
from services.notification.adapters.apprise_channels import AppriseChannels
from services.notification.adapters.intake_client import IntakeTickets
from services.notification.adapters.outbox_repo import WAKE_CHANNEL
from services.notification.domain.delivery import RetryPolicy
from services.notification.entrypoint.events import event_follower
from services.notification.entrypoint.servicer import NotificationServicer
from services.notification.handlers.events import EventNotifier
from services.notification.handlers.inbox import NotificationHandlers
from services.notification.handlers.outbox import DeliveryWorker
from services.notification.settings import NotificationSettings

__all__ = ["SERVICE_NAME", "main", "run"]

SERVICE_NAME = "maintenance.notification.v1.NotificationService"


async def run(settings: NotificationSettings) -> None:
    """Wire the service from settings and serve until stopped."""
    async with (
        service_pool(settings, "notification") as pool,
        intake_stub(settings.intake_target, settings.grpc_tls) as intake,
    ):
        channels = AppriseChannels(settings.send_timeout_s)
        max_age = timedelta(seconds=settings.max_event_age_s) if settings.max_event_age_s else None
        notifier = EventNotifier(
            IntakeTickets(intake, settings.intake_timeout_s), channels, settings.clock(),
            settings.default_locale, max_age,
        )  # fmt: skip
        policy = RetryPolicy(settings.max_attempts, settings.retry_base_s, settings.retry_cap_s)
        worker = DeliveryWorker(
            pool, channels, policy, lease_s=settings.lease_s, batch=settings.outbox_batch,
            concurrency=settings.send_concurrency,
        )  # fmt: skip
        handlers = NotificationHandlers(pool, channels, settings.default_locale)
        follower = event_follower(intake, pool, notifier)

        def register(server: grpc.aio.Server) -> None:
            pb_grpc.add_NotificationServiceServicer_to_server(
                NotificationServicer(handlers), server
            )
            follower.register(server)

        await serve(settings, SERVICE_NAME, register, lambda: ping(pool), [
            follower.run,
            lambda: worker.run_forever(settings.outbox_every_s),
            lambda: listen_forever(settings.database_url, WAKE_CHANNEL, worker.wake),
        ])  # fmt: skip


def main() -> None:
    run_main(NotificationSettings(), "notification", run)
