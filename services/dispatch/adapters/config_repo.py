"""SQL for dispatch's configuration: teams, technicians, the roster and rule sets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from services.dispatch.domain.model import Team, Technician
from services.dispatch.domain.roster import DutyOverride, Roster, Shift
from services.dispatch.domain.rules import RuleSet
from services.dispatch.domain.windows import WeeklyWindow

__all__ = ["ConfigRepository", "StoredRules"]


@dataclass(frozen=True, slots=True)
class StoredRules:
    """A site's rule set as stored: the validated document and who changed it when."""

    site: str
    timezone: str
    document: dict[str, Any]
    version: int
    updated_by: str
    updated_at: datetime


class ConfigRepository:
    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def _all(self, query: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        async with self._conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(query, params)
            return await cur.fetchall()

    async def lock_site(self, site: str) -> None:
        """Serialise configuration changes of one site until the transaction ends."""
        await self._conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext('dispatch-config:' || %s))", (site,)
        )

    async def teams(self, site: str) -> list[Team]:
        rows = await self._all(
            "SELECT site, code, name, supervisors FROM dispatch.teams WHERE site = %s ORDER BY code",
            (site,),
        )
        return [Team(r["site"], r["code"], r["name"], tuple(r["supervisors"])) for r in rows]

    async def replace_teams(self, site: str, teams: Sequence[Team]) -> None:
        await self._conn.execute(
            "DELETE FROM dispatch.teams WHERE site = %s AND NOT code = ANY(%s)",
            (site, [t.code for t in teams]),
        )
        async with self._conn.cursor() as cur:
            await cur.executemany(
                "INSERT INTO dispatch.teams (site, code, name, supervisors) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (site, code) DO UPDATE SET name = EXCLUDED.name,"
                " supervisors = EXCLUDED.supervisors, updated_at = now()",
                [(site, t.code, t.name, list(t.supervisors)) for t in teams],
            )

    async def technicians(self, site: str, team: str = "") -> list[Technician]:
        rows = await self._all(
            "SELECT username, site, team, skills, buildings, display_name FROM dispatch.technicians"
            " WHERE site = %s AND (team = %s OR %s = '') ORDER BY username",
            (site, team, team),
        )
        return [
            Technician(
                r["username"],
                r["site"],
                r["team"],
                frozenset(r["skills"]),
                frozenset(r["buildings"]),
                r["display_name"],
            )
            for r in rows
        ]

    async def sites_of(self, usernames: Sequence[str]) -> dict[str, str]:
        """username -> site, for those of `usernames` who are technicians anywhere."""
        rows = await self._all(
            "SELECT username, site FROM dispatch.technicians WHERE username = ANY(%s)",
            (list(usernames),),
        )
        return {r["username"]: r["site"] for r in rows}

    async def replace_technicians(self, site: str, technicians: Sequence[Technician]) -> None:
        await self._conn.execute(
            "DELETE FROM dispatch.technicians WHERE site = %s AND NOT username = ANY(%s)",
            (site, [t.username for t in technicians]),
        )
        async with self._conn.cursor() as cur:
            await cur.executemany(
                "INSERT INTO dispatch.technicians (username, site, team, skills, buildings,"
                " display_name) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (username) DO UPDATE"
                " SET site = EXCLUDED.site, team = EXCLUDED.team, skills = EXCLUDED.skills,"
                " buildings = EXCLUDED.buildings, display_name = EXCLUDED.display_name,"
                " updated_at = now()",
                [
                    (
                        t.username,
                        site,
                        t.team,
                        sorted(t.skills),
                        sorted(t.buildings),
                        t.display_name,
                    )
                    for t in technicians
                ],
            )

    async def roster(self, site: str) -> Roster:
        shifts = await self._all(
            "SELECT username, days, start_time, end_time, timezone FROM dispatch.shifts"
            " WHERE site = %s ORDER BY id",
            (site,),
        )
        overrides = await self._all(
            "SELECT username, starts_at, ends_at, on_duty, note FROM dispatch.duty_overrides"
            " WHERE site = %s ORDER BY id",
            (site,),
        )
        return Roster(
            site,
            tuple(
                Shift(
                    r["username"],
                    WeeklyWindow(frozenset(r["days"]), r["start_time"], r["end_time"]),
                    r["timezone"],
                )
                for r in shifts
            ),
            tuple(DutyOverride(**r) for r in overrides),
        )

    async def replace_roster(self, roster: Roster) -> None:
        site = roster.site
        await self._conn.execute("DELETE FROM dispatch.shifts WHERE site = %s", (site,))
        await self._conn.execute("DELETE FROM dispatch.duty_overrides WHERE site = %s", (site,))
        async with self._conn.cursor() as cur:
            await cur.executemany(
                "INSERT INTO dispatch.shifts (site, username, days, start_time, end_time, timezone)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                [
                    (
                        site,
                        s.username,
                        sorted(s.window.days),
                        s.window.start,
                        s.window.end,
                        s.timezone,
                    )
                    for s in roster.shifts
                ],
            )
            await cur.executemany(
                "INSERT INTO dispatch.duty_overrides (site, username, starts_at, ends_at, on_duty,"
                " note) VALUES (%s, %s, %s, %s, %s, %s)",
                [
                    (site, o.username, o.starts_at, o.ends_at, o.on_duty, o.note)
                    for o in roster.overrides
                ],
            )

    async def rules(self, site: str) -> StoredRules | None:
        rows = await self._all(
            "SELECT site, timezone, document, version, updated_by, updated_at"
            " FROM dispatch.rule_sets WHERE site = %s",
            (site,),
        )
        return StoredRules(**rows[0]) if rows else None

    async def save_rules(self, rule_set: RuleSet, updated_by: str) -> StoredRules:
        rows = await self._all(
            "INSERT INTO dispatch.rule_sets (site, timezone, document, updated_by)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT (site) DO UPDATE SET"
            " timezone = EXCLUDED.timezone, document = EXCLUDED.document,"
            " version = dispatch.rule_sets.version + 1, updated_by = EXCLUDED.updated_by,"
            " updated_at = now()"
            " RETURNING site, timezone, document, version, updated_by, updated_at",
            (rule_set.site, rule_set.timezone, Jsonb(rule_set.to_document()), updated_by),
        )
        return StoredRules(**rows[0])
