"""Who may see hotspots and order work from them, and how a ranking made for one horizon
answers for another."""

from __future__ import annotations

import math
from dataclasses import dataclass

from services.predictor.domain.errors import Forbidden, InvalidInput

__all__ = [
    "LEVELS",
    "READERS",
    "Caller",
    "check_may_read",
    "check_request",
    "convert_probability",
    "nearest_horizon",
]

#: Planners, supervisors and admins read hotspots; only admins see every site.
READERS = frozenset({"planner", "supervisor", "admin"})
LEVELS = ("asset", "floor", "building")


@dataclass(frozen=True, slots=True)
class Caller:
    username: str
    role: str
    site: str


def check_may_read(caller: Caller, site: str) -> None:
    """Planners and supervisors of `site`, and admins; raises Forbidden otherwise."""
    if caller.role not in READERS:
        raise Forbidden(f"a {caller.role or 'caller without a role'} may not see hotspots")
    if caller.role != "admin" and caller.site != site:
        raise Forbidden(f"{caller.username} does not work at site {site!r}")


def check_request(level: str, horizon_days: int, limit: int) -> tuple[str, int, int]:
    """(level, horizon, limit) with the defaults filled in; raises InvalidInput."""
    level = level or "asset"
    horizon_days = horizon_days or 7
    limit = limit or 20
    if level not in LEVELS:
        raise InvalidInput(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    if not 1 <= horizon_days <= 90:
        raise InvalidInput("horizon_days must be 1 to 90")
    if not 1 <= limit <= 500:
        raise InvalidInput("limit must be 1 to 500")
    return level, horizon_days, limit


def nearest_horizon(wanted: int, served: tuple[int, ...]) -> int:
    """The served horizon closest to `wanted` (the longer one on a tie)."""
    return min(served, key=lambda h: (abs(h - wanted), -h))


def convert_probability(p: float, model_days: int, wanted_days: int) -> float:
    """The probability over `wanted_days` of a risk `p` over `model_days`, assuming the
    daily risk is constant (the order of keys does not change)."""
    if model_days == wanted_days:
        return p
    p = min(max(p, 0.0), 1.0 - 1e-12)
    return 1.0 - math.exp(math.log1p(-p) * wanted_days / model_days)
