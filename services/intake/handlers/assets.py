"""Asset registry use cases: each one a single transaction over the repositories."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from psycopg_pool import AsyncConnectionPool

from services.intake.adapters.assets_repo import AssetsRepository
from services.intake.adapters.places_repo import PlacesRepository
from services.intake.domain.assets import Asset, check_asset
from services.intake.domain.errors import Forbidden, InvalidInput, NotFound
from services.intake.domain.model import Actor, Role
from services.intake.domain.places import PlaceKey

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
            site = await repo.site_of(asset.asset_id)
            if site is not None and site != asset.site:
                raise InvalidInput(
                    f"asset {asset.asset_id!r} belongs to site {site!r}; it cannot move to another site"
                )
            place = PlaceKey(asset.site, asset.building, asset.floor, asset.unit)
            if (missing := await PlacesRepository(conn).missing_level(place)) is not None:
                raise InvalidInput(f"location: no {missing.describe()}")
            saved, created = await repo.put(asset)
            return (saved, await repo.last_maintenance(saved)), created

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
