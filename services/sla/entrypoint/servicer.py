"""SlaService over gRPC: each method translates, calls one handler, translates back."""

from __future__ import annotations

from typing import Any

import grpc
from maintenance.sla.v1 import sla_pb2 as pb
from maintenance.sla.v1 import sla_pb2_grpc as pb_grpc

from services.common.rpc_errors import translate_errors
from services.sla.domain.errors import Forbidden, InvalidInput, NotFound
from services.sla.entrypoint import messages as m
from services.sla.handlers.admin import SlaAdmin

__all__ = ["SlaServicer"]

Context = grpc.aio.ServicerContext[Any, Any]

_rpc = translate_errors(
    {
        InvalidInput: grpc.StatusCode.INVALID_ARGUMENT,
        NotFound: grpc.StatusCode.NOT_FOUND,
        Forbidden: grpc.StatusCode.PERMISSION_DENIED,
    }
)


class SlaServicer(pb_grpc.SlaServiceServicer):
    def __init__(self, admin: SlaAdmin) -> None:
        self._admin = admin

    @_rpc
    async def GetSlaStates(
        self, request: pb.GetSlaStatesRequest, context: Context
    ) -> pb.GetSlaStatesResponse:
        reports, now = await self._admin.states(list(request.ticket_ids))
        return pb.GetSlaStatesResponse(states=[m.report_to_pb(r) for r in reports], as_of=m.ts(now))

    @_rpc
    async def ListPolicies(
        self, request: pb.ListPoliciesRequest, context: Context
    ) -> pb.ListPoliciesResponse:
        found = await self._admin.list_policies(request.site)
        return pb.ListPoliciesResponse(policies=[m.policy_to_pb(p, at) for p, at in found])

    @_rpc
    async def PutPolicy(
        self, request: pb.PutPolicyRequest, context: Context
    ) -> pb.PutPolicyResponse:
        policy = m.policy_from_pb(request.policy)
        updated_at, created, scheduled = await self._admin.put_policy(policy, request.acting_site)
        return pb.PutPolicyResponse(
            policy=m.policy_to_pb(policy, updated_at), created=created,
            recompute_scheduled=scheduled,
        )  # fmt: skip

    @_rpc
    async def ListCalendars(
        self, request: pb.ListCalendarsRequest, context: Context
    ) -> pb.ListCalendarsResponse:
        found = await self._admin.list_calendars(request.site)
        return pb.ListCalendarsResponse(calendars=[m.calendar_to_pb(c, at) for c, at in found])

    @_rpc
    async def PutCalendar(
        self, request: pb.PutCalendarRequest, context: Context
    ) -> pb.PutCalendarResponse:
        calendar = m.calendar_from_pb(request.calendar)
        updated_at, created, scheduled = await self._admin.put_calendar(
            calendar, request.acting_site
        )
        return pb.PutCalendarResponse(
            calendar=m.calendar_to_pb(calendar, updated_at), created=created,
            recompute_scheduled=scheduled,
        )  # fmt: skip

    @_rpc
    async def Recompute(
        self, request: pb.RecomputeRequest, context: Context
    ) -> pb.RecomputeResponse:
        scheduled = await self._admin.recompute(list(request.ticket_ids), request.site)
        return pb.RecomputeResponse(recompute_scheduled=scheduled)
