"""Translation between the analytics protobuf messages and the analytics domain."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from maintenance.analytics.v1 import analytics_pb2 as pb

from services.analytics.domain.cells import Dimension, Filters
from services.analytics.domain.errors import InvalidInput
from services.analytics.domain.figures import DurationStats, Figures
from services.analytics.domain.periods import Bucketing
from services.analytics.handlers.reports import HeatCell, KpiRow, ProblemRow, Scope, Viewer
from services.common.protoenum import code_of

__all__ = [
    "bucketing_from_pb",
    "dimensions_from_pb",
    "heat_cell_to_pb",
    "kpi_row_to_pb",
    "problem_to_pb",
    "scope_from_pb",
    "viewer_from_pb",
]

_DURATIONS = ("response_time", "dispatch_time", "handling_time", "resolve_time",
              "alert_to_ticket", "alert_to_assignment", "response_time_business_hours",
              "dispatch_time_business_hours", "handling_time_business_hours",
              "resolve_time_business_hours")  # fmt: skip
_FIGURES = tuple(f.name for f in fields(Figures))


def viewer_from_pb(caller: pb.Caller) -> Viewer:
    """Who asks, as the handlers take it."""
    return Viewer(caller.username, caller.role, caller.site)


def scope_from_pb(scope: pb.Scope) -> Scope:
    """The site, period and narrowing of a report."""
    filters = Filters(
        tuple(scope.kinds), tuple(scope.categories), tuple(scope.priorities), tuple(scope.sources)
    )
    return Scope(scope.site, scope.from_date, scope.to_date, filters)


def dimensions_from_pb(numbers: list[int]) -> list[Dimension]:
    """The dimensions to group by; INVALID_ARGUMENT for one unknown."""
    found = []
    for number in numbers:
        code = code_of(pb.Dimension, "DIMENSION_", number)
        if not code:
            raise InvalidInput(f"unknown dimension {number}")
        found.append(Dimension(code))
    return found


def bucketing_from_pb(number: int) -> Bucketing:
    """How to cut the period; unspecified is not at all."""
    code = code_of(pb.Bucket, "BUCKET_", number)
    if number and not code:
        raise InvalidInput(f"unknown bucket {number}")
    return Bucketing(code)


def _stats(s: DurationStats) -> pb.DurationStats:
    return pb.DurationStats(count=s.count, mean_s=s.mean_s, p50_s=s.p50_s, p90_s=s.p90_s)


def kpi_row_to_pb(row: KpiRow) -> pb.KpiRow:
    """One report row with all its figures and cells."""
    figures = {name: getattr(row.figures, name) for name in _FIGURES}
    for name in _DURATIONS:
        figures[name] = _stats(figures[name])
    return pb.KpiRow(
        group=[pb.GroupValue(key=k, value=v) for k, v in row.group],
        bucket_start=row.bucket.start.isoformat(),
        bucket_end=row.bucket.end.isoformat(),
        cells=row.cells,
        **figures,
    )


def heat_cell_to_pb(cell: HeatCell) -> pb.HeatCell:
    """One cell of the heat map."""
    return pb.HeatCell(building=cell.building, floor=cell.floor, unit=cell.unit,
                       count=cell.count, cell=cell.cell)  # fmt: skip


def _ts(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value.astimezone(UTC))
    return stamp


def problem_to_pb(row: ProblemRow) -> pb.Problem:
    """One recurring problem."""
    p = row.problem
    return pb.Problem(
        rank=row.rank, building=p.building, floor=p.floor, unit=p.unit, asset=p.asset,
        category=p.category, count=p.count, first_at=_ts(p.first_at), last_at=_ts(p.last_at),
        ticket_ids=p.ticket_ids, cell=row.cell,
    )  # fmt: skip
