"""Reports: KPIs, the heat map, recurring problems, and the tickets behind any figure.

A report reads the monthly summaries when they cover it exactly (whole months, one
dimension of the summaries, no filters) and the per-ticket facts otherwise; both give the
same additive measures, from which `domain.figures.finalize` makes every figure. Each
figure comes with its cell (`domain.cells`): resolving it lists the tickets it counts.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from psycopg_pool import AsyncConnectionPool

from services.analytics.adapters.dispatch_client import TeamsPort
from services.analytics.adapters.reports_repo import FactQuery, Problem, ReportRepository, Values
from services.analytics.domain.cells import (
    FIGURES,
    Cell,
    Dimension,
    Filters,
    Group,
    decode_cell,
    encode_cell,
    encode_cells,
    group_keys,
)
from services.analytics.domain.errors import Forbidden, InvalidInput
from services.analytics.domain.figures import CellTotals, Figures, Measures, finalize
from services.analytics.domain.periods import (
    Bucket,
    Bucketing,
    Period,
    buckets,
    local_midnight,
    parse_period,
    time_zone,
)
from services.analytics.handlers.sites import SiteZones

__all__ = ["HeatCell", "HeatMap", "KpiReport", "KpiRow", "ProblemRow", "Reports", "Scope", "Viewer"]

#: Dimensions the summaries keep, by their name there ('' is the whole site); a team is
#: read as the technicians in it.
_SUMMARY_DIMS = {
    Dimension.SITE: "", Dimension.BUILDING: "building", Dimension.KIND: "kind",
    Dimension.CATEGORY: "category", Dimension.PRIORITY: "priority",
    Dimension.SOURCE: "source", Dimension.TECHNICIAN: "technician",
    Dimension.TEAM: "technician",
}  # fmt: skip
_ANY_SITE = frozenset({"admin", "system"})
_OWN_SITE = frozenset({"supervisor", "planner"})
_MAX_ROWS = 20_000
_MAX_PAGE = 1000
_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who asks for a report."""

    username: str
    role: str
    site: str = ""


@dataclass(frozen=True, slots=True)
class Scope:
    """One site, a period of local dates as text ('' for the defaults), and narrowing."""

    site: str
    start: str = ""
    end: str = ""
    filters: Filters = field(default_factory=Filters)


@dataclass(frozen=True, slots=True)
class KpiRow:
    """One group in one bucket: its figures, and a cell token per figure."""

    group: Group
    bucket: Bucket
    figures: Figures
    #: Figure name -> cell token.
    cells: dict[str, str]


@dataclass(frozen=True, slots=True)
class KpiReport:
    """A KPI report's rows, in the site's time zone."""

    rows: list[KpiRow]
    time_zone: str
    #: "summaries" or "tickets".
    read_from: str


@dataclass(frozen=True, slots=True)
class HeatCell:
    """Tickets raised at one floor (or unit), and their cell token."""

    building: str
    floor: str
    unit: str
    count: int
    cell: str


@dataclass(frozen=True, slots=True)
class HeatMap:
    """A heat map's cells, in the site's time zone."""

    cells: list[HeatCell]
    time_zone: str


@dataclass(frozen=True, slots=True)
class ProblemRow:
    """A recurring problem, its rank and the cell of its tickets."""

    rank: int
    problem: Problem
    cell: str


def _check_site(viewer: Viewer, site: str) -> None:
    if not site:
        raise InvalidInput("name the site")
    if viewer.role in _ANY_SITE:
        return
    if viewer.role not in _OWN_SITE:
        raise Forbidden(f"a {viewer.role or 'caller without a role'} may not read analytics")
    if viewer.site != site:
        raise Forbidden(f"a {viewer.role} reads the figures of their own site only")


def _page_token(at: datetime, ticket_id: str) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{ticket_id}".encode()).decode()


def _after(token: str) -> tuple[datetime, str] | None:
    if not token:
        return None
    try:
        at, ticket_id = base64.urlsafe_b64decode(token.encode()).decode().split("|")
        return datetime.fromisoformat(at), ticket_id
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise InvalidInput("page_token is not one this service issued") from None


def _has_figures(m: Measures, backlog: int) -> bool:
    counted = any(v for k, v in m.counts.items() if k not in ("opened", "opened_created_s"))
    return counted or backlog != 0 or any(m.n)


class Reports:
    """Answers reports from the summaries or the facts."""

    def __init__(
        self,
        pool: AsyncConnectionPool,
        sites: SiteZones,
        teams: TeamsPort,
        clock: Callable[[], datetime],
    ) -> None:
        self._pool = pool
        self._sites = sites
        self._teams = teams
        self._clock = clock

    async def _open(self, viewer: Viewer, scope: Scope) -> tuple[ZoneInfo, Period]:
        _check_site(viewer, scope.site)
        zone = time_zone(await self._sites.zone(scope.site))
        today = self._clock().astimezone(zone).date()
        return zone, parse_period(scope.start, scope.end, today)

    def _query(
        self, scope: Scope, zone: ZoneInfo, period: Period, keys: tuple[str, ...],
        fixed: Group = (), teams: dict[str, str] | None = None,
    ) -> FactQuery:  # fmt: skip
        """The facts of the scope's tickets counted in `period` (read a day wider on each
        side: the local-date conditions decide)."""
        return FactQuery(
            scope.site, zone.key, keys, lo=local_midnight(period.start, zone) - _DAY,
            hi=local_midnight(period.end, zone) + _DAY, filters=scope.filters, fixed=fixed,
            teams=teams,
        )  # fmt: skip

    async def kpis(
        self, viewer: Viewer, scope: Scope, dimensions: list[Dimension], bucketing: Bucketing
    ) -> KpiReport:
        """KPIs of the scope's tickets grouped by `dimensions` (none: the whole site) in the period's buckets."""
        zone, period = await self._open(viewer, scope)
        cuts = buckets(period, bucketing)
        keys = group_keys(dimensions)
        teams = await self._teams.teams(scope.site) if Dimension.TEAM in dimensions else None
        summary = (
            scope.filters.empty and len(dimensions) <= 1 and period.month_aligned
            and bucketing in (Bucketing.NONE, Bucketing.MONTH)
            and all(d in _SUMMARY_DIMS for d in dimensions)
        )  # fmt: skip
        starts = [b.start for b in cuts]
        async with self._pool.connection() as conn:
            repo = ReportRepository(conn)
            if summary:
                dim = _SUMMARY_DIMS[dimensions[0]] if dimensions else ""
                found = await repo.summary_cells(scope.site, dim, starts, period.end)
                cells = self._summary_groups(found, keys, scope.site, teams)
            else:
                query = self._query(scope, zone, period, keys, teams=teams)
                cells = await repo.fact_cells(query, starts, period.end)
        rows = self._rows(scope, zone, keys, cuts, cells)
        return KpiReport(rows, zone.key, "summaries" if summary else "tickets")

    @staticmethod
    def _summary_groups(
        found: dict[tuple[str, int], Measures], keys: tuple[str, ...], site: str,
        teams: dict[str, str] | None,
    ) -> dict[tuple[Values, int], Measures]:  # fmt: skip
        """Summary values as group values: the site, a team (its technicians merged)."""
        cells: dict[tuple[Values, int], Measures] = {}
        for (value, index), measures in found.items():
            if keys == ("site",):
                values: Values = (site,)
            elif teams is not None:
                values = (teams.get(value, ""),)
            else:
                values = (value,) if keys else ()
            if (values, index) in cells:
                cells[(values, index)].add(measures)
            else:
                cells[(values, index)] = measures
        return cells

    def _rows(
        self, scope: Scope, zone: ZoneInfo, keys: tuple[str, ...], cuts: list[Bucket],
        cells: dict[tuple[Values, int], Measures],
    ) -> list[KpiRow]:  # fmt: skip
        shown: list[tuple[Group, Bucket, dict[str, str]]] = []
        totals: list[CellTotals] = []
        ends = [local_midnight(b.end, zone) for b in cuts]
        for values in sorted({values for values, _ in cells}):
            base = cells.get((values, 0), Measures()).counts
            backlog, created_s = base["opened"], base["opened_created_s"]
            group = tuple(zip(keys, values, strict=True))
            for index, bucket in enumerate(cuts, start=1):
                m = cells.get((values, index), Measures())
                backlog += m.counts["opened"]
                created_s += m.counts["opened_created_s"]
                if not _has_figures(m, backlog):
                    continue
                if len(shown) >= _MAX_ROWS:
                    raise InvalidInput(f"more than {_MAX_ROWS} rows: narrow the report")
                cell = Cell(scope.site, bucket.start, bucket.end, "raised", group, scope.filters)
                shown.append((group, bucket, encode_cells(cell, FIGURES)))
                totals.append((m, backlog, created_s, ends[index - 1]))
        return [KpiRow(group, bucket, figures, tokens)
                for (group, bucket, tokens), figures in zip(shown, finalize(totals), strict=True)]  # fmt: skip

    async def heatmap(self, viewer: Viewer, scope: Scope, building: str = "") -> HeatMap:
        """Tickets raised per building and floor, or per floor and unit of one building."""
        zone, period = await self._open(viewer, scope)
        f = scope.filters
        async with self._pool.connection() as conn:
            repo = ReportRepository(conn)
            if not building and period.month_aligned and not f.priorities:
                counts = await repo.summary_heat(scope.site, period.start, period.end, f)
            else:
                keys = ("building", "floor", "unit") if building else ("building", "floor")
                fixed = (("building", building),) if building else ()
                query = self._query(scope, zone, period, keys, fixed=fixed)
                found = await repo.fact_cells(query, [period.start], period.end)
                counts = {v: m.counts["raised"] for (v, i), m in found.items() if i == 1}
        cells = []
        for values, count in sorted(counts.items()):
            if count:
                group = tuple(zip(("building", "floor", "unit"), values, strict=False))
                cell = Cell(scope.site, period.start, period.end, "raised", group, f)
                unit = values[2] if len(values) > 2 else ""
                cells.append(HeatCell(values[0], values[1], unit, count, encode_cell(cell)))
        return HeatMap(cells, zone.key)

    async def problems(
        self, viewer: Viewer, scope: Scope, min_count: int = 3, limit: int = 20
    ) -> list[ProblemRow]:
        """Places or assets with at least `min_count` tickets of one category, most first."""
        if not 2 <= min_count <= 1000 or not 1 <= limit <= 200:
            raise InvalidInput("min_count is 2-1000 and limit 1-200")
        zone, period = await self._open(viewer, scope)
        query = self._query(scope, zone, period, ())
        async with self._pool.connection() as conn:
            found = await ReportRepository(conn).problems(
                query, period.start, period.end, min_count, limit
            )
        rows = []
        for rank, p in enumerate(found, start=1):
            group = (("place", p.place), ("category", p.category))
            cell = Cell(scope.site, period.start, period.end, "raised", group, scope.filters)
            rows.append(ProblemRow(rank, p, encode_cell(cell)))
        return rows

    async def cell_tickets(
        self, viewer: Viewer, token: str, page_size: int = 50, page_token: str = ""
    ) -> tuple[list[str], str, int]:
        """A page of the tickets a cell counts (newest first), the next page's token ('' on
        the last page), and how many there are in all."""
        cell = decode_cell(token)
        _check_site(viewer, cell.site)
        size = min(page_size, _MAX_PAGE) if page_size > 0 else 50
        zone = time_zone(await self._sites.zone(cell.site))
        keys = {k for k, _ in cell.group}
        teams = await self._teams.teams(cell.site) if "team" in keys else None
        start = cell.end - _DAY if cell.figure == "backlog" else cell.start
        query = FactQuery(
            cell.site, zone.key, keys=(), lo=local_midnight(start, zone) - _DAY,
            hi=local_midnight(cell.end, zone) + _DAY, filters=cell.filters, fixed=cell.group,
            teams=teams,
        )  # fmt: skip
        async with self._pool.connection() as conn:
            found, total = await ReportRepository(conn).cell_tickets(
                query, cell.figure, cell.start, cell.end, size + 1, _after(page_token)
            )
        more = len(found) > size
        found = found[:size]
        following = _page_token(found[-1][1], found[-1][0]) if more and found else ""
        return [ticket_id for ticket_id, _ in found], following, total
