"""`/v1/tickets`: raise, list, follow, work and rate tickets."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Path, Query, Response, status
from maintenance.analytics.v1 import analytics_pb2
from maintenance.intake.v1 import intake_pb2 as pb

from services.common.protoenum import number_of
from services.gateway.entrypoint.analytics_routes import analytics_caller
from services.gateway.entrypoint.deps import Call, Caller
from services.gateway.entrypoint.schemas import (
    ActionCode,
    CreatedTicketOut,
    EventList,
    Kind,
    PriorityCode,
    RatingIn,
    Source,
    Status,
    TicketIn,
    TicketList,
    TicketOut,
    TransitionIn,
    event_out,
    stamp_of,
    suggestion_out,
    ticket_out,
)
from services.gateway.entrypoint.sla_merge import with_sla

__all__ = ["router"]

router = APIRouter(prefix="/v1/tickets", tags=["tickets"])

TicketId = Annotated[str, Path(min_length=1, max_length=64, description="The ticket's id")]


def _enum_list(enum: object, prefix: str, codes: list[str] | None) -> list[int]:
    return [number_of(enum, prefix, c) for c in codes or []]


#: What a client (and a stateful fuzzer) may do next with the ticket it raised.
_TICKET_LINKS = {
    name: {"operationId": operation, "parameters": {"ticket_id": "$response.body#/id"}}
    for name, operation in (
        ("GetTicket", "get_ticket_v1_tickets__ticket_id__get"),
        ("TransitionTicket", "transition_ticket_v1_tickets__ticket_id__transitions_post"),
        ("RateTicket", "rate_ticket_v1_tickets__ticket_id__rating_post"),
        ("TicketEvents", "ticket_events_v1_tickets__ticket_id__events_get"),
        ("TicketSla", "ticket_sla_v1_tickets__ticket_id__sla_get"),
    )
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CreatedTicketOut,
    summary="Raise a ticket",
    responses={201: {"description": "The ticket raised", "links": _TICKET_LINKS}},
)
async def create_ticket(
    body: TicketIn,
    caller: Caller,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> CreatedTicketOut:
    """The same `Idempotency-Key` with the same body returns the first ticket (200 instead of
    201); with a different body it is a 409. An inquiry comes with `suggestions`: the
    knowledge-base articles that may answer it."""
    loc = body.location
    reply = await caller.intake.CreateTicket(
        pb.CreateTicketRequest(
            actor=caller.actor(body.channel),
            kind=number_of(pb.TicketKind, "TICKET_KIND_", body.kind),  # type: ignore[arg-type]
            category=body.category or "",
            title=body.title,
            description=body.description,
            location=pb.Location(
                site=loc.site,
                building=loc.building,
                floor=loc.floor,
                unit=loc.unit or "",
                asset=body.asset_id or loc.asset or "",
            ),
            priority=number_of(pb.Priority, "PRIORITY_", body.priority or ""),  # type: ignore[arg-type]
            idempotency_key=idempotency_key or "",
            contact=body.contact,
            attributes=body.attributes,
            component=body.component or "",
        ),
        **caller.opts,
    )
    if not reply.created:
        response.status_code = status.HTTP_200_OK
    return CreatedTicketOut(
        **ticket_out(reply.ticket).model_dump(),
        suggestions=[suggestion_out(s) for s in reply.suggestions],
    )


@router.get("", response_model=TicketList, summary="List tickets the caller may see, newest first")
async def list_tickets(
    caller: Caller,
    status_: Annotated[list[Status] | None, Query(alias="status")] = None,
    kind: Annotated[list[Kind] | None, Query()] = None,
    category: Annotated[list[str] | None, Query()] = None,
    priority: Annotated[list[PriorityCode] | None, Query()] = None,
    site: Annotated[str, Query(max_length=64)] = "",
    building: Annotated[str, Query(max_length=64)] = "",
    floor: Annotated[str, Query(max_length=16)] = "",
    assignee: Annotated[str, Query(max_length=64)] = "",
    requester: Annotated[str, Query(max_length=64)] = "",
    source: Annotated[Source | None, Query()] = None,
    device_id: Annotated[str, Query(max_length=128)] = "",
    asset_id: Annotated[str, Query(max_length=64)] = "",
    created_after: Annotated[datetime | None, Query()] = None,
    created_before: Annotated[datetime | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str, Query(max_length=200)] = "",
    analytics_cell: Annotated[
        str,
        Query(
            max_length=4000,
            description="Exactly the tickets an analytics figure counts (its `tickets_url`); no other filter goes with it",
        ),
    ] = "",
) -> TicketList:
    """Repeat a filter to match any of its values (`?status=submitted&status=accepted`)."""
    if analytics_cell:
        narrowed = [status_, kind, category, priority, site, building, floor, assignee,
                    requester, source, device_id, asset_id, created_after, created_before]  # fmt: skip
        if any(narrowed):
            raise HTTPException(422, "analytics_cell lists a figure's tickets; add no other filter")
        return await _cell_tickets(caller, analytics_cell, limit, cursor)
    flt = pb.TicketFilter(
        statuses=_enum_list(pb.TicketStatus, "TICKET_STATUS_", list(status_ or [])),  # type: ignore[arg-type]
        kinds=_enum_list(pb.TicketKind, "TICKET_KIND_", list(kind or [])),  # type: ignore[arg-type]
        categories=category or [],
        priorities=_enum_list(pb.Priority, "PRIORITY_", list(priority or [])),  # type: ignore[arg-type]
        site=site, building=building, floor=floor, assignee=assignee, requester=requester,
        source=source or "", device_id=device_id, asset=asset_id,
        created_after=stamp_of(created_after) if created_after else None,
        created_before=stamp_of(created_before) if created_before else None,
    )  # fmt: skip
    reply = await caller.intake.ListTickets(
        pb.ListTicketsRequest(actor=caller.actor(), filter=flt, page_size=limit, page_token=cursor),
        **caller.opts,
    )
    return TicketList(
        items=[ticket_out(t) for t in await with_sla(caller, reply.tickets)],
        next_cursor=reply.next_page_token or None,
    )


async def _cell_tickets(caller: Call, cell: str, limit: int, cursor: str) -> TicketList:
    """The tickets behind an analytics figure, newest first, a page at a time."""
    cells = await caller.analytics.ListCellTickets(
        analytics_pb2.ListCellTicketsRequest(
            caller=analytics_caller(caller), cell=cell, page_size=limit, page_token=cursor
        ),
        **caller.opts,
    )
    tickets: list[pb.Ticket] = []
    if cells.ticket_ids:
        reply = await caller.intake.ListTickets(
            pb.ListTicketsRequest(actor=caller.actor(), filter=pb.TicketFilter(
                ids=list(cells.ticket_ids)), page_size=len(cells.ticket_ids)),
            **caller.opts,
        )  # fmt: skip
        tickets = list(reply.tickets)
    return TicketList(
        items=[ticket_out(t) for t in await with_sla(caller, tickets)],
        next_cursor=cells.next_page_token or None,
        total=cells.total,
    )


@router.get("/{ticket_id}", response_model=TicketOut, summary="One ticket")
async def get_ticket(
    ticket_id: TicketId,
    caller: Caller,
) -> TicketOut:
    reply = await caller.intake.GetTicket(
        pb.GetTicketRequest(actor=caller.actor(), ticket_id=ticket_id), **caller.opts
    )
    return ticket_out((await with_sla(caller, [reply.ticket]))[0])


@router.post("/{ticket_id}/transitions", response_model=TicketOut, summary="Move a ticket on")
async def transition_ticket(
    ticket_id: TicketId,
    body: TransitionIn,
    caller: Caller,
) -> TicketOut:
    """Actions: accept, assign (with `assignee`), start, resolve (with `cost_cents`), close,
    cancel, reopen, claim, decline (with `reason`), pause (`reason`: `waiting_tenant` or
    `waiting_parts`), resume, approve. A transition the ticket's state does not allow is a
    409; one the caller's role may not make is a 403."""
    action: ActionCode = body.action
    reply = await caller.intake.TransitionTicket(
        pb.TransitionTicketRequest(
            actor=caller.actor(),
            ticket_id=ticket_id,
            action=number_of(pb.Action, "ACTION_", action),  # type: ignore[arg-type]
            assignee=body.assignee or "",
            note=body.note,
            reason=body.reason,
            cost_cents=body.cost_cents,
            priority=number_of(pb.Priority, "PRIORITY_", body.priority or ""),  # type: ignore[arg-type]
            category=body.category or "",
        ),
        **caller.opts,
    )
    return ticket_out(reply.ticket)


@router.post(
    "/{ticket_id}/rating", response_model=TicketOut, summary="Rate the service; closes the ticket"
)
async def rate_ticket(
    ticket_id: TicketId,
    body: RatingIn,
    caller: Caller,
) -> TicketOut:
    reply = await caller.intake.RateTicket(
        pb.RateTicketRequest(
            actor=caller.actor(), ticket_id=ticket_id, stars=body.stars, comment=body.comment
        ),
        **caller.opts,
    )
    return ticket_out(reply.ticket)


@router.get(
    "/{ticket_id}/events", response_model=EventList, summary="The ticket's history, oldest first"
)
async def ticket_events(
    ticket_id: TicketId,
    caller: Caller,
) -> EventList:
    reply = await caller.intake.ListTicketEvents(
        pb.ListTicketEventsRequest(actor=caller.actor(), ticket_id=ticket_id), **caller.opts
    )
    return EventList(items=[event_out(e) for e in reply.events])
