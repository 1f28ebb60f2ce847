"""Count the service-level gauges from the facts: backlog, SLA met over the last day,
tickets at risk, satisfaction and tickets raised per floor over the last 30 days."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import Gauge
from psycopg_pool import AsyncConnectionPool

from services.analytics import metrics

__all__ = ["Gauges"]

_OPEN = "last_at = 'infinity'"
#: Per SLA target, the column that says its clock ended (else it breached or still runs).
_ENDED = {"respond": "accepted_at", "resolve": "resolved_at"}


def _set(gauge: Gauge, rows: list[tuple[Any, ...]]) -> None:
    """Replace the gauge's series with (labels..., value) rows."""
    gauge.clear()
    for *labels, value in rows:
        gauge.labels(*(str(label) for label in labels)).set(float(value))


class Gauges:
    """Refreshes the gauges in `services.analytics.metrics`."""

    def __init__(self, pool: AsyncConnectionPool, clock: Callable[[], datetime]) -> None:
        self._pool = pool
        self._clock = clock

    async def refresh(self) -> None:
        """Count every gauge again from the facts."""
        now = self._clock()
        sla_met: list[tuple[Any, ...]] = []
        at_risk: list[tuple[Any, ...]] = []
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT site, priority, count(*) FROM analytics.tickets WHERE {_OPEN}"
                " GROUP BY site, priority"
            )
            backlog = await cur.fetchall()
            for target, ended in _ENDED.items():
                cur = await conn.execute(
                    f"SELECT site, %s, avg((sla_{target} = 'met')::int) FROM analytics.tickets"
                    f" WHERE last_at >= %s AND sla_{target} IS NOT NULL"
                    f" AND least({ended}, {target}_breached_at) >= %s GROUP BY site",
                    (target, now - timedelta(days=1), now - timedelta(days=1)),
                )
                sla_met += await cur.fetchall()
                cur = await conn.execute(
                    f"SELECT site, %s, count(*) FROM analytics.tickets WHERE {_OPEN}"
                    f" AND {target}_reminded AND {ended} IS NULL AND {target}_breached_at IS NULL"
                    " GROUP BY site",
                    (target,),
                )
                at_risk += await cur.fetchall()
            cur = await conn.execute(
                "SELECT site, avg(stars) FROM analytics.tickets WHERE rated_at >= %s GROUP BY site",
                (now - timedelta(days=30),),
            )
            satisfaction = await cur.fetchall()
            cur = await conn.execute(
                "SELECT site, building, floor, count(*) FROM analytics.tickets"
                " WHERE created_at >= %s AND building <> ''"
                " GROUP BY site, building, floor",
                (now - timedelta(days=30),),
            )
            by_floor = await cur.fetchall()
        _set(metrics.BACKLOG, backlog)
        _set(metrics.SLA_MET, sla_met)
        _set(metrics.TICKETS_AT_RISK, at_risk)
        _set(metrics.SATISFACTION, satisfaction)
        _set(metrics.RECENT_BY_FLOOR, by_floor)
