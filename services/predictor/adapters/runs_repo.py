"""Reading stored rankings (and recording work orders) in schema `predictor`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from ml.history import TICKET_COLUMNS, frame

__all__ = ["EvaluationInputs", "RunsRepository", "StoredHotspot"]


@dataclass(frozen=True, slots=True)
class StoredHotspot:
    id: int
    run_id: int
    site: str
    level: str
    horizon_days: int
    as_of: date
    model_version: str
    key: str
    rank: int
    probability: float
    location: dict[str, str]
    reasons: list[dict[str, Any]]
    action: dict[str, str]
    work_order_ticket_id: str


@dataclass(frozen=True)
class EvaluationInputs:
    timezone: str
    runs: pd.DataFrame
    predictions: pd.DataFrame
    tickets: pd.DataFrame
    work_orders: pd.DataFrame


_HOTSPOT = (
    "SELECT p.id, p.run_id, r.site, r.level, r.horizon_days, r.as_of, r.model_version, p.key,"
    " p.rank, p.probability, p.location, p.reasons, p.action,"
    " coalesce(w.ticket_id, '') AS work_order_ticket_id"
    " FROM predictor.predictions p JOIN predictor.prediction_runs r ON r.id = p.run_id"
    " LEFT JOIN predictor.work_orders w ON w.prediction_id = p.id"
)


def _hotspot(row: dict[str, Any]) -> StoredHotspot:
    return StoredHotspot(**row)


async def _rows(
    conn: AsyncConnection[Any], query: str, params: tuple[Any, ...]
) -> list[dict[str, Any]]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query.encode(), params)
        return list(await cur.fetchall())


class RunsRepository:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def horizons_ranked(self, site: str, level: str) -> list[int]:
        async with self._pool.connection() as conn:
            rows = await _rows(conn, "SELECT DISTINCT horizon_days FROM predictor.prediction_runs"
                                     " WHERE site = %s AND level = %s AND kind = 'live'",
                               (site, level))  # fmt: skip
        return sorted(int(r["horizon_days"]) for r in rows)

    async def latest(
        self, site: str, level: str, horizon_days: int, limit: int
    ) -> list[StoredHotspot]:
        """The newest live ranking's first `limit` keys."""
        async with self._pool.connection() as conn:
            rows = await _rows(
                conn,
                f"{_HOTSPOT} WHERE p.run_id = (SELECT id FROM predictor.prediction_runs"
                " WHERE site = %s AND level = %s AND horizon_days = %s AND kind = 'live'"
                " ORDER BY as_of DESC, id DESC LIMIT 1) ORDER BY p.rank LIMIT %s",
                (site, level, horizon_days, limit),
            )
        return [_hotspot(r) for r in rows]

    async def hotspot(self, hotspot_id: int) -> StoredHotspot | None:
        async with self._pool.connection() as conn:
            rows = await _rows(conn, f"{_HOTSPOT} WHERE p.id = %s", (hotspot_id,))
        return _hotspot(rows[0]) if rows else None

    async def asset_type(self, asset_id: str) -> str:
        async with self._pool.connection() as conn:
            rows = await _rows(conn, "SELECT type FROM predictor.assets WHERE asset_id = %s",
                               (asset_id,))  # fmt: skip
        return str(rows[0]["type"]) if rows else ""

    async def first_floor(self, site: str, building: str) -> str:
        async with self._pool.connection() as conn:
            rows = await _rows(
                conn,
                "SELECT floor FROM predictor.places WHERE site = %s AND building = %s"
                " AND unit = '' ORDER BY floor_order, floor LIMIT 1",
                (site, building),
            )
        return str(rows[0]["floor"]) if rows else ""

    async def floor_cells(self, site: str) -> list[dict[str, Any]]:
        """Every floor of the site with its order and names."""
        async with self._pool.connection() as conn:
            return await _rows(
                conn,
                "SELECT building, floor, floor_order, name, name_en FROM predictor.places"
                " WHERE site = %s AND unit = ''",
                (site,),
            )

    async def record_work_order(
        self, hotspot_id: int, ticket_id: str, number: str, by: str
    ) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(
                "INSERT INTO predictor.work_orders (prediction_id, ticket_id, number, created_by)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (prediction_id) DO NOTHING",
                (hotspot_id, ticket_id, number, by),
            )

    async def evaluation_inputs(
        self, site: str, start: date, end: date, kind: str
    ) -> EvaluationInputs | None:
        async with self._pool.connection() as conn:
            tz = await _rows(conn, "SELECT timezone FROM predictor.sites WHERE site = %s", (site,))
            if not tz:
                return None
            runs = await _rows(
                conn,
                "SELECT id AS run_id, level, horizon_days, as_of FROM predictor.prediction_runs"
                " WHERE site = %s AND kind = %s AND as_of BETWEEN %s AND %s",
                (site, kind, start, end),
            )
            ids = [r["run_id"] for r in runs]
            predictions = await _rows(
                conn,
                "SELECT id, run_id, key, rank, probability FROM predictor.predictions"
                " WHERE run_id = ANY(%s)",
                (ids,),
            )
            tickets = await _rows(
                conn,
                "SELECT ticket_id, created_at, resolved_at, kind, category, source, building,"
                " floor, unit, asset, component FROM predictor.tickets WHERE site = %s"
                " AND created_at >= %s AND created_at < %s AND status <> 'cancelled'",
                (site, start - timedelta(days=1), end + timedelta(days=92)),
            )
            orders = await _rows(
                conn,
                "SELECT w.prediction_id FROM predictor.work_orders w JOIN predictor.predictions p"
                " ON p.id = w.prediction_id WHERE p.run_id = ANY(%s)",
                (ids,),
            )
        return EvaluationInputs(
            timezone=str(tz[0]["timezone"]),
            runs=pd.DataFrame(runs, columns=["run_id", "level", "horizon_days", "as_of"]),
            predictions=pd.DataFrame(
                predictions, columns=["id", "run_id", "key", "rank", "probability"]
            ),
            tickets=frame(TICKET_COLUMNS, tickets),
            work_orders=pd.DataFrame(orders, columns=["prediction_id"]),
        )
