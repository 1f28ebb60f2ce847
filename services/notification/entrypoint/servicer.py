"""NotificationService over gRPC: each method translates, calls one handler, translates back."""

from __future__ import annotations

from typing import Any

import grpc
from maintenance.notification.v1 import notification_pb2 as pb
from maintenance.notification.v1 import notification_pb2_grpc as pb_grpc

from services.common.rpc_errors import translate_errors
from services.notification.domain import errors
from services.notification.entrypoint import messages as m
from services.notification.handlers.inbox import NotificationHandlers

__all__ = ["NotificationServicer"]

Context = grpc.aio.ServicerContext[Any, Any]

_CODES: dict[type[Exception], grpc.StatusCode] = {
    errors.InvalidInput: grpc.StatusCode.INVALID_ARGUMENT,
    errors.NotFound: grpc.StatusCode.NOT_FOUND,
}


_rpc = translate_errors(_CODES)


class NotificationServicer(pb_grpc.NotificationServiceServicer):
    def __init__(self, handlers: NotificationHandlers) -> None:
        self._h = handlers

    @_rpc
    async def ListInbox(
        self, request: pb.ListInboxRequest, context: Context
    ) -> pb.ListInboxResponse:
        items, token, unread = await self._h.list_inbox(
            request.username, request.unread_only, request.page_size, request.page_token,
            list(request.groups), request.site,
        )  # fmt: skip
        return pb.ListInboxResponse(
            notifications=[m.notification_to_pb(i) for i in items],
            next_page_token=token,
            unread_count=unread,
        )

    @_rpc
    async def MarkRead(self, request: pb.MarkReadRequest, context: Context) -> pb.MarkReadResponse:
        marked = await self._h.mark_read(
            request.username, list(request.ids), request.all, list(request.groups), request.site
        )
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
