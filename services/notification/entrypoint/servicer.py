"""NotificationService over gRPC: each method translates, calls one handler, translates back."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc
from maintenance.notification.v1 import notification_pb2 as pb
from maintenance.notification.v1 import notification_pb2_grpc as pb_grpc

from services.notification.domain import errors
from services.notification.entrypoint import messages as m
from services.notification.handlers.inbox import NotificationHandlers

__all__ = ["NotificationServicer"]

Req = TypeVar("Req")
Resp = TypeVar("Resp")
Context = grpc.aio.ServicerContext[Any, Any]

_CODES: dict[type[errors.DomainError], grpc.StatusCode] = {
    errors.InvalidInput: grpc.StatusCode.INVALID_ARGUMENT,
    errors.NotFound: grpc.StatusCode.NOT_FOUND,
}


def _rpc(
    method: Callable[[Any, Req, Context], Awaitable[Resp]],
) -> Callable[[Any, Req, Context], Awaitable[Resp]]:
    """Turn domain errors into their gRPC status codes with the message as details."""

    @functools.wraps(method)
    async def wrapper(self: Any, request: Req, context: Context) -> Resp:
        try:
            return await method(self, request, context)
        except errors.DomainError as exc:
            await context.abort(_CODES[type(exc)], str(exc))
            raise  # abort raises; this line is never reached

    return wrapper


class NotificationServicer(pb_grpc.NotificationServiceServicer):
    def __init__(self, handlers: NotificationHandlers) -> None:
        self._h = handlers

    @_rpc
    async def ListInbox(
        self, request: pb.ListInboxRequest, context: Context
    ) -> pb.ListInboxResponse:
        items, token, unread = await self._h.list_inbox(
            request.username, request.unread_only, request.page_size, request.page_token
        )
        return pb.ListInboxResponse(
            notifications=[m.notification_to_pb(i) for i in items],
            next_page_token=token,
            unread_count=unread,
        )

    @_rpc
    async def MarkRead(self, request: pb.MarkReadRequest, context: Context) -> pb.MarkReadResponse:
        marked = await self._h.mark_read(request.username, list(request.ids), request.all)
        return pb.MarkReadResponse(marked=marked)

    @_rpc
    async def PutContact(
        self, request: pb.PutContactRequest, context: Context
    ) -> pb.PutContactResponse:
        contact, created = await self._h.put_contact(m.contact_from_pb(request.contact))
        return pb.PutContactResponse(contact=m.contact_to_pb(contact), created=created)

    @_rpc
    async def GetContact(
        self, request: pb.GetContactRequest, context: Context
    ) -> pb.GetContactResponse:
        contact, stored = await self._h.get_contact(request.username)
        return pb.GetContactResponse(contact=m.contact_to_pb(contact), stored=stored)

    @_rpc
    async def ListDeliveries(
        self, request: pb.ListDeliveriesRequest, context: Context
    ) -> pb.ListDeliveriesResponse:
        rows, token = await self._h.list_deliveries(
            m.filter_from_pb(request), request.page_size, request.page_token
        )
        return pb.ListDeliveriesResponse(
            deliveries=[m.delivery_to_pb(r) for r in rows], next_page_token=token
        )
