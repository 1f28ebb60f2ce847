"""What the ingestor does with intake's ticket events: a ticket done with closes its
incident, so the next alert of that kind opens a new one."""

from __future__ import annotations

from typing import Any

from maintenance.intake.v1 import intake_pb2 as intake_pb
from psycopg import AsyncConnection

from services.ingestor.adapters.outbox_repo import OutboxRepository

__all__ = ["close_incidents"]

_DONE = frozenset(
    {
        intake_pb.TICKET_STATUS_RESOLVED,
        intake_pb.TICKET_STATUS_CLOSED,
        intake_pb.TICKET_STATUS_CANCELLED,
    }
)


async def close_incidents(conn: AsyncConnection[Any], event: intake_pb.TicketEvent) -> None:
    """Close the incident of a ticket that has just been resolved, closed or cancelled."""
    if event.to_status in _DONE and event.from_status not in _DONE:
        await OutboxRepository(conn).close_incidents_of(event.ticket_id)
