"""AuditService over gRPC: translate, call the audit handlers, translate back."""

from __future__ import annotations

from typing import Any

import grpc
from maintenance.intake.v1 import audit_pb2 as pb
from maintenance.intake.v1 import audit_pb2_grpc as pb_grpc
from maintenance.intake.v1 import intake_pb2

from services.common.protoenum import number_of
from services.intake.domain.audit import AuditEntry
from services.intake.entrypoint.messages import actor_from_pb, timestamp
from services.intake.entrypoint.servicer import rpc
from services.intake.handlers.audit import AuditHandlers

__all__ = ["AuditServicer"]

Context = grpc.aio.ServicerContext[Any, Any]


def _entry_to_pb(e: AuditEntry) -> pb.AuditEntry:
    message = pb.AuditEntry(
        id=e.id, username=e.username, site=e.site, method=e.method, path=e.path,
        status=e.status, body_json=e.body_json, request_id=e.request_id,
        role=number_of(intake_pb2.Role, "ROLE_", e.role.value),  # type: ignore[arg-type]
    )  # fmt: skip
    if e.at is not None:
        message.at.CopyFrom(timestamp(e.at))
    return message


class AuditServicer(pb_grpc.AuditServiceServicer):
    def __init__(self, handlers: AuditHandlers) -> None:
        self._h = handlers

    @rpc
    async def RecordAudit(
        self, request: pb.RecordAuditRequest, context: Context
    ) -> pb.RecordAuditResponse:
        e, actor = request.entry, actor_from_pb(request.actor)
        # Who is recorded is the actor (check_entry), whatever the entry names; the site is
        # the one the change is about when the gateway names it.
        site = request.site if request.HasField("site") else actor.site
        entry = AuditEntry(actor.username, actor.role, site, e.method, e.path, e.status,
                           e.body_json, e.request_id)  # fmt: skip
        return pb.RecordAuditResponse(id=await self._h.record(actor, entry))

    @rpc
    async def ListAudit(
        self, request: pb.ListAuditRequest, context: Context
    ) -> pb.ListAuditResponse:
        entries = await self._h.page(actor_from_pb(request.actor), request.username,
                                     request.before_id, request.limit)  # fmt: skip
        return pb.ListAuditResponse(entries=[_entry_to_pb(e) for e in entries])
