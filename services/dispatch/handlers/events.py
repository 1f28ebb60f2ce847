"""Follow intake's ticket event log: keep who has each ticket, and queue tickets to route.

Runs inside the event follower's transaction, which also moves dispatch's cursor, so each
event changes dispatch's tables exactly once. It writes only to dispatch's own schema and
never calls intake: routing jobs do that later (see `handlers/routing.py`). A routing job
is keyed by the event's cursor, so a second replica following the same log adds nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from maintenance.intake.v1 import intake_pb2 as pb
from psycopg import AsyncConnection

from services.common.event_follower import event_payload
from services.common.protoenum import code_of
from services.dispatch.adapters.offers_repo import OffersRepository
from services.dispatch.adapters.work_repo import WorkRepository
from services.dispatch.domain.model import DONE_STATUSES

__all__ = ["EventProjector", "LogEvent", "log_event_from_pb"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LogEvent:
    """The parts of a ticket event dispatch uses."""

    ticket_id: str
    type: str
    to_status: str
    actor: str
    payload: dict[str, Any]
    cursor: str


def log_event_from_pb(event: pb.TicketEvent) -> LogEvent:
    payload = event_payload(event)
    return LogEvent(
        ticket_id=event.ticket_id,
        type=event.type,
        to_status=code_of(pb.TicketStatus, "TICKET_STATUS_", event.to_status),
        actor=event.actor,
        payload=payload,
        cursor=event.cursor,
    )


class EventProjector:
    """Applies each event to dispatch's tables; `clock` dates the routing jobs it queues."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock

    async def handle(self, conn: AsyncConnection[Any], event: pb.TicketEvent) -> None:
        """The follower's handler (`services.common.event_follower.EventHandler`)."""
        await self.apply(conn, log_event_from_pb(event))

    async def apply(self, conn: AsyncConnection[Any], e: LogEvent) -> None:
        work, offers = WorkRepository(conn), OffersRepository(conn)
        status = e.to_status
        if e.type == "created":
            await work.track(e.ticket_id, status or "submitted")
            await work.add_route_job(e.ticket_id, "created", e.cursor, self._clock())
        elif e.type in ("assigned", "claimed"):
            assignee = str(e.payload.get("assignee") or "") or (
                e.actor if e.type == "claimed" else ""
            )
            await work.set_assignee(e.ticket_id, assignee or None, status or "assigned")
            await offers.settle(e.ticket_id, assignee or None, claimed=e.type == "claimed")
        elif e.type == "declined":
            technician = str(e.payload.get("technician") or e.actor)
            declined = await work.add_decliner(e.ticket_id, technician, status or "accepted")
            await offers.settle(e.ticket_id, None, claimed=False)
            await work.add_route_job(
                e.ticket_id, "declined", e.cursor, self._clock(), exclude=declined
            )
            log.info("ticket %s declined by %s: routing it again", e.ticket_id, technician)
        elif status:
            await work.track(e.ticket_id, status)
            if status in DONE_STATUSES:
                await offers.settle(e.ticket_id, None, claimed=False)
            elif e.type == "reopened" and status == "accepted":
                declined = await work.declined_by(e.ticket_id)
                await work.add_route_job(
                    e.ticket_id, "reopened", e.cursor, self._clock(), exclude=declined
                )
