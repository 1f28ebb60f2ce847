"""Figures from additive measures.

A cell (a group in a bucket) is described by counts and sums that add up across tickets,
days and groups (`Measures`); every figure a report shows follows from them (`finalize`),
whether they came from the summaries or straight from the per-ticket facts. Shares and
means are None where nothing was counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from services.analytics.domain import histogram
from services.analytics.domain.histogram import MEASURES, Histogram, quantile_tables

__all__ = ["COUNTS", "CellTotals", "DurationStats", "Figures", "Measures", "finalize"]

#: Additive counts of a cell, by column name (the same names in SQL; see migration 0001).
COUNTS = (
    "raised", "resolved", "cancelled", "reopened", "opened", "opened_created_s",
    "sla_respond_n", "sla_respond_breached", "sla_respond_escalated",
    "sla_resolve_n", "sla_resolve_breached", "sla_resolve_escalated",
    "first_time_fixed", "reopened_resolved", "rateable", "rated", "stars_sum", "stars_high",
)  # fmt: skip


@dataclass(slots=True)
class Measures:
    """What a cell adds up: `counts` by COUNTS name, per duration measure (MEASURES order)
    how many and their sum, and their histogram (see `histogram`; None when empty)."""

    counts: Counter[str] = field(default_factory=Counter)
    n: list[int] = field(default_factory=lambda: [0] * len(MEASURES))
    sums: list[float] = field(default_factory=lambda: [0.0] * len(MEASURES))
    hist: Histogram | None = None

    def add(self, other: Measures) -> None:
        """Add another cell's measures to these."""
        self.counts.update(other.counts)
        self.n = [a + b for a, b in zip(self.n, other.n, strict=True)]
        self.sums = [a + b for a, b in zip(self.sums, other.sums, strict=True)]
        self.hist = histogram.add(self.hist, other.hist)


@dataclass(frozen=True, slots=True)
class DurationStats:
    """How many durations were counted, their mean, median and 90th percentile (seconds)."""

    count: int
    mean_s: float | None
    p50_s: float | None
    p90_s: float | None


@dataclass(frozen=True, slots=True)
class Figures:
    """Every figure of one cell."""

    raised: int
    resolved: int
    cancelled: int
    reopened: int
    backlog: int
    backlog_age_mean_s: float | None
    response_time: DurationStats
    dispatch_time: DurationStats
    handling_time: DurationStats
    resolve_time: DurationStats
    alert_to_ticket: DurationStats
    alert_to_assignment: DurationStats
    #: The four durations above counted in the business hours of the calendar each
    #: ticket's SLA clocks run on (tickets without one are not counted).
    response_time_business_hours: DurationStats
    dispatch_time_business_hours: DurationStats
    handling_time_business_hours: DurationStats
    resolve_time_business_hours: DurationStats
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


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole > 0 else None


def _stats(m: Measures, index: int, p50: float | None, p90: float | None) -> DurationStats:
    n = m.n[index]
    if n <= 0:
        return DurationStats(count=n, mean_s=None, p50_s=None, p90_s=None)
    return DurationStats(count=n, mean_s=m.sums[index] / n, p50_s=p50, p90_s=p90)


#: A cell to finalize: its measures, its backlog at the end of its bucket, the sum of the
#: backlog's raising times (epoch seconds) and that end.
CellTotals = tuple[Measures, int, int, datetime]


def finalize(cells: Sequence[CellTotals]) -> list[Figures]:
    """The figures of each cell: for measures `m` whose backlog at `backlog_at` is
    `backlog` tickets raised on average at epoch `backlog_created_s / backlog`. The
    percentiles of all cells are read from their histograms at once."""
    tables = quantile_tables([m.hist for m, *_ in cells], (0.5, 0.9))
    return [_figures(*cell, table) for cell, table in zip(cells, tables, strict=True)]


def _figures(
    m: Measures, backlog: int, backlog_created_s: int, backlog_at: datetime,
    table: list[list[float | None]],
) -> Figures:  # fmt: skip
    c = m.counts
    stats = [_stats(m, i, *table[i]) for i in range(len(MEASURES))]
    age = backlog_at.timestamp() - backlog_created_s / backlog if backlog > 0 else None
    respond_n, resolve_n = c["sla_respond_n"], c["sla_resolve_n"]
    return Figures(
        raised=c["raised"], resolved=c["resolved"], cancelled=c["cancelled"],
        reopened=c["reopened"], backlog=backlog, backlog_age_mean_s=age,
        response_time=stats[0], dispatch_time=stats[1], handling_time=stats[2],
        resolve_time=stats[3], alert_to_ticket=stats[4], alert_to_assignment=stats[5],
        response_time_business_hours=stats[6], dispatch_time_business_hours=stats[7],
        handling_time_business_hours=stats[8], resolve_time_business_hours=stats[9],
        sla_respond_evaluated=respond_n, sla_respond_breached=c["sla_respond_breached"],
        sla_respond_escalated=c["sla_respond_escalated"],
        sla_respond_met_share=_share(respond_n - c["sla_respond_breached"], respond_n),
        sla_resolve_evaluated=resolve_n, sla_resolve_breached=c["sla_resolve_breached"],
        sla_resolve_escalated=c["sla_resolve_escalated"],
        sla_resolve_met_share=_share(resolve_n - c["sla_resolve_breached"], resolve_n),
        first_time_fixed=c["first_time_fixed"],
        first_time_fix_share=_share(c["first_time_fixed"], c["resolved"]),
        reopened_resolved=c["reopened_resolved"],
        reopen_share=_share(c["reopened_resolved"], c["resolved"]),
        rated=c["rated"], rating_share=_share(c["rated"], c["rateable"]),
        satisfaction_mean=c["stars_sum"] / c["rated"] if c["rated"] > 0 else None,
        satisfaction_high_share=_share(c["stars_high"], c["rated"]),
    )  # fmt: skip
