"""The bodies of `/v1/analytics/...`, their translation from the analytics protobuf messages,
and the same reports as CSV."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import quote

from google.protobuf.message import Message
from maintenance.analytics.v1 import analytics_pb2 as pb
from pydantic import BaseModel, ConfigDict

__all__ = [
    "HeatCellOut",
    "Heatmap",
    "KpiReport",
    "KpiRowOut",
    "ProblemList",
    "ProblemOut",
    "csv_body",
    "heat_cell_out",
    "kpi_row_out",
    "problem_out",
    "tickets_url",
]

_OUT = ConfigDict(extra="forbid")


def tickets_url(cell: str) -> str:
    """The drill-down: the ticket list that holds exactly the tickets a cell counts."""
    return f"/v1/tickets?analytics_cell={quote(cell, safe='')}"


class KpiRowOut(BaseModel):
    """One group in one bucket. Times are seconds; a share or mean is null where nothing
    was counted. `*_count` says how many durations a time's mean and percentiles are of."""

    model_config = _OUT
    #: The grouping keys and their values, e.g. {"building": "A"}.
    group: dict[str, str]
    #: The bucket's first local date (null without bucketing), and the day after its last.
    bucket: str | None
    bucket_end: str
    raised: int
    resolved: int
    cancelled: int
    reopened: int
    backlog: int
    backlog_age_mean_s: float | None
    response_time_count: int
    response_time_mean_s: float | None
    response_time_p50_s: float | None
    response_time_p90_s: float | None
    dispatch_time_count: int
    dispatch_time_mean_s: float | None
    dispatch_time_p50_s: float | None
    dispatch_time_p90_s: float | None
    handling_time_count: int
    handling_time_mean_s: float | None
    handling_time_p50_s: float | None
    handling_time_p90_s: float | None
    resolve_time_count: int
    resolve_time_mean_s: float | None
    resolve_time_p50_s: float | None
    resolve_time_p90_s: float | None
    sla_respond_evaluated: int
    sla_respond_breached: int
    sla_respond_escalated: int
    sla_respond_met_share: float | None
    sla_resolve_evaluated: int
    sla_resolve_breached: int
    sla_resolve_escalated: int
    sla_resolve_met_share: float | None
    first_time_fixed: int
    first_time_fix_share: float | None
    reopened_resolved: int
    reopen_share: float | None
    rated: int
    rating_share: float | None
    satisfaction_mean: float | None
    satisfaction_high_share: float | None
    alert_to_ticket_count: int
    alert_to_ticket_mean_s: float | None
    alert_to_ticket_p50_s: float | None
    alert_to_ticket_p90_s: float | None
    alert_to_assignment_count: int
    alert_to_assignment_mean_s: float | None
    alert_to_assignment_p50_s: float | None
    alert_to_assignment_p90_s: float | None
    #: Response, dispatch, handling and resolve time in the business hours of each
    #: ticket's SLA calendar (tickets without an SLA policy are not counted).
    response_time_business_hours_count: int
    response_time_business_hours_mean_s: float | None
    response_time_business_hours_p50_s: float | None
    response_time_business_hours_p90_s: float | None
    dispatch_time_business_hours_count: int
    dispatch_time_business_hours_mean_s: float | None
    dispatch_time_business_hours_p50_s: float | None
    dispatch_time_business_hours_p90_s: float | None
    handling_time_business_hours_count: int
    handling_time_business_hours_mean_s: float | None
    handling_time_business_hours_p50_s: float | None
    handling_time_business_hours_p90_s: float | None
    resolve_time_business_hours_count: int
    resolve_time_business_hours_mean_s: float | None
    resolve_time_business_hours_p50_s: float | None
    resolve_time_business_hours_p90_s: float | None
    #: The tickets counted as raised.
    tickets_url: str
    #: For every count above (raised, resolved, backlog, sla_resolve_breached ...): the
    #: tickets it counts.
    tickets_urls: dict[str, str]


class KpiReport(BaseModel):
    """A KPI report: its rows, the site's time zone and where they were read from."""

    site: str
    time_zone: str
    #: "summaries" or "tickets": where the figures were read from.
    read_from: str
    rows: list[KpiRowOut]


class HeatCellOut(BaseModel):
    """Tickets raised at one floor (or unit)."""

    building: str
    floor: str
    #: Set in the map of one building (floor x unit).
    unit: str | None
    count: int
    tickets_url: str


class Heatmap(BaseModel):
    """Tickets raised per building and floor, or per floor and unit of one building."""

    site: str
    time_zone: str
    cells: list[HeatCellOut]


class ProblemOut(BaseModel):
    """A place or asset with tickets of one category again and again."""

    rank: int
    #: The place the tickets were at: an asset when they named one, else a unit, else a floor.
    place: dict[str, str]
    category: str
    count: int
    first_at: str
    last_at: str
    #: The newest of its tickets (at most 20).
    ticket_ids: list[str]
    tickets_url: str


class ProblemList(BaseModel):
    """Recurring problems, most tickets first."""

    items: list[ProblemOut]


def _fields(message: Message, skip: frozenset[str]) -> dict[str, Any]:
    """A message's fields by name: nested messages flattened with their name as prefix, unset
    optional fields as None."""
    found: dict[str, Any] = {}
    for field in message.DESCRIPTOR.fields:
        if field.name in skip:
            continue
        value = getattr(message, field.name)
        if isinstance(value, Message):
            found.update({f"{field.name}_{k}": v for k, v in _fields(value, skip).items()})
        elif field.has_presence and not message.HasField(field.name):
            found[field.name] = None
        else:
            found[field.name] = value
    return found


_NOT_FIGURES = frozenset({"group", "bucket_start", "bucket_end", "cells"})


def kpi_row_out(row: pb.KpiRow, bucketed: bool) -> KpiRowOut:
    """A report row as the REST API shows it (`bucket` null without bucketing)."""
    urls = {figure: tickets_url(cell) for figure, cell in sorted(row.cells.items())}
    return KpiRowOut(
        group={g.key: g.value for g in row.group},
        bucket=row.bucket_start if bucketed else None,
        bucket_end=row.bucket_end,
        tickets_url=urls["raised"],
        tickets_urls=urls,
        **_fields(row, _NOT_FIGURES),
    )


def heat_cell_out(cell: pb.HeatCell) -> HeatCellOut:
    """A heat-map cell as the REST API shows it."""
    return HeatCellOut(building=cell.building, floor=cell.floor, unit=cell.unit or None,
                       count=cell.count, tickets_url=tickets_url(cell.cell))  # fmt: skip


def problem_out(p: pb.Problem) -> ProblemOut:
    """A recurring problem as the REST API shows it."""
    place = {k: v for k, v in (("building", p.building), ("floor", p.floor), ("unit", p.unit),
                               ("asset", p.asset)) if v}  # fmt: skip
    return ProblemOut(
        rank=p.rank, place=place, category=p.category, count=p.count,
        first_at=p.first_at.ToJsonString(), last_at=p.last_at.ToJsonString(),
        ticket_ids=list(p.ticket_ids), tickets_url=tickets_url(p.cell),
    )  # fmt: skip


def csv_body(rows: list[dict[str, Any]]) -> str:
    """Rows as CSV: a column per key (nested dicts spread out, lists joined by "|"), in the
    order the keys first appear; UTF-8 with a byte-order mark, so Excel keeps Chinese."""
    flat: list[dict[str, Any]] = []
    for row in rows:
        out: dict[str, Any] = {}
        for key, value in row.items():
            if isinstance(value, dict):
                out.update(value)
            else:
                out[key] = "|".join(value) if isinstance(value, list) else value
        flat.append(out)
    columns = list(dict.fromkeys(k for row in flat for k in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(flat)
    return "\ufeff" + buffer.getvalue()
