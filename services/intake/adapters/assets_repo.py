"""The asset registry in PostgreSQL (intake.assets), on one connection inside the caller's
transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from services.intake.domain.assets import Asset

__all__ = ["AssetsRepository"]

_COLUMNS = (
    "code, type, site, building, coalesce(floor, '') AS floor, coalesce(unit, '') AS unit,"
    " name, make, model, serial, installed_on, criticality, components, created_at, updated_at"
)
_MAX_PAGE = 500


def _asset(row: dict[str, Any]) -> Asset:
    return Asset(
        asset_id=row["code"], type=row["type"], site=row["site"], building=row["building"],
        floor=row["floor"], unit=row["unit"], name=row["name"], make=row["make"],
        model=row["model"], serial=row["serial"], installed_on=row["installed_on"],
        criticality=row["criticality"], components=tuple(row["components"]),
        created_at=row["created_at"], updated_at=row["updated_at"],
    )  # fmt: skip


class AssetsRepository:
    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def site_of(self, asset_id: str) -> str | None:
        cur = await self._conn.execute(
            "SELECT site FROM intake.assets WHERE code = %s", (asset_id,)
        )
        row = await cur.fetchone()
        return str(row[0]) if row else None

    async def put(self, a: Asset) -> tuple[Asset, bool]:
        """Create or replace an asset (it keeps its site); returns it and whether it is new."""
        async with self._conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                "INSERT INTO intake.assets (code, type, site, building, floor, unit, name, make,"
                " model, serial, installed_on, criticality, components)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (code) DO UPDATE SET type = EXCLUDED.type,"
                " building = EXCLUDED.building, floor = EXCLUDED.floor, unit = EXCLUDED.unit,"
                " name = EXCLUDED.name, make = EXCLUDED.make, model = EXCLUDED.model,"
                " serial = EXCLUDED.serial, installed_on = EXCLUDED.installed_on,"
                " criticality = EXCLUDED.criticality, components = EXCLUDED.components,"
                " updated_at = now()"
                f" RETURNING (xmax = 0) AS created, {_COLUMNS}",
                (a.asset_id, a.type, a.site, a.building, a.floor or None, a.unit or None, a.name,
                 a.make, a.model, a.serial, a.installed_on, a.criticality, list(a.components)),
            )  # fmt: skip
            row = await cur.fetchone()
        assert row is not None
        return _asset(row), bool(row["created"])

    async def get(self, asset_id: str) -> Asset | None:
        async with self._conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(f"SELECT {_COLUMNS} FROM intake.assets WHERE code = %s", (asset_id,))
            row = await cur.fetchone()
        return _asset(row) if row else None

    async def page(
        self, site: str, building: str, type_: str, limit: int, after: str
    ) -> tuple[list[Asset], str]:
        """Assets in id order, optionally narrowed; the last id of the page when more follow."""
        limit = max(1, min(limit or 100, _MAX_PAGE))
        async with self._conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                f"SELECT {_COLUMNS} FROM intake.assets WHERE code > %s"
                " AND (%s = '' OR site = %s) AND (%s = '' OR building = %s)"
                " AND (%s = '' OR type = %s) ORDER BY code LIMIT %s",
                (after, site, site, building, building, type_, type_, limit + 1),
            )
            rows = await cur.fetchall()
        assets = [_asset(r) for r in rows[:limit]]
        return assets, assets[-1].asset_id if len(rows) > limit else ""

    async def last_maintenance(self, asset: Asset) -> dict[str, datetime]:
        """When each component last had maintenance done (the latest resolution of a
        maintenance ticket on it)."""
        cur = await self._conn.execute(
            "SELECT t.component, max(e.occurred_at) FROM intake.tickets t"
            " JOIN intake.ticket_events e ON e.ticket_id = t.id AND e.to_status = 'resolved'"
            " WHERE t.site = %s AND t.asset = %s AND t.kind = 'maintenance' AND t.component <> ''"
            " GROUP BY t.component",
            (asset.site, asset.asset_id),
        )
        return {str(c): when for c, when in await cur.fetchall()}
