"""The event follower's handler: translate intake's event, hand it to the notifier."""

from __future__ import annotations

from typing import Any

from maintenance.intake.v1 import intake_pb2 as intake_pb
from psycopg import AsyncConnection

from services.common.event_follower import EventHandler
from services.notification.entrypoint.messages import event_from_pb
from services.notification.handlers.events import EventNotifier

__all__ = ["event_handler"]


def event_handler(notifier: EventNotifier) -> EventHandler:
    """The `handle` callback for `follow_ticket_events`."""

    async def handle(conn: AsyncConnection[Any], event: intake_pb.TicketEvent) -> None:
        await notifier.handle(conn, event_from_pb(event))

    return handle
