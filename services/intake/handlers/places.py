"""Place tree use cases: each one a single transaction over the places repository."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from psycopg_pool import AsyncConnectionPool

from services.intake.adapters.assets_repo import AssetsRepository
from services.intake.adapters.places_repo import PlacesRepository
from services.intake.domain.errors import Forbidden, InUse, InvalidInput, NotFound
from services.intake.domain.model import Actor
from services.intake.domain.place_import import ImportOutcome, PlaceRow, RowProblem, check_place_row
from services.intake.domain.places import (
    Building,
    Floor,
    Level,
    PlaceKey,
    Site,
    Unit,
    check_code,
    check_may_manage,
    check_names,
    check_timezone,
    floor_order,
)

__all__ = ["PlaceHandlers", "RollBack"]


class PlaceHandlers:
    """Create, rename, delete and read sites, buildings, floors and units."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    @asynccontextmanager
    async def _repo(self) -> AsyncIterator[PlacesRepository]:
        async with self._pool.connection() as conn, conn.transaction():
            yield PlacesRepository(conn)

    async def put_site(self, actor: Actor, site: Site) -> tuple[Site, bool]:
        check_code(Level.SITE, site.code)
        check_may_manage(actor, PlaceKey(site.code))
        check_names(site.name, site.name_en)
        if not site.name.strip():
            raise InvalidInput("a site needs a name")
        check_timezone(site.timezone)
        async with self._repo() as repo:
            return site, await repo.put_site(site)

    async def put_building(
        self, actor: Actor, site: str, building: Building
    ) -> tuple[Building, bool]:
        key = PlaceKey(site, check_code(Level.BUILDING, building.code))
        check_may_manage(actor, key)
        check_names(building.name, building.name_en)
        async with self._repo() as repo:
            await _parent_exists(repo, key)
            return building, await repo.put_building(site, building)

    async def put_floor(
        self, actor: Actor, site: str, building: str, floor: Floor, order_given: bool
    ) -> tuple[Floor, bool]:
        key = PlaceKey(site, building, check_code(Level.FLOOR, floor.code))
        check_may_manage(actor, key)
        check_names(floor.name, floor.name_en)
        if not order_given:
            floor = Floor(floor.code, floor_order(floor.code), floor.name, floor.name_en)
        async with self._repo() as repo:
            await _parent_exists(repo, key)
            return floor, await repo.put_floor(site, building, floor)

    async def put_unit(self, actor: Actor, key: PlaceKey, unit: Unit) -> tuple[Unit, bool]:
        """`key` names the unit (its floor and its code)."""
        check_code(Level.UNIT, key.unit)
        check_may_manage(actor, key)
        check_names(unit.name, unit.name_en)
        async with self._repo() as repo:
            await _parent_exists(repo, key)
            if (other := await repo.unit_elsewhere(key)) is not None:
                raise InUse(
                    f"the site already has {other.describe()}; a unit code is unique in its site"
                )
            return unit, await repo.put_unit(key, unit)

    async def delete(self, actor: Actor, key: PlaceKey) -> None:
        """Delete a place with everything below it, unless something still uses it."""
        check_may_manage(actor, key)
        async with self._repo() as repo:
            if await repo.missing_level(key) is not None:
                raise NotFound(f"no {key.describe()}")
            if users := await repo.users_of(key):
                named = "; ".join(f"{kind}: {', '.join(names)}" for kind, names in users.items())
                raise InUse(f"{key.describe()} is still in use ({named})")
            await repo.delete(key)

    async def import_rows(self, actor: Actor, rows: list[PlaceRow], dry_run: bool) -> ImportOutcome:
        """Create every place the rows name that is missing, all or nothing: with any
        problem nothing is written and every problem is returned. A row is inserted when
        its deepest place is new, updated when only its site's time zone changed."""
        problems = [p for row in rows for p in check_place_row(row)]
        for site in sorted({r.site for r in rows if r.site}):
            check_may_manage(actor, PlaceKey(site, "any"))
        bad = {p.line for p in problems}
        good = [r for r in rows if r.line not in bad]
        outcome = ImportOutcome()  # the good rows are tried too, to report every problem
        try:
            async with self._pool.connection() as conn, conn.transaction():
                repo = PlacesRepository(conn)
                await _import(repo, actor, good, outcome, problems)
                if problems or dry_run:
                    raise RollBack
        except RollBack:
            pass
        if problems:
            return ImportOutcome(problems=problems)
        return outcome

    async def sites(self) -> list[Site]:
        async with self._repo() as repo:
            return await repo.list_sites()

    async def site(self, code: str) -> Site:
        async with self._repo() as repo:
            found = await repo.site_tree(code)
        if found is None:
            raise NotFound(f"no site {code[:64]!r}")
        return found

    async def problem(self, key: PlaceKey, asset_id: str = "") -> tuple[PlaceKey | None, str]:
        """The first level of `key` that does not exist, and what is wrong in words
        (also an asset that is not at the site); (None, "") when all is well."""
        async with self._pool.connection() as conn:
            missing = await PlacesRepository(conn).missing_level(key)
            if missing is not None:
                return missing, f"no {missing.describe()}"
            if asset_id and await AssetsRepository(conn).site_of(asset_id) != key.site:
                return None, f"no asset {asset_id[:64]!r} at site {key.site!r}"
        return None, ""


async def _import(
    repo: PlacesRepository, actor: Actor, rows: list[PlaceRow], outcome: ImportOutcome,
    problems: list[RowProblem],
) -> None:  # fmt: skip
    known_sites: set[str] = set()
    for row in rows:
        if row.site not in known_sites and await repo.missing_level(PlaceKey(row.site)):
            try:
                check_may_manage(actor, PlaceKey(row.site))
            except Forbidden:
                problems.append(
                    RowProblem(row.line, "site", f"no site {row.site!r} (only admins create sites)")
                )
                continue
        known_sites.add(row.site)
        if row.unit and (other := await repo.unit_elsewhere(row.key)) is not None:
            problems.append(
                RowProblem(row.line, "unit", f"the site already has {other.describe()}")
            )
            continue
        created, rezoned = await repo.ensure(row.key, row.timezone, floor_order(row.floor))
        if created:
            outcome.inserted += 1
        elif rezoned:
            outcome.updated += 1
        else:
            outcome.unchanged += 1


class RollBack(Exception):
    """Ends an import's transaction without writing anything."""


async def _parent_exists(repo: PlacesRepository, key: PlaceKey) -> None:
    parent = PlaceKey(key.site, key.building if key.floor else "", key.floor if key.unit else "")
    if (missing := await repo.missing_level(parent)) is not None:
        raise InvalidInput(f"no {missing.describe()}: create the {missing.level.value} first")
