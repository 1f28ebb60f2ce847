"""`/v1/admin/followers/{service}/parked`: the ticket events a service's event follower
gave up on after repeated failures, and retrying one once its cause is mended (admins;
an event no longer parked is 404)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from maintenance.follower.v1 import follower_pb2 as pb
from pydantic import BaseModel

from services.gateway.adapters.backends import Follower
from services.gateway.entrypoint.deps import Caller
from services.gateway.entrypoint.schemas import MAX_ID, time_of

__all__ = ["ParkedList", "ParkedOut", "RetryOut", "router"]

router = APIRouter(prefix="/v1/admin/followers", tags=["operations"])

EventId = Annotated[int, Path(ge=1, le=MAX_ID, description="The ticket event's id in intake's log")]


class ParkedOut(BaseModel):
    event_id: int
    consumer: str
    ticket_id: str
    type: str
    error: str
    attempts: int
    parked_at: datetime


class ParkedList(BaseModel):
    items: list[ParkedOut]


class RetryOut(BaseModel):
    """`handled`: the follower's handler took the event (it is no longer parked); otherwise
    `event` is still parked, with the new error."""

    handled: bool
    event: ParkedOut | None


def _out(event: pb.ParkedEvent) -> ParkedOut:
    return ParkedOut(
        event_id=event.event_id, consumer=event.consumer, ticket_id=event.ticket_id,
        type=event.type, error=event.error, attempts=event.attempts,
        parked_at=time_of(event.parked_at),
    )  # fmt: skip


@router.get("/{service}/parked", response_model=ParkedList, summary="Events a follower parked")
async def list_parked(
    call: Caller, service: Follower, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> ParkedList:
    call.require("admin")
    reply = await call.followers[service].ListParkedEvents(
        pb.ListParkedEventsRequest(limit=limit), **call.opts
    )
    return ParkedList(items=[_out(e) for e in reply.events])


@router.post(
    "/{service}/parked/{event_id}/retry", response_model=RetryOut,
    summary="Hand a parked event to the follower's handler again",
)  # fmt: skip
async def retry_parked(call: Caller, service: Follower, event_id: EventId) -> RetryOut:
    call.require("admin")
    reply = await call.followers[service].RetryParkedEvent(
        pb.RetryParkedEventRequest(event_id=event_id), **call.opts
    )
    return RetryOut(handled=reply.handled, event=None if reply.handled else _out(reply.event))
