"""The event follower's entrypoint: follow intake's event log, translate each event and
hand it to the notifier."""

from __future__ import annotations

from typing import Any

from maintenance.intake.v1 import intake_pb2 as intake_pb
from maintenance.intake.v1 import intake_pb2_grpc
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from services.common.event_follower import EventFollower
from services.notification.entrypoint.messages import event_from_pb
from services.notification.handlers.events import EventNotifier

__all__ = ["CONSUMER", "event_follower"]

#: This service's name for its cursor in the event log.
CONSUMER = "notification"


def event_follower(
    intake: intake_pb2_grpc.IntakeServiceAsyncStub,
    pool: AsyncConnectionPool,
    notifier: EventNotifier,
    retry_s: float = 1.0,
) -> EventFollower:
    """The follower of the event log that turns events into messages."""

    async def handle(conn: AsyncConnection[Any], events: list[intake_pb.TicketEvent]) -> None:
        for event in events:
            await notifier.handle(conn, event_from_pb(event))

    return EventFollower(intake, pool, schema="notification", consumer=CONSUMER, handle=handle,
                         retry_s=retry_s)  # fmt: skip
