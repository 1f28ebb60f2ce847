"""HistoryService over gRPC: read the stream of work order rows, call the handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
from maintenance.intake.v1 import history_pb2 as pb
from maintenance.intake.v1 import history_pb2_grpc as pb_grpc

from services.intake.domain.errors import InvalidInput
from services.intake.domain.model import Location
from services.intake.domain.place_import import ImportOutcome, RowProblem
from services.intake.domain.work_orders import (
    KIND_NAMES,
    PRIORITY_NAMES,
    STATUS_NAMES,
    WorkOrder,
    category_code,
    from_name,
)
from services.intake.entrypoint.messages import actor_from_pb, from_timestamp
from services.intake.entrypoint.places_servicer import import_counts
from services.intake.entrypoint.servicer import rpc
from services.intake.handlers.work_orders import WorkOrderHandlers

__all__ = ["HistoryServicer", "work_order_from_pb"]

Context = grpc.aio.ServicerContext[Any, Any]
_TIMES = ("accepted_at", "resolved_at", "closed_at")


def work_order_from_pb(r: pb.WorkOrderRow) -> WorkOrder:
    """A row as the domain takes it; InvalidInput naming the column of a word it does not know."""
    category = category_code(r.category)
    if not category:
        raise InvalidInput(f"unknown category {r.category[:40]!r}", "category")
    if not r.HasField("opened_at"):
        raise InvalidInput("opened_at is empty", "opened_at")
    times = {t: from_timestamp(getattr(r, t)) if r.HasField(t) else None for t in _TIMES}  # type: ignore[arg-type]
    return WorkOrder(
        line=r.line, external_id=r.external_id.strip(),
        kind=from_name(KIND_NAMES, r.kind, "kind"), category=category,
        status=from_name(STATUS_NAMES, r.status, "status"),
        priority=from_name(PRIORITY_NAMES, r.priority, "priority") if r.priority else None,
        location=Location(r.site, r.building, r.floor, r.unit, r.asset_id),
        title=r.title, component=r.component, assignee=r.assignee, requester=r.requester,
        cost_cents=r.cost_cents, rating=r.rating, description=r.description,
        opened_at=from_timestamp(r.opened_at),
        accepted_at=times["accepted_at"], resolved_at=times["resolved_at"],
        closed_at=times["closed_at"],
    )  # fmt: skip


class HistoryServicer(pb_grpc.HistoryServiceServicer):
    def __init__(self, handlers: WorkOrderHandlers) -> None:
        self._h = handlers

    @rpc
    async def ImportWorkOrders(
        self, request_iterator: AsyncIterator[pb.ImportWorkOrdersRequest], context: Context
    ) -> pb.ImportWorkOrdersResponse:
        rows: list[WorkOrder] = []
        problems: list[RowProblem] = []
        first: pb.ImportWorkOrdersRequest | None = None
        async for request in request_iterator:
            first = first or request
            for r in request.rows:
                try:
                    rows.append(work_order_from_pb(r))
                except InvalidInput as exc:
                    problems.append(RowProblem(r.line, exc.field, str(exc)))
        if first is None:
            return pb.ImportWorkOrdersResponse()
        outcome = await self._h.import_work_orders(
            actor_from_pb(first.actor), rows, first.dry_run or bool(problems)
        )
        problems = sorted([*problems, *(outcome.problems or [])], key=lambda p: (p.line, p.column))
        if problems:
            outcome = ImportOutcome(problems=problems)
        return pb.ImportWorkOrdersResponse(**import_counts(outcome))
