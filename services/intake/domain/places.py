"""The place tree: sites, their buildings, floors and units, with names in Chinese and English.

Codes are what people and devices write (`demo`, `A`, `B2`, `A-301`); names are what people
read. A floor's `order` places it among its building's floors: basements first, then ground
and the numbered floors, as people expect (B2, B1, G, 1, 2, ..., 10, M, roof).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.intake.domain.errors import Forbidden, InvalidInput
from services.intake.domain.model import Actor, Role

__all__ = [
    "Building",
    "Floor",
    "Level",
    "PlaceKey",
    "Site",
    "Unit",
    "check_code",
    "check_may_manage",
    "check_names",
    "check_timezone",
    "floor_order",
]

_CODE = re.compile(r"^[A-Za-z0-9\u4e00-\u9fff][A-Za-z0-9\u4e00-\u9fff._-]{0,63}$")
_BASEMENT = re.compile(r"^(?:B|-)(\d{1,3})$", re.IGNORECASE)
_NUMBERED = re.compile(r"^(\d{1,3})F?$", re.IGNORECASE)
_GROUND = frozenset({"G", "GF", "L", "LG", "0"})
_TOP = frozenset({"RF", "ROOF", "R"})
_MAX_NAME = 200


class Level(StrEnum):
    """A level of the tree, named in errors ("no building 'C' at site 'demo'")."""

    SITE = "site"
    BUILDING = "building"
    FLOOR = "floor"
    UNIT = "unit"


@dataclass(frozen=True, slots=True)
class PlaceKey:
    """Where a place is: a site, and as much below it as names it."""

    site: str
    building: str = ""
    floor: str = ""
    unit: str = ""

    @property
    def level(self) -> Level:
        if self.unit:
            return Level.UNIT
        if self.floor:
            return Level.FLOOR
        return Level.BUILDING if self.building else Level.SITE

    def describe(self) -> str:
        """The place in words, e.g. `floor '3' of building 'A' at site 'demo'`."""
        parts = [(Level.UNIT, self.unit), (Level.FLOOR, self.floor),
                 (Level.BUILDING, self.building), (Level.SITE, self.site)]  # fmt: skip
        named = [f"{level.value} {code!r}" for level, code in parts if code]
        return " of ".join(named[:-1]) + (" at " if len(named) > 1 else "") + named[-1]


@dataclass(frozen=True, slots=True)
class Unit:
    code: str
    name: str = ""
    name_en: str = ""


@dataclass(frozen=True, slots=True)
class Floor:
    code: str
    order: int
    name: str = ""
    name_en: str = ""
    units: tuple[Unit, ...] = ()


@dataclass(frozen=True, slots=True)
class Building:
    code: str
    name: str = ""
    name_en: str = ""
    floors: tuple[Floor, ...] = ()


@dataclass(frozen=True, slots=True)
class Site:
    code: str
    name: str
    timezone: str
    name_en: str = ""
    buildings: tuple[Building, ...] = field(default=())


def check_code(level: Level, code: str) -> str:
    """A place code: 1-64 letters (Latin or Chinese), digits, '.', '_' or '-'."""
    if not _CODE.match(code):
        raise InvalidInput(
            f"{level.value} code {code[:70]!r} must be 1-64 letters, digits, '.', '_' or '-',"
            " starting with a letter or digit",
            level.value,
        )
    return code


def check_names(*names: str) -> None:
    """Names are free text, at most 200 characters, without control characters."""
    for name in names:
        if len(name) > _MAX_NAME or not name.isprintable():
            raise InvalidInput(
                f"name {name[:40]!r} must be at most 200 printable characters", "name"
            )


def check_timezone(timezone: str) -> str:
    """An IANA time zone such as `Asia/Shanghai`."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"unknown time zone {timezone[:60]!r}; use an IANA name such as Asia/Shanghai",
            "timezone",
        ) from None
    return timezone


def floor_order(code: str) -> int:
    """Where a floor sorts by default: B2 (-2) before B1 (-1) before G (0) before 1, 2, ...;
    a roof after every numbered floor; anything else after those (sorted by code among
    themselves by the caller)."""
    text = code.strip()
    if match := _BASEMENT.match(text):
        return -int(match[1])
    if match := _NUMBERED.match(text):
        return int(match[1])
    if text.upper() in _GROUND:
        return 0
    if text.upper() in _TOP:
        return 1000
    return 2000


def check_may_manage(actor: Actor, key: PlaceKey) -> None:
    """Admins manage every place; a site's own supervisors manage its buildings, floors and
    units (not the site itself)."""
    if actor.role in (Role.ADMIN, Role.SYSTEM):
        return
    if actor.role is Role.SUPERVISOR and key.level is not Level.SITE and actor.site == key.site:
        return
    raise Forbidden(f"a {actor.role.value} may not change {key.describe()}")
