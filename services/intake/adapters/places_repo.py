"""The place tree in PostgreSQL (intake.sites, buildings, floors, units), on one connection
inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection, AsyncCursor

from services.intake.domain.places import Building, Floor, Level, PlaceKey, Site, Unit

__all__ = ["PlacesRepository"]

_SAMPLE = 5

#: For each level: the key columns of its table and of the levels below it.
_TABLES = {
    Level.SITE: ("sites", ("code",)),
    Level.BUILDING: ("buildings", ("site", "code")),
    Level.FLOOR: ("floors", ("site", "building", "code")),
    Level.UNIT: ("units", ("site", "building", "floor", "code")),
}


def _key_values(key: PlaceKey) -> tuple[str, ...]:
    return tuple(v for v in (key.site, key.building, key.floor, key.unit) if v)


_PLACE_COLUMNS = ("site", "building", "floor", "unit")
_UNIT_COLUMNS = ("n.site", "n.building", "n.floor", "n.code")


def _under(key: PlaceKey, columns: tuple[str, ...] = _PLACE_COLUMNS) -> str:
    """A WHERE clause for rows at or below `key` (placeholders for `_key_values(key)`)."""
    return " AND ".join(f"{c} = %s" for c in columns[: len(_key_values(key))])


async def _inserted(cur: AsyncCursor[Any]) -> bool:
    """Whether an upsert `RETURNING (xmax = 0)` inserted its row."""
    row = await cur.fetchone()
    return bool(row and row[0])


class PlacesRepository:
    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def missing_level(self, key: PlaceKey) -> PlaceKey | None:
        """The highest level of `key` that does not exist (as a key down to it), or None
        when every level it names exists."""
        checks = [
            ("SELECT 1 FROM intake.sites WHERE code = %s", PlaceKey(key.site)),
            ("SELECT 1 FROM intake.buildings WHERE site = %s AND code = %s",
             PlaceKey(key.site, key.building)),
            ("SELECT 1 FROM intake.floors WHERE site = %s AND building = %s AND code = %s",
             PlaceKey(key.site, key.building, key.floor)),
            ("SELECT 1 FROM intake.units WHERE site = %s AND building = %s AND floor = %s AND code = %s",
             key),
        ]  # fmt: skip
        for query, level_key in checks[: len(_key_values(key))]:
            cur = await self._conn.execute(query, _key_values(level_key))
            if await cur.fetchone() is None:
                return level_key
        return None

    async def put_site(self, site: Site) -> bool:
        """Create or rename a site; True when it is new."""
        cur = await self._conn.execute(
            "INSERT INTO intake.sites (code, name, name_en, timezone) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, name_en = EXCLUDED.name_en,"
            " timezone = EXCLUDED.timezone RETURNING (xmax = 0)",
            (site.code, site.name, site.name_en, site.timezone),
        )
        return await _inserted(cur)

    async def put_building(self, site: str, building: Building) -> bool:
        cur = await self._conn.execute(
            "INSERT INTO intake.buildings (site, code, name, name_en) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (site, code) DO UPDATE SET name = EXCLUDED.name,"
            " name_en = EXCLUDED.name_en RETURNING (xmax = 0)",
            (site, building.code, building.name, building.name_en),
        )
        return await _inserted(cur)

    async def put_floor(self, site: str, building: str, floor: Floor) -> bool:
        cur = await self._conn.execute(
            "INSERT INTO intake.floors (site, building, code, name, name_en, sort_order)"
            " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (site, building, code) DO UPDATE SET"
            " name = EXCLUDED.name, name_en = EXCLUDED.name_en, sort_order = EXCLUDED.sort_order"
            " RETURNING (xmax = 0)",
            (site, building, floor.code, floor.name, floor.name_en, floor.order),
        )
        return await _inserted(cur)

    async def unit_elsewhere(self, key: PlaceKey) -> PlaceKey | None:
        """Where the site already has a unit with this code, if not at `key`."""
        cur = await self._conn.execute(
            "SELECT building, floor FROM intake.units WHERE site = %s AND code = %s",
            (key.site, key.unit),
        )
        row = await cur.fetchone()
        if row is None or (row[0], row[1]) == (key.building, key.floor):
            return None
        return PlaceKey(key.site, row[0], row[1], key.unit)

    async def put_unit(self, key: PlaceKey, unit: Unit) -> bool:
        cur = await self._conn.execute(
            "INSERT INTO intake.units (site, building, floor, code, name, name_en)"
            " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (site, building, floor, code) DO UPDATE"
            " SET name = EXCLUDED.name, name_en = EXCLUDED.name_en RETURNING (xmax = 0)",
            (key.site, key.building, key.floor, unit.code, unit.name, unit.name_en),
        )
        return await _inserted(cur)

    async def users_of(self, key: PlaceKey) -> dict[str, list[str]]:
        """What still uses the place or anything below it, by kind, a few of each by name:
        tickets (by number), assets, tenants living in its units, staff working at its site,
        knowledge-base articles for the site."""
        values = _key_values(key)
        queries = {
            "tickets": f"SELECT number FROM intake.tickets WHERE {_under(key)} ORDER BY number DESC"
        }
        queries["assets"] = f"SELECT code FROM intake.assets WHERE {_under(key)} ORDER BY code"
        if key.level is Level.SITE:
            queries["users"] = "SELECT username FROM intake.users WHERE site = %s ORDER BY username"
            queries["articles"] = "SELECT id FROM intake.kb_articles WHERE site = %s ORDER BY id"
        else:
            queries["users"] = (
                "SELECT u.username FROM intake.users u JOIN intake.units n ON n.site = u.site"
                f" AND n.code = u.unit WHERE {_under(key, _UNIT_COLUMNS)} ORDER BY u.username"
            )
        found: dict[str, list[str]] = {}
        for kind, query in queries.items():
            cur = await self._conn.execute(f"{query} LIMIT {_SAMPLE}", values)
            if names := [str(row[0]) for row in await cur.fetchall()]:
                found[kind] = names
        return found

    async def delete(self, key: PlaceKey) -> None:
        """Delete the place and every place below it."""
        levels = list(Level)
        for level in reversed(levels[levels.index(key.level) :]):
            table, columns = _TABLES[level]
            await self._conn.execute(
                f"DELETE FROM intake.{table} WHERE {_under(key, columns)}", _key_values(key)
            )

    async def list_sites(self) -> list[Site]:
        cur = await self._conn.execute(
            "SELECT code, name, timezone, name_en FROM intake.sites ORDER BY code"
        )
        return [Site(*row) for row in await cur.fetchall()]

    async def site_tree(self, code: str) -> Site | None:
        """The site with its buildings, their floors in order and their units."""
        cur = await self._conn.execute(
            "SELECT code, name, timezone, name_en FROM intake.sites WHERE code = %s", (code,)
        )
        row = await cur.fetchone()
        if row is None:
            return None
        units: dict[tuple[str, str], list[Unit]] = {}
        cur = await self._conn.execute(
            "SELECT building, floor, code, name, name_en FROM intake.units WHERE site = %s"
            " ORDER BY code", (code,),
        )  # fmt: skip
        for b, f, u, name, name_en in await cur.fetchall():
            units.setdefault((b, f), []).append(Unit(u, name, name_en))
        floors: dict[str, list[Floor]] = {}
        cur = await self._conn.execute(
            "SELECT building, code, sort_order, name, name_en FROM intake.floors WHERE site = %s"
            " ORDER BY building, sort_order, code", (code,),
        )  # fmt: skip
        for b, f, order, name, name_en in await cur.fetchall():
            floors.setdefault(b, []).append(
                Floor(f, order, name, name_en, tuple(units.get((b, f), ())))
            )
        cur = await self._conn.execute(
            "SELECT code, name, name_en FROM intake.buildings WHERE site = %s ORDER BY code",
            (code,),
        )
        buildings = tuple(
            Building(b, name, name_en, tuple(floors.get(b, ())))
            for b, name, name_en in await cur.fetchall()
        )
        return Site(row[0], row[1], row[2], row[3], buildings)

    async def ensure(self, key: PlaceKey, timezone: str, floor_order: int) -> tuple[bool, bool]:
        """Create whatever of `key` is missing, names left empty (a site is named by its
        code). Returns whether the deepest level was created, and whether an existing site
        got the time zone given (when one is)."""
        cur = await self._conn.execute(
            "INSERT INTO intake.sites (code, name, timezone) VALUES (%s, %s, coalesce(nullif(%s, ''),"
            " 'Asia/Shanghai')) ON CONFLICT (code) DO NOTHING RETURNING 1",
            (key.site, key.site, timezone),
        )
        created = await cur.fetchone() is not None
        rezoned = False
        if not created and timezone:
            cur = await self._conn.execute(
                "UPDATE intake.sites SET timezone = %s WHERE code = %s AND timezone <> %s RETURNING 1",
                (timezone, key.site, timezone),
            )
            rezoned = await cur.fetchone() is not None
        steps = [
            ("INSERT INTO intake.buildings (site, code) VALUES (%s, %s)"
             " ON CONFLICT DO NOTHING RETURNING 1", (key.site, key.building)),
            ("INSERT INTO intake.floors (site, building, code, sort_order) VALUES (%s, %s, %s, %s)"
             " ON CONFLICT DO NOTHING RETURNING 1", (key.site, key.building, key.floor, floor_order)),
            ("INSERT INTO intake.units (site, building, floor, code) VALUES (%s, %s, %s, %s)"
             " ON CONFLICT DO NOTHING RETURNING 1", (key.site, key.building, key.floor, key.unit)),
        ]  # fmt: skip
        for query, params in steps[: len(_key_values(key)) - 1]:
            cur = await self._conn.execute(query, params)
            created = await cur.fetchone() is not None
        return created, rezoned
