"""IntakeService over gRPC: each method translates, calls one handler, translates back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
from maintenance.intake.v1 import intake_pb2 as pb
from maintenance.intake.v1 import intake_pb2_grpc as pb_grpc

from services.common.rpc_errors import translate_errors
from services.intake.domain import errors
from services.intake.entrypoint import messages as m
from services.intake.handlers import IntakeHandlers

__all__ = ["IntakeServicer", "rpc"]

Context = grpc.aio.ServicerContext[Any, Any]

_CODES: dict[type[Exception], grpc.StatusCode] = {
    errors.InvalidInput: grpc.StatusCode.INVALID_ARGUMENT,
    errors.NotFound: grpc.StatusCode.NOT_FOUND,
    errors.Forbidden: grpc.StatusCode.PERMISSION_DENIED,
    errors.IllegalTransition: grpc.StatusCode.FAILED_PRECONDITION,
    errors.InUse: grpc.StatusCode.FAILED_PRECONDITION,
    errors.IdempotencyConflict: grpc.StatusCode.ALREADY_EXISTS,
    errors.Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
}


#: Decorates a servicer method: domain errors end the call with their status code.
rpc = translate_errors(_CODES)


class IntakeServicer(pb_grpc.IntakeServiceServicer):
    def __init__(self, handlers: IntakeHandlers) -> None:
        self._h = handlers

    @rpc
    async def CreateTicket(
        self, request: pb.CreateTicketRequest, context: Context
    ) -> pb.CreateTicketResponse:
        view, created = await self._h.create_ticket(
            m.actor_from_pb(request.actor), m.new_ticket_from_pb(request), request.idempotency_key
        )
        return pb.CreateTicketResponse(
            ticket=m.ticket_to_pb(view), created=created,
            suggestions=m.suggestions_to_pb(view.suggestions),
        )  # fmt: skip

    @rpc
    async def GetTicket(
        self, request: pb.GetTicketRequest, context: Context
    ) -> pb.GetTicketResponse:
        view = await self._h.get_ticket(m.actor_from_pb(request.actor), request.ticket_id)
        return pb.GetTicketResponse(ticket=m.ticket_to_pb(view))

    @rpc
    async def ListTickets(
        self, request: pb.ListTicketsRequest, context: Context
    ) -> pb.ListTicketsResponse:
        views, token = await self._h.list_tickets(
            m.actor_from_pb(request.actor), m.filter_from_pb(request.filter),
            request.page_size, request.page_token,
        )  # fmt: skip
        return pb.ListTicketsResponse(
            tickets=[m.ticket_to_pb(v) for v in views], next_page_token=token
        )

    @rpc
    async def TransitionTicket(
        self, request: pb.TransitionTicketRequest, context: Context
    ) -> pb.TransitionTicketResponse:
        view = await self._h.transition(
            m.actor_from_pb(request.actor), request.ticket_id, m.action_from_pb(request.action),
            request.assignee, request.note, reason=request.reason, cost_cents=request.cost_cents,
            only_if_unassigned=request.only_if_unassigned,
            priority=m.priority_from_pb(request.priority), category=request.category or None,
        )  # fmt: skip
        return pb.TransitionTicketResponse(ticket=m.ticket_to_pb(view))

    @rpc
    async def RateTicket(
        self, request: pb.RateTicketRequest, context: Context
    ) -> pb.RateTicketResponse:
        view = await self._h.rate(
            m.actor_from_pb(request.actor), request.ticket_id, request.stars, request.comment
        )
        return pb.RateTicketResponse(ticket=m.ticket_to_pb(view))

    @rpc
    async def ListTicketEvents(
        self, request: pb.ListTicketEventsRequest, context: Context
    ) -> pb.ListTicketEventsResponse:
        events = await self._h.events(m.actor_from_pb(request.actor), request.ticket_id)
        return pb.ListTicketEventsResponse(events=[m.event_to_pb(e) for e in events])

    async def StreamEvents(
        self, request: pb.StreamEventsRequest, context: Context
    ) -> AsyncIterator[pb.StreamEventsResponse]:
        try:
            async for item in self._h.stream_events(
                request.after_cursor, request.follow, request.include_imported
            ):
                yield m.stream_reply(item)
        except errors.DomainError as exc:
            await context.abort(_CODES[type(exc)], str(exc))

    @rpc
    async def AddAttachment(
        self, request: pb.AddAttachmentRequest, context: Context
    ) -> pb.AddAttachmentResponse:
        row = await self._h.add_attachment(
            m.actor_from_pb(request.actor), request.ticket_id, request.filename,
            request.content_type, request.content,
        )  # fmt: skip
        return pb.AddAttachmentResponse(attachment=m.attachment_to_pb(row))

    @rpc
    async def GetAttachment(
        self, request: pb.GetAttachmentRequest, context: Context
    ) -> pb.GetAttachmentResponse:
        row, content = await self._h.get_attachment(
            m.actor_from_pb(request.actor), request.ticket_id, request.attachment_id
        )
        return pb.GetAttachmentResponse(attachment=m.attachment_to_pb(row), content=content)

    @rpc
    async def RecordActivity(
        self, request: pb.RecordActivityRequest, context: Context
    ) -> pb.RecordActivityResponse:
        event = await self._h.record_activity(
            m.actor_from_pb(request.actor), request.ticket_id, request.type, request.note,
            m.payload_from_json(request.payload_json),
        )  # fmt: skip
        return pb.RecordActivityResponse(event=m.event_to_pb(event))

    @rpc
    async def ImportTickets(
        self, request: pb.ImportTicketsRequest, context: Context
    ) -> pb.ImportTicketsResponse:
        history = [m.imported_from_pb(item) for item in request.tickets]
        ids, skipped = await self._h.import_tickets(m.actor_from_pb(request.actor), history)
        return pb.ImportTicketsResponse(imported=len(ids), skipped=skipped, ticket_ids=ids)

    @rpc
    async def VerifyCredentials(
        self, request: pb.VerifyCredentialsRequest, context: Context
    ) -> pb.VerifyCredentialsResponse:
        user = await self._h.verify_credentials(request.username, request.password)
        return pb.VerifyCredentialsResponse(user=m.user_to_pb(user))
