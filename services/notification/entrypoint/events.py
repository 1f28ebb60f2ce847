"""The event follower's entrypoint: follow intake's event log, translate each event and
hand it to the notifier."""

from __future__ import annotations

from typing import Any

from maintenance.intake.v1 import intake_pb2 as intake_pb
from maintenance.intake.v1 import intake_pb2_grpc
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from services.common.event_follower import EventHandler, follow_ticket_events
from services.notification.entrypoint.messages import event_from_pb
from services.notification.handlers.events import EventNotifier

__all__ = ["CONSUMER", "event_handler", "follow_forever"]

#: This service's name for its cursor in the event log.
CONSUMER = "notification"


def event_handler(notifier: EventNotifier) -> EventHandler:
    """The `handle` callback for `follow_ticket_events`."""

    async def handle(conn: AsyncConnection[Any], event: intake_pb.TicketEvent) -> None:
        await notifier.handle(conn, event_from_pb(event))

    return handle


async def follow_forever(
    intake: intake_pb2_grpc.IntakeServiceAsyncStub,
    pool: AsyncConnectionPool,
    notifier: EventNotifier,
    retry_s: float = 1.0,
) -> None:
    """Follow the event log, turning events into messages; starts again after any failure."""
    await follow_ticket_events(
        intake, pool, schema="notification", consumer=CONSUMER,
        handle=event_handler(notifier), retry_s=retry_s,
    )  # fmt: skip
