"""The queries behind reports.

Two sources give the same additive measures per (group, bucket): the monthly summaries
(`kpi_cells`, `heat_floors`, `heat_cells`), for whole months of one dimension, and the
per-ticket facts through `analytics.ticket_measures`, for anything else. Bucket 0 of a
result stands for everything before the period (only its backlog deltas matter). The
tickets behind a cell are read from the facts with the same function, so a cell lists
exactly the tickets its figure counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
from psycopg import AsyncConnection
from psycopg.rows import dict_row

from services.analytics.domain.cells import PLACE, Filters, Group
from services.analytics.domain.figures import COUNTS, Measures
from services.analytics.domain.histogram import MEASURES, SLOTS, add, parse

__all__ = ["FactQuery", "Problem", "ReportRepository", "Values"]

#: The SQL for each grouping key, over `analytics.tickets AS t` (and `tm`, the teams).
_KEY_SQL = {
    "site": "t.site", "building": "t.building", "floor": "t.floor", "unit": "t.unit",
    "asset": "t.asset", "kind": "t.kind", "category": "t.category", "priority": "t.priority",
    "source": "t.source", "technician": "t.technician", "team": "coalesce(tm.team, '')",
    PLACE: "CASE WHEN t.asset <> '' THEN 'asset:' || t.asset"
           " WHEN t.unit <> '' THEN 'unit:' || t.building || '/' || t.floor || '/' || t.unit"
           " ELSE 'floor:' || t.building || '/' || t.floor END",
}  # fmt: skip
#: The measure column each countable figure is (one per ticket at most).
_FIGURE_COLUMN = {
    "raised": "raised", "resolved": "resolved", "cancelled": "cancelled",
    "reopened": "reopened", "sla_respond_evaluated": "sla_respond_n",
    "sla_respond_breached": "sla_respond_breached", "sla_respond_escalated": "sla_respond_escalated",
    "sla_resolve_evaluated": "sla_resolve_n", "sla_resolve_breached": "sla_resolve_breached",
    "sla_resolve_escalated": "sla_resolve_escalated", "first_time_fixed": "first_time_fixed",
    "reopened_resolved": "reopened_resolved", "rated": "rated",
}  # fmt: skip
_TEAM_JOIN = (
    " LEFT JOIN unnest(%(techs)s::text[], %(teams)s::text[]) AS tm (tech, team)"
    " ON tm.tech = t.technician"
)
_SUMS = ", ".join(
    [f"sum({c})" for c in COUNTS] + [f"count({m}_s), coalesce(sum({m}_s), 0)" for m in MEASURES]
)
_SUMMARY_SUMS = ", ".join(
    [f"sum({c})" for c in COUNTS] + [f"sum({m}_n), sum({m}_sum)" for m in MEASURES]
)
_SLOTS = ", ".join(f"analytics.hist_slot({i}, {m}_s)" for i, m in enumerate(MEASURES))
#: The columns `analytics.ticket_measures` takes, in its order (migration 0005).
MEASURED = ("created_at", "resolved_at", "cancelled_at", "first_reopened_at", "open_spans",
            "sla_respond", "sla_resolve", "respond_escalated", "resolve_escalated",
            "first_time_fix", "reopens", "source", "stars", "response_s", "dispatch_s",
            "handling_s", "resolve_s", "alert_to_ticket_s", "alert_to_assignment_s",
            "response_bh_s", "dispatch_bh_s", "handling_bh_s", "resolve_bh_s")  # fmt: skip
_MEASURES_OF_T = f"analytics.ticket_measures({', '.join(f't.{c}' for c in MEASURED)})"
#: The planner expects hundreds of measure rows per ticket (there are about four) and would
#: compile a report's query to machine code for that: longer than the query itself takes.
_NO_JIT = "SET LOCAL jit = off"
#: The values of a group's keys, in key order.
Values = tuple[str, ...]


def _measures(row: Sequence[Any]) -> Measures:
    """Measures from COUNTS columns, then (n, sum) per duration measure."""
    m = Measures()
    m.counts.update({c: int(v) for c, v in zip(COUNTS, row, strict=False) if v})
    rest = row[len(COUNTS) :]
    m.n = [int(rest[2 * i]) for i in range(len(MEASURES))]
    m.sums = [float(rest[2 * i + 1]) for i in range(len(MEASURES))]
    return m


@dataclass(frozen=True, slots=True)
class FactQuery:
    """Which tickets to read and how to group them.

    `lo` and `hi` only narrow the rows read (tickets raised before `hi` and counted at some
    instant after `lo`); the local-date conditions decide.
    """

    site: str
    zone: str
    keys: tuple[str, ...]
    lo: datetime
    hi: datetime
    filters: Filters = field(default_factory=Filters)
    #: Conditions on keys (a cell's group, a building to map).
    fixed: Group = ()
    #: Technician -> team, when a key or condition names the team.
    teams: dict[str, str] | None = None

    def _parts(self) -> tuple[str, str, dict[str, Any]]:
        params: dict[str, Any] = {"site": self.site, "zone": self.zone, "lo": self.lo,
                                  "hi": self.hi}  # fmt: skip
        where = ["t.site = %(site)s", "t.created_at < %(hi)s", "t.last_at >= %(lo)s"]
        f = self.filters
        for column, values in (("kind", f.kinds), ("category", f.categories),
                               ("priority", f.priorities), ("source", f.sources)):  # fmt: skip
            if values:
                where.append(f"t.{column} = ANY(%({column}s)s)")
                params[f"{column}s"] = list(values)
        for n, (key, value) in enumerate(self.fixed):
            where.append(f"{_KEY_SQL[key]} = %(fixed{n})s")
            params[f"fixed{n}"] = value
        join = ""
        if self.teams is not None:
            join = _TEAM_JOIN
            params["techs"], params["teams"] = list(self.teams), list(self.teams.values())
        return join, " AND ".join(where), params

    def source(self) -> tuple[str, dict[str, Any]]:
        """FROM ... WHERE over `analytics.tickets AS t`, and the params it needs."""
        join, where, params = self._parts()
        return f"FROM analytics.tickets AS t{join} WHERE {where}", params

    def measured(self) -> tuple[str, dict[str, Any]]:
        """A subquery `m`: every measure row of the tickets, with the ticket's id and
        raising time, the group keys k0, k1 ... and the local `day` of the row."""
        join, where, params = self._parts()
        keys = "".join(f"{_KEY_SQL[k]} AS k{n}, " for n, k in enumerate(self.keys))
        return (
            f"(SELECT {keys}t.ticket_id, t.created_at,"
            " analytics.local_day(x.at, %(zone)s) AS day, x.*"
            f" FROM analytics.tickets AS t{join}"
            f" CROSS JOIN LATERAL {_MEASURES_OF_T} AS x WHERE {where}) AS m",
            params,
        )


@dataclass(frozen=True, slots=True)
class Problem:
    """A place or asset with tickets of one category again and again."""

    place: str
    building: str
    floor: str
    unit: str
    asset: str
    category: str
    count: int
    first_at: datetime
    last_at: datetime
    ticket_ids: list[str]


class ReportRepository:
    """Report queries on one connection."""

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def _all(self, query: str, params: Any) -> list[tuple[Any, ...]]:
        async with self._conn.transaction():
            await self._conn.execute(_NO_JIT)
            cur = await self._conn.execute(query, params)
            return await cur.fetchall()

    async def fact_cells(
        self, q: FactQuery, starts: list[date], end: date
    ) -> dict[tuple[Values, int], Measures]:
        """Measures per (group values, bucket) for buckets beginning at `starts` up to
        `end`; bucket 0 holds what counts before `starts[0]`."""
        measured, params = q.measured()
        params.update(starts=starts, start=starts[0], end=end)
        keys = "".join(f"m.k{n}, " for n in range(len(q.keys)))
        grouping = f"{keys}width_bucket(m.day, %(starts)s::date[])"
        found: dict[tuple[Values, int], Measures] = {}
        for row in await self._all(
            f"SELECT {grouping}, {_SUMS} FROM {measured} WHERE m.day < %(end)s GROUP BY {grouping}",
            params,
        ):
            found[(tuple(row[: len(q.keys)]), int(row[len(q.keys)]))] = _measures(
                row[len(q.keys) + 1 :]
            )
        for row in await self._all(
            f"SELECT {grouping}, s.slot, count(*) FROM {measured}"
            f" CROSS JOIN LATERAL unnest(array_remove(ARRAY[{_SLOTS}], NULL)) AS s (slot)"
            f" WHERE m.day >= %(start)s AND m.day < %(end)s GROUP BY {grouping}, s.slot",
            params,
        ):
            measures = found.setdefault(
                (tuple(row[: len(q.keys)]), int(row[len(q.keys)])), Measures()
            )
            if measures.hist is None:
                measures.hist = np.zeros(SLOTS, dtype=np.int64)
            measures.hist[int(row[-2])] += int(row[-1])
        return found

    async def summary_cells(
        self, site: str, dim: str, months: list[date], end: date
    ) -> dict[tuple[str, int], Measures]:
        """Measures per (value, bucket) of one summary dimension ('' for the whole site)
        for whole-month buckets beginning at `months` up to `end`; bucket 0 sums every
        month before."""
        params = {"site": site, "dim": dim, "months": months, "start": months[0], "end": end}
        found: dict[tuple[str, int], Measures] = {}
        bucket = "width_bucket(month, %(months)s::date[])"
        for row in await self._all(
            f"SELECT value, {bucket}, {_SUMMARY_SUMS} FROM analytics.kpi_cells"
            f" WHERE site = %(site)s AND dim = %(dim)s AND month < %(end)s GROUP BY value, 2",
            params,
        ):
            found[(str(row[0]), int(row[1]))] = _measures(row[2:])
        # As text, parsed at C speed: psycopg would make a Python int of every count.
        for value, index, hist in await self._all(
            f"SELECT value, {bucket}, hist::text FROM analytics.kpi_cells WHERE site = %(site)s"
            " AND dim = %(dim)s AND month >= %(start)s AND month < %(end)s"
            " AND hist IS NOT NULL",
            params,
        ):
            measures = found.setdefault((str(value), int(index)), Measures())
            measures.hist = add(measures.hist, parse(hist))
        return found

    async def summary_heat(
        self, site: str, start: date, end: date, filters: Filters
    ) -> dict[Values, int]:
        """Tickets raised per (building, floor) in the whole months [start, end)."""
        where = ["site = %(site)s", "month >= %(start)s", "month < %(end)s"]
        params: dict[str, Any] = {"site": site, "start": start, "end": end}
        for column, values in (("kind", filters.kinds), ("category", filters.categories),
                               ("source", filters.sources)):  # fmt: skip
            if values:
                where.append(f"{column} = ANY(%({column}s)s)")
                params[f"{column}s"] = list(values)
        table = "analytics.heat_floors" if len(where) == 3 else "analytics.heat_cells"
        rows = await self._all(
            f"SELECT building, floor, sum(raised) FROM {table}"
            f" WHERE {' AND '.join(where)} GROUP BY building, floor HAVING sum(raised) <> 0",
            params,
        )
        return {(str(b), str(f)): int(n) for b, f, n in rows}

    def _cell_query(
        self, q: FactQuery, figure: str, start: date, end: date
    ) -> tuple[str, dict[str, Any]]:
        measured, params = q.measured()
        params.update(start=start, end=end)
        if figure == "backlog":
            return (
                f"SELECT m.ticket_id, m.created_at FROM {measured}"
                " WHERE m.opened <> 0 AND m.day < %(end)s"
                " GROUP BY m.ticket_id, m.created_at HAVING sum(m.opened) > 0",
                params,
            )
        column = _FIGURE_COLUMN[figure]
        return (
            f"SELECT m.ticket_id, m.created_at FROM {measured}"
            f" WHERE m.{column} <> 0 AND m.day >= %(start)s AND m.day < %(end)s",
            params,
        )

    async def cell_tickets(
        self, q: FactQuery, figure: str, start: date, end: date, limit: int,
        after: tuple[datetime, str] | None,
    ) -> tuple[list[tuple[str, datetime]], int]:  # fmt: skip
        """A page of the tickets `figure` counts in the bucket [start, end) of the group
        `q.fixed` (newest first, after `after`), and how many there are in all."""
        inner, params = self._cell_query(q, figure, start, end)
        rows = await self._all(f"SELECT count(*) FROM ({inner}) AS c", params)
        total = int(rows[0][0])
        page = ""
        if after is not None:
            page = " WHERE (c.created_at, c.ticket_id) < (%(after_at)s, %(after_id)s::uuid)"
            params.update(after_at=after[0], after_id=after[1])
        found = await self._all(
            f"SELECT c.ticket_id::text, c.created_at FROM ({inner}) AS c{page}"
            " ORDER BY c.created_at DESC, c.ticket_id DESC LIMIT %(limit)s",
            {**params, "limit": limit},
        )
        return [(str(i), at) for i, at in found], total

    async def problems(
        self, q: FactQuery, start: date, end: date, min_count: int, limit: int
    ) -> list[Problem]:
        """Places or assets with at least `min_count` tickets of one category raised in
        [start, end), most first."""
        source, params = q.source()
        params.update(start=start, end=end, min_count=min_count, limit=limit)
        async with self._conn.transaction(), self._conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(_NO_JIT)
            await cur.execute(
                f"SELECT {_KEY_SQL[PLACE]} AS place, t.category, count(*) AS count,"
                " min(t.created_at) AS first_at, max(t.created_at) AS last_at,"
                " (array_agg(t.ticket_id::text ORDER BY t.created_at DESC))[1:20] AS ticket_ids,"
                " min(t.building) AS building, min(t.floor) AS floor, min(t.unit) AS unit,"
                f" min(t.asset) AS asset {source}"
                " AND analytics.local_day(t.created_at, %(zone)s) >= %(start)s"
                " AND analytics.local_day(t.created_at, %(zone)s) < %(end)s"
                " GROUP BY 1, 2 HAVING count(*) >= %(min_count)s"
                " ORDER BY count(*) DESC, max(t.created_at) DESC, 1, 2 LIMIT %(limit)s",
                params,
            )
            return [Problem(**row) for row in await cur.fetchall()]
