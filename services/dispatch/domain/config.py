"""Validation of a site's teams and technicians; errors name the entry at fault."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from services.dispatch.domain.errors import InvalidInput
from services.dispatch.domain.model import CATEGORIES, Team, Technician

__all__ = ["check_name", "validate_teams", "validate_technicians"]

_MAX_ENTRIES = 2000


def check_name(value: str, what: str) -> str:
    """A code or username: 1-64 characters, no surrounding space, no control characters."""
    name = value.strip()
    if not name or len(name) > 64 or any(ord(ch) < 32 for ch in name):
        raise InvalidInput(f"{what} {value[:64]!r} must be 1-64 printable characters")
    return name


def _names(values: Sequence[str], what: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(check_name(v, what) for v in values))


def validate_teams(site: str, teams: Sequence[Team]) -> list[Team]:
    """The teams, cleaned; codes must be unique."""
    check_name(site, "site")
    if len(teams) > _MAX_ENTRIES:
        raise InvalidInput(f"at most {_MAX_ENTRIES} teams per site")
    seen: set[str] = set()
    cleaned: list[Team] = []
    for i, team in enumerate(teams, start=1):
        code = check_name(team.code, f"team {i}: code")
        where = f"team {i} ({code})"
        if code in seen:
            raise InvalidInput(f"{where}: another team has that code")
        seen.add(code)
        if len(team.name) > 200:
            raise InvalidInput(f"{where}: name is longer than 200 characters")
        supervisors = _names(team.supervisors, f"{where}: supervisor")
        cleaned.append(Team(site, code, team.name.strip(), supervisors))
    return cleaned


def validate_technicians(
    site: str, technicians: Sequence[Technician], team_codes: Collection[str]
) -> list[Technician]:
    """The technicians, cleaned; each in a team of the site, skills being category codes."""
    check_name(site, "site")
    if len(technicians) > _MAX_ENTRIES:
        raise InvalidInput(f"at most {_MAX_ENTRIES} technicians per site")
    seen: set[str] = set()
    cleaned: list[Technician] = []
    for i, tech in enumerate(technicians, start=1):
        name = check_name(tech.username, f"technician {i}: username")
        where = f"technician {i} ({name})"
        if name in seen:
            raise InvalidInput(f"{where}: listed twice")
        seen.add(name)
        if tech.team not in team_codes:
            known = ", ".join(sorted(team_codes)) or "none yet"
            raise InvalidInput(
                f"{where}: team {tech.team[:64]!r} does not exist at site {site!r}; teams: {known}"
            )
        skills = _names(sorted(tech.skills), f"{where}: skill")
        unknown = [s for s in skills if s not in CATEGORIES]
        if unknown:
            raise InvalidInput(
                f"{where}: skill {unknown[0]!r} is not a category; known:"
                f" {', '.join(sorted(CATEGORIES))}"
            )
        if not skills:
            raise InvalidInput(f"{where}: needs at least one skill (a category code)")
        buildings = _names(sorted(tech.buildings), f"{where}: building")
        if len(tech.display_name) > 200:
            raise InvalidInput(f"{where}: display_name is longer than 200 characters")
        cleaned.append(
            Technician(
                name,
                site,
                tech.team,
                frozenset(skills),
                frozenset(buildings),
                tech.display_name.strip(),
            )
        )
    return cleaned
