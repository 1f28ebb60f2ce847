"""Configuration use cases: teams, technicians, the roster and rule sets, one transaction each.

Every change is checked against the rest of the site's configuration in the same
transaction (under a per-site lock): a team still used by technicians or rules cannot go,
a technician must be in an existing team, the roster names only known people, and the
rules must name existing teams and end with a default rule.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from services.dispatch.adapters.config_repo import ConfigRepository, StoredRules
from services.dispatch.adapters.work_repo import WorkRepository
from services.dispatch.domain.config import check_name, validate_teams, validate_technicians
from services.dispatch.domain.decide import SiteContext
from services.dispatch.domain.errors import Forbidden, InvalidInput, NotFound
from services.dispatch.domain.model import Caller, Team, Technician
from services.dispatch.domain.roster import DutyOverride, Roster, Shift, make_roster
from services.dispatch.domain.rules import parse_rule_set

__all__ = ["WRITERS", "ConfigHandlers", "load_context", "read_rules_file"]

#: Roles that may change dispatch's configuration.
WRITERS = frozenset({"dispatcher", "supervisor", "admin", "system"})
_UNSCOPED = frozenset({"admin", "system"})


def _check_writer(caller: Caller, site: str) -> None:
    if caller.role not in WRITERS:
        raise Forbidden(f"a {caller.role or 'caller without a role'} may not change dispatch")
    if caller.role not in _UNSCOPED and caller.site != site:
        raise Forbidden(f"{caller.username} may change only site {caller.site!r}")


async def load_context(
    conn: AsyncConnection[Any], site: str, default_timezone: str = "Asia/Shanghai"
) -> SiteContext | None:
    """Everything routing needs for `site`, or None when the site has no rules yet."""
    config = ConfigRepository(conn)
    stored = await config.rules(site)
    if stored is None:
        return None
    teams = await config.teams(site)
    rules = parse_rule_set(site, stored.document, [t.code for t in teams], default_timezone)
    technicians = tuple(await config.technicians(site))
    counts = await WorkRepository(conn).open_counts([t.username for t in technicians])
    return SiteContext(
        rules, {t.code: t for t in teams}, technicians, await config.roster(site), counts
    )


def read_rules_file(path: Path) -> dict[str, Any]:
    """A rule set document from a .json or .toml file; it must name its site."""
    try:
        text = path.read_text(encoding="utf-8")
        doc: Any = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"rules file {path}: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("site"), str):
        raise InvalidInput(f'rules file {path}: needs a top-level "site"')
    return doc


class ConfigHandlers:
    def __init__(
        self,
        pool: AsyncConnectionPool,
        clock: Callable[[], datetime],
        default_timezone: str = "Asia/Shanghai",
    ) -> None:
        self._pool = pool
        self._clock = clock
        self._default_timezone = default_timezone

    @asynccontextmanager
    async def _unit(self, site: str = "") -> AsyncIterator[ConfigRepository]:
        """One transaction; with `site`, holding that site's configuration lock."""
        async with self._pool.connection() as conn, conn.transaction():
            repo = ConfigRepository(conn)
            if site:
                await repo.lock_site(site)
            yield repo

    async def _check_rules_still_valid(
        self, repo: ConfigRepository, site: str, team_codes: list[str]
    ) -> None:
        stored = await repo.rules(site)
        if stored is None:
            return
        try:
            parse_rule_set(site, stored.document, team_codes, self._default_timezone)
        except InvalidInput as exc:
            raise InvalidInput(f"the site's rules would break: {exc}") from None

    async def put_teams(self, caller: Caller, site: str, teams: list[Team]) -> list[Team]:
        """Replace the site's teams."""
        _check_writer(caller, site)
        cleaned = validate_teams(site, teams)
        codes = [t.code for t in cleaned]
        async with self._unit(site) as repo:
            orphans = sorted(
                f"{t.username} ({t.team})" for t in await repo.technicians(site)
                if t.team not in codes
            )  # fmt: skip
            if orphans:
                raise InvalidInput(
                    f"teams still have technicians: {', '.join(orphans[:10])}; move them first"
                )
            await self._check_rules_still_valid(repo, site, codes)
            await repo.replace_teams(site, cleaned)
            return await repo.teams(site)

    async def list_teams(self, site: str) -> list[Team]:
        async with self._unit() as repo:
            return await repo.teams(site)

    async def put_technicians(
        self, caller: Caller, site: str, technicians: list[Technician]
    ) -> list[Technician]:
        """Replace the site's technicians."""
        _check_writer(caller, site)
        async with self._unit(site) as repo:
            teams = [t.code for t in await repo.teams(site)]
            cleaned = validate_technicians(site, technicians, teams)
            elsewhere = {
                name: other
                for name, other in (await repo.sites_of([t.username for t in cleaned])).items()
                if other != site
            }
            if elsewhere:
                name, other = sorted(elsewhere.items())[0]
                raise InvalidInput(f"technician {name} already works at site {other!r}")
            await repo.replace_technicians(site, cleaned)
            return await repo.technicians(site)

    async def list_technicians(self, site: str, team: str = "") -> list[Technician]:
        async with self._unit() as repo:
            return await repo.technicians(site, team)

    async def put_roster(
        self, caller: Caller, site: str, shifts: list[Shift], overrides: list[DutyOverride]
    ) -> Roster:
        """Replace the site's roster; everyone in it must be a technician or a supervisor."""
        _check_writer(caller, site)
        check_name(site, "site")
        async with self._unit(site) as repo:
            people = {t.username for t in await repo.technicians(site)}
            for team in await repo.teams(site):
                people.update(team.supervisors)
            roster = make_roster(site, shifts, overrides, frozenset(people))
            await repo.replace_roster(roster)
            return await repo.roster(site)

    async def get_roster(self, site: str) -> tuple[Roster, list[str]]:
        """The site's roster and who is on duty now."""
        async with self._unit() as repo:
            roster = await repo.roster(site)
        return roster, roster.on_duty_now(self._clock())

    async def put_rules(self, caller: Caller, site: str, document: Any) -> StoredRules:
        """Validate the rule set against the site's teams and replace the stored one."""
        _check_writer(caller, site)
        check_name(site, "site")
        async with self._unit(site) as repo:
            teams = [t.code for t in await repo.teams(site)]
            rule_set = parse_rule_set(site, document, teams, self._default_timezone)
            return await repo.save_rules(rule_set, caller.username)

    async def get_rules(self, site: str) -> StoredRules:
        async with self._unit() as repo:
            stored = await repo.rules(site)
        if stored is None:
            raise NotFound(f"site {site[:64]!r} has no dispatch rules yet")
        return stored

    async def load_rules_file(self, path: Path) -> StoredRules:
        """Load, validate and store a rules file (at start-up); InvalidInput says what is wrong."""
        doc = read_rules_file(path)
        site = str(doc.pop("site"))
        try:
            return await self.put_rules(Caller("dispatch", "system"), site, doc)
        except InvalidInput as exc:
            raise InvalidInput(f"rules file {path}: {exc}") from None
