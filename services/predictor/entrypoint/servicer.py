"""PredictorService over gRPC: each method translates, calls one handler, translates back."""

from __future__ import annotations

from typing import Any

import grpc
from maintenance.predictor.v1 import predictor_pb2 as pb
from maintenance.predictor.v1 import predictor_pb2_grpc as pb_grpc

from services.common.rpc_errors import translate_errors
from services.predictor.domain.errors import Forbidden, InvalidInput, NotFound, NotReady
from services.predictor.entrypoint.messages import caller_of, evaluation_to_pb, hotspot_to_pb
from services.predictor.handlers.hotspots import Hotspots

__all__ = ["PredictorServicer"]

Context = grpc.aio.ServicerContext[Any, Any]

_rpc = translate_errors({
    InvalidInput: grpc.StatusCode.INVALID_ARGUMENT, NotFound: grpc.StatusCode.NOT_FOUND,
    Forbidden: grpc.StatusCode.PERMISSION_DENIED, NotReady: grpc.StatusCode.FAILED_PRECONDITION,
})  # fmt: skip


class PredictorServicer(pb_grpc.PredictorServiceServicer):
    def __init__(self, hotspots: Hotspots) -> None:
        self._hotspots = hotspots

    @_rpc
    async def ListHotspots(
        self, request: pb.ListHotspotsRequest, context: Context
    ) -> pb.ListHotspotsResponse:
        r = request
        ranking = await self._hotspots.ranking(
            caller_of(r.actor), r.site, r.level, r.horizon_days, r.limit
        )
        first = ranking.items[0] if ranking.items else None
        return pb.ListHotspotsResponse(
            items=[hotspot_to_pb(h) for h in ranking.items],
            as_of=first.as_of.isoformat() if first else "",
            model_version=first.model_version if first else "",
            model_horizon_days=ranking.model_horizon_days,
        )

    @_rpc
    async def GetEvaluation(
        self, request: pb.GetEvaluationRequest, context: Context
    ) -> pb.GetEvaluationResponse:
        r = request
        rows = await self._hotspots.evaluation(caller_of(r.actor), r.site, getattr(r, "from"), r.to,
                                               r.k, r.kind)  # fmt: skip
        return pb.GetEvaluationResponse(rows=[evaluation_to_pb(row) for row in rows])

    @_rpc
    async def CreateWorkOrder(
        self, request: pb.CreateWorkOrderRequest, context: Context
    ) -> pb.CreateWorkOrderResponse:
        ticket, created = await self._hotspots.work_order(caller_of(request.actor), request.hotspot_id,
                                                          request.note)  # fmt: skip
        return pb.CreateWorkOrderResponse(ticket=ticket, created=created)

    @_rpc
    async def RenderHeatmap(
        self, request: pb.RenderHeatmapRequest, context: Context
    ) -> pb.RenderHeatmapResponse:
        content, kind = await self._hotspots.heatmap(caller_of(request.actor), request.site,
                                                     request.horizon_days, request.format or "svg")  # fmt: skip
        return pb.RenderHeatmapResponse(content=content, content_type=kind)
