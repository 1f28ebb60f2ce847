"""`/v1/analytics/...`: KPIs, the heat map and recurring problems, for supervisors and
planners (their own site) and admins (any site). Every figure links to the tickets behind
it (`tickets_url`, a `/v1/tickets?analytics_cell=...` list). Send `Accept: text/csv` for
the same report as CSV (UTF-8 with a byte-order mark, for Excel)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Header, HTTPException, Query, Response
from maintenance.analytics.v1 import analytics_pb2 as pb
from pydantic import BaseModel

from services.common.protoenum import number_of
from services.gateway.entrypoint.analytics_schemas import (
    Heatmap,
    KpiReport,
    ProblemList,
    csv_body,
    heat_cell_out,
    kpi_row_out,
    problem_out,
)
from services.gateway.entrypoint.deps import Call, Caller
from services.gateway.entrypoint.schemas import Kind, PriorityCode, Source

__all__ = ["READERS", "analytics_caller", "router"]

router = APIRouter(prefix="/v1/analytics", tags=["analytics"])

#: Who reads analytics (and drills down from it).
READERS = ("supervisor", "planner", "admin")
Dimension = Literal["site", "building", "floor", "unit", "asset", "kind", "category",
                    "priority", "source", "team", "technician"]  # fmt: skip
_DIMENSIONS = set(get_args(Dimension))
_CSV = "text/csv; charset=utf-8"

Site = Annotated[str, Query(max_length=64, description="The site; yours when left out")]
From = Annotated[str, Query(alias="from", max_length=10, description="First local date, YYYY-MM-DD (default: twelve months before `to`)")]  # fmt: skip
To = Annotated[str, Query(alias="to", max_length=10, description="Local date after the last, YYYY-MM-DD (default: the first of next month)")]  # fmt: skip
Kinds = Annotated[list[Kind] | None, Query(alias="kind")]
Categories = Annotated[list[str] | None, Query(alias="category")]
Priorities = Annotated[list[PriorityCode] | None, Query(alias="priority")]
Sources = Annotated[list[Source] | None, Query(alias="source")]
AcceptHeader = Annotated[str, Header(alias="accept")]


def analytics_caller(caller: Call) -> pb.Caller:
    """The caller as analytics' Caller; 403 unless they may read analytics."""
    caller.require(*READERS)
    return pb.Caller(username=caller.user.username, role=caller.user.role, site=caller.user.site)


def _scope(
    caller: Call, site: str, start: str, end: str, kinds: list[Kind] | None,
    categories: list[str] | None, priorities: list[PriorityCode] | None,
    sources: list[Source] | None,
) -> pb.Scope:  # fmt: skip
    return pb.Scope(
        site=site or caller.user.site, from_date=start, to_date=end, kinds=list(kinds or []),
        categories=list(categories or []), priorities=list(priorities or []),
        sources=list(sources or []),
    )  # fmt: skip


def _reply(model: BaseModel, rows: list[dict[str, Any]], accept: str, name: str) -> Any:
    """The report as JSON, or as CSV when the caller accepts text/csv."""
    if "text/csv" not in accept:
        return model
    return Response(
        csv_body(rows), media_type=_CSV,
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )  # fmt: skip


def _dimensions(values: list[str]) -> list[int]:
    names = [n.strip() for v in values for n in v.split(",") if n.strip()]
    unknown = [n for n in names if n not in _DIMENSIONS]
    if unknown:
        raise HTTPException(422, f"cannot group by {unknown[0][:40]!r}; one of: "
                                 f"{', '.join(sorted(_DIMENSIONS))}")  # fmt: skip
    return [number_of(pb.Dimension, "DIMENSION_", n) for n in names]


_CSV_DOC: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}},
          "description": "The report; as CSV with `Accept: text/csv`"},
}  # fmt: skip


@router.get("/kpis", response_model=KpiReport, responses=_CSV_DOC, summary="Ticket KPIs")
async def kpis(
    caller: Caller, site: Site = "", start: From = "", end: To = "",
    group_by: Annotated[list[str] | None, Query(description="Dimensions, repeated or comma-separated")] = None,
    bucket: Annotated[Literal["day", "week", "month"] | None, Query()] = None,
    kind: Kinds = None, category: Categories = None, priority: Priorities = None,
    source: Sources = None, accept: AcceptHeader = "",
) -> Any:  # fmt: skip
    """Counts raised, resolved, cancelled and reopened; backlog at the end of each bucket;
    response, dispatch, handling and resolve times; SLA compliance; first-time fix and
    reopen shares; satisfaction; alert latencies of sensor tickets. Days are the site's."""
    reply = await caller.analytics.GetKpis(
        pb.GetKpisRequest(
            caller=analytics_caller(caller),
            scope=_scope(caller, site, start, end, kind, category, priority, source),
            group_by=_dimensions(group_by or []),  # type: ignore[arg-type]
            bucket=number_of(pb.Bucket, "BUCKET_", bucket or ""),  # type: ignore[arg-type]
        ),
        **caller.opts,
    )
    rows = [kpi_row_out(r, bucket is not None) for r in reply.rows]
    report = KpiReport(site=site or caller.user.site, time_zone=reply.time_zone,
                       read_from=reply.read_from, rows=rows)  # fmt: skip
    return _reply(report, [r.model_dump(exclude={"tickets_urls"}) for r in rows], accept, "kpis")


@router.get(
    "/heatmap", response_model=Heatmap, responses=_CSV_DOC, summary="Where tickets are raised"
)
async def heatmap(
    caller: Caller, site: Site = "", start: From = "", end: To = "",
    building: Annotated[str, Query(max_length=64, description="Floor x unit of this building")] = "",
    kind: Kinds = None, category: Categories = None, priority: Priorities = None,
    source: Sources = None, accept: AcceptHeader = "",
) -> Any:  # fmt: skip
    """Tickets raised per building and floor (or per floor and unit of one `building`)."""
    reply = await caller.analytics.GetHeatmap(
        pb.GetHeatmapRequest(
            caller=analytics_caller(caller),
            scope=_scope(caller, site, start, end, kind, category, priority, source),
            building=building,
        ),
        **caller.opts,
    )
    cells = [heat_cell_out(c) for c in reply.cells]
    body = Heatmap(site=site or caller.user.site, time_zone=reply.time_zone, cells=cells)
    return _reply(body, [c.model_dump() for c in cells], accept, "heatmap")


@router.get("/top-problems", response_model=ProblemList, responses=_CSV_DOC,
            summary="Recurring problems")  # fmt: skip
async def top_problems(
    caller: Caller, site: Site = "", start: From = "", end: To = "",
    min_count: Annotated[int, Query(ge=2, le=1000)] = 3,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    kind: Kinds = None, category: Categories = None, priority: Priorities = None,
    source: Sources = None, accept: AcceptHeader = "",
) -> Any:  # fmt: skip
    """The same asset (or unit, or floor) with the same category at least `min_count` times
    in the period, most tickets first, with the first and last of them."""
    reply = await caller.analytics.ListTopProblems(
        pb.ListTopProblemsRequest(
            caller=analytics_caller(caller),
            scope=_scope(caller, site, start, end, kind, category, priority, source),
            min_count=min_count, limit=limit,
        ),
        **caller.opts,
    )  # fmt: skip
    items = [problem_out(p) for p in reply.problems]
    return _reply(ProblemList(items=items), [p.model_dump() for p in items], accept, "top-problems")
