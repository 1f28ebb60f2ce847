"""Asset registry use cases: each one a single transaction over the repositories."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from services.intake.adapters.assets_repo import AssetsRepository
from services.intake.adapters.places_repo import PlacesRepository
from services.intake.domain.assets import Asset, check_asset
from services.intake.domain.errors import Forbidden, InvalidInput, NotFound
from services.intake.domain.model import Actor, Role
from services.intake.domain.place_import import ImportOutcome, RowProblem
from services.intake.domain.places import PlaceKey
from services.intake.handlers.places import RollBack

__all__ = ["AssetHandlers", "AssetView"]

_MANAGERS = (Role.ADMIN, Role.SYSTEM, Role.SUPERVISOR, Role.PLANNER)
_READERS = (*_MANAGERS, Role.DISPATCHER, Role.TECHNICIAN)

#: An asset and when each of its components last had maintenance done.
AssetView = tuple[Asset, dict[str, datetime]]


def _may(actor: Actor, roles: tuple[Role, ...], site: str, verb: str) -> None:
    if actor.role not in roles:
        raise Forbidden(f"a {actor.role.value} may not {verb} assets")
    if actor.role not in (Role.ADMIN, Role.SYSTEM) and actor.site != site:
        raise Forbidden(
            f"a {actor.role.value} of site {actor.site!r} may not {verb} assets of site {site!r}"
        )


def _same(stored: Asset | None, asset: Asset) -> bool:
    return stored is not None and replace(stored, created_at=None, updated_at=None) == asset


async def _store(
    conn: AsyncConnection[Any], repo: AssetsRepository, asset: Asset
) -> tuple[Asset, bool]:
    site = await repo.site_of(asset.asset_id)
    if site is not None and site != asset.site:
        raise InvalidInput(
            f"asset {asset.asset_id!r} belongs to site {site!r}; it cannot move to another site",
            "site",
        )
    place = PlaceKey(asset.site, asset.building, asset.floor, asset.unit)
    if (missing := await PlacesRepository(conn).missing_level(place)) is not None:
        raise InvalidInput(f"location: no {missing.describe()}", missing.level.value)
    return await repo.put(asset)


class AssetHandlers:
    """Register, replace, read and list assets."""

    def __init__(self, pool: AsyncConnectionPool, clock: Callable[[], datetime]) -> None:
        self._pool = pool
        self._clock = clock

    async def put(self, actor: Actor, asset: Asset) -> tuple[AssetView, bool]:
        asset = check_asset(asset, self._clock().date())
        _may(actor, _MANAGERS, asset.site, "change")
        async with self._pool.connection() as conn, conn.transaction():
            repo = AssetsRepository(conn)
            saved, created = await _store(conn, repo, asset)
            return (saved, await repo.last_maintenance(saved)), created

    async def import_rows(
        self, actor: Actor, rows: list[tuple[int, Asset]], dry_run: bool
    ) -> ImportOutcome:
        """Create or replace every asset of the rows, all or nothing: with any problem
        nothing is written and every problem is returned."""
        problems: list[RowProblem] = []
        checked: list[tuple[int, Asset]] = []
        for line, asset in rows:
            try:
                checked.append((line, check_asset(asset, self._clock().date())))
            except InvalidInput as exc:
                problems.append(RowProblem(line, exc.field, str(exc)))
        for site in sorted({a.site for _, a in rows}):
            _may(actor, _MANAGERS, site, "change")
        outcome = ImportOutcome()  # the good rows are tried too, to report every problem
        try:
            async with self._pool.connection() as conn, conn.transaction():
                repo = AssetsRepository(conn)
                for line, asset in checked:
                    if _same(await repo.get(asset.asset_id), asset):
                        outcome.unchanged += 1
                        continue
                    try:
                        _, created = await _store(conn, repo, asset)
                    except InvalidInput as exc:
                        problems.append(RowProblem(line, exc.field, str(exc)))
                        continue
                    outcome.inserted += created
                    outcome.updated += not created
                if problems or dry_run:
                    raise RollBack
        except RollBack:
            pass
        return ImportOutcome(problems=problems) if problems else outcome

    async def get(self, actor: Actor, asset_id: str) -> AssetView:
        async with self._pool.connection() as conn:
            repo = AssetsRepository(conn)
            asset = await repo.get(asset_id)
            if asset is None:
                raise NotFound(f"no asset {asset_id[:64]!r}")
            _may(actor, _READERS, asset.site, "read")
            return asset, await repo.last_maintenance(asset)

    async def page(
        self, actor: Actor, site: str, building: str, type_: str, limit: int, after: str
    ) -> tuple[list[Asset], str]:
        if actor.role not in (Role.ADMIN, Role.SYSTEM):
            _may(actor, _READERS, site or actor.site, "read")
            site = actor.site
        async with self._pool.connection() as conn:
            return await AssetsRepository(conn).page(site, building, type_, limit, after)
