"""AnalyticsService over gRPC: each method translates, calls one handler, translates back."""

from __future__ import annotations

from typing import Any

import grpc
from maintenance.analytics.v1 import analytics_pb2 as pb
from maintenance.analytics.v1 import analytics_pb2_grpc as pb_grpc

from services.analytics.domain.errors import Forbidden, InvalidInput, NotFound, Unavailable
from services.analytics.entrypoint import messages as m
from services.analytics.handlers.reports import Reports
from services.common.rpc_errors import translate_errors

__all__ = ["AnalyticsServicer"]

Context = grpc.aio.ServicerContext[Any, Any]

_rpc = translate_errors({
    InvalidInput: grpc.StatusCode.INVALID_ARGUMENT, NotFound: grpc.StatusCode.NOT_FOUND,
    Forbidden: grpc.StatusCode.PERMISSION_DENIED, Unavailable: grpc.StatusCode.UNAVAILABLE,
})  # fmt: skip


class AnalyticsServicer(pb_grpc.AnalyticsServiceServicer):
    """AnalyticsService: reports for the gateway and other services."""

    def __init__(self, reports: Reports) -> None:
        self._reports = reports

    @_rpc
    async def GetKpis(self, request: pb.GetKpisRequest, context: Context) -> pb.GetKpisResponse:
        report = await self._reports.kpis(
            m.viewer_from_pb(request.caller), m.scope_from_pb(request.scope),
            m.dimensions_from_pb(list(request.group_by)), m.bucketing_from_pb(request.bucket),
        )  # fmt: skip
        return pb.GetKpisResponse(
            rows=[m.kpi_row_to_pb(r) for r in report.rows], time_zone=report.time_zone,
            read_from=report.read_from,
        )  # fmt: skip

    @_rpc
    async def GetHeatmap(
        self, request: pb.GetHeatmapRequest, context: Context
    ) -> pb.GetHeatmapResponse:
        heat = await self._reports.heatmap(
            m.viewer_from_pb(request.caller), m.scope_from_pb(request.scope), request.building
        )
        return pb.GetHeatmapResponse(
            cells=[m.heat_cell_to_pb(c) for c in heat.cells], time_zone=heat.time_zone
        )

    @_rpc
    async def ListTopProblems(
        self, request: pb.ListTopProblemsRequest, context: Context
    ) -> pb.ListTopProblemsResponse:
        rows = await self._reports.problems(
            m.viewer_from_pb(request.caller), m.scope_from_pb(request.scope),
            request.min_count or 3, request.limit or 20,
        )  # fmt: skip
        return pb.ListTopProblemsResponse(problems=[m.problem_to_pb(r) for r in rows])

    @_rpc
    async def ListCellTickets(
        self, request: pb.ListCellTicketsRequest, context: Context
    ) -> pb.ListCellTicketsResponse:
        ids, following, total = await self._reports.cell_tickets(
            m.viewer_from_pb(request.caller), request.cell, request.page_size, request.page_token
        )
        return pb.ListCellTicketsResponse(ticket_ids=ids, next_page_token=following, total=total)
