"""What reports group by and filter on, and the cells of a report as drill-down tokens.

A *cell* is one figure of one group in one bucket (for example: tickets raised in building
A in March). Reports hand out each cell as an opaque token; resolving the token lists
exactly the tickets the figure counts. The token carries the whole question (site, dates,
group, filters, figure), so it needs no server-side state and is checked again on use.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.analytics.domain.errors import InvalidInput

__all__ = [
    "FIGURES",
    "KEYS",
    "PLACE",
    "Cell",
    "Dimension",
    "Filters",
    "Group",
    "decode_cell",
    "encode_cell",
    "encode_cells",
    "group_keys",
]


class Dimension(StrEnum):
    """What a report groups by."""

    SITE = "site"
    BUILDING = "building"
    FLOOR = "floor"
    UNIT = "unit"
    ASSET = "asset"
    KIND = "kind"
    CATEGORY = "category"
    PRIORITY = "priority"
    SOURCE = "source"
    TEAM = "team"
    TECHNICIAN = "technician"


#: The keys a dimension groups by: a floor is a floor of a building, a unit one of a floor.
KEYS: dict[Dimension, tuple[str, ...]] = {
    **{d: (d.value,) for d in Dimension},
    Dimension.FLOOR: ("building", "floor"),
    Dimension.UNIT: ("building", "floor", "unit"),
}
#: A hidden key for recurring problems: the asset, else the unit, else the floor.
PLACE = "place"
_ALL_KEYS = frozenset(k for keys in KEYS.values() for k in keys) | {PLACE}

#: The figures a cell can list the tickets of.
FIGURES = (
    "raised", "resolved", "cancelled", "reopened", "backlog",
    "sla_respond_evaluated", "sla_respond_breached", "sla_respond_escalated",
    "sla_resolve_evaluated", "sla_resolve_breached", "sla_resolve_escalated",
    "first_time_fixed", "reopened_resolved", "rated",
)  # fmt: skip

#: A group: (key, value) pairs in the report's key order.
Group = tuple[tuple[str, str], ...]
_MAX_TOKEN = 4000
_VERSION = 1


def group_keys(dimensions: list[Dimension]) -> tuple[str, ...]:
    """The keys to group by, in order and each once."""
    keys: list[str] = []
    for dimension in dimensions:
        keys += [k for k in KEYS[dimension] if k not in keys]
    return tuple(keys)


@dataclass(frozen=True, slots=True)
class Filters:
    """Narrowing by ticket facts; an empty tuple does not narrow."""

    kinds: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """True when nothing narrows."""
        return not (self.kinds or self.categories or self.priorities or self.sources)


@dataclass(frozen=True, slots=True)
class Cell:
    """One figure of one group in one bucket [start, end) of local dates at a site."""

    site: str
    start: date
    end: date
    figure: str
    group: Group = ()
    filters: Filters = Filters()


def encode_cells(cell: Cell, figures: tuple[str, ...]) -> dict[str, str]:
    """Tokens of the cells of `figures` sharing everything else with `cell`: the figure,
    then a dot, then the rest as URL-safe base64 of a JSON array (encoded once for all)."""
    f = cell.filters
    doc = [_VERSION, cell.site, cell.start.isoformat(), cell.end.isoformat(),
           [list(kv) for kv in cell.group], f.kinds, f.categories, f.priorities, f.sources]  # fmt: skip
    raw = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
    rest = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return {figure: f"{figure}.{rest}" for figure in figures}


def encode_cell(cell: Cell) -> str:
    """The cell as an opaque URL-safe token."""
    return encode_cells(cell, (cell.figure,))[cell.figure]


def _texts(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("not a list of strings")
    return tuple(value)


def decode_cell(token: str) -> Cell:
    """The cell a token stands for; InvalidInput for anything a report did not hand out."""
    figure, _, rest = token.partition(".")
    if not rest or len(token) > _MAX_TOKEN or figure not in FIGURES:
        raise InvalidInput("not an analytics cell")
    try:
        doc = json.loads(base64.urlsafe_b64decode(rest + "=" * (-len(rest) % 4)))
        version, site, start, end, pairs, kinds, categories, priorities, sources = doc
        if version != _VERSION or not isinstance(site, str):
            raise ValueError("unknown version or site")
        group = tuple((str(k), str(v)) for k, v in pairs)
        if any(k not in _ALL_KEYS for k, _ in group):
            raise ValueError("unknown key")
        cell = Cell(
            site=site, start=date.fromisoformat(start), end=date.fromisoformat(end),
            figure=figure, group=group,
            filters=Filters(_texts(kinds), _texts(categories), _texts(priorities), _texts(sources)),
        )  # fmt: skip
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("not an analytics cell") from None
    if cell.start >= cell.end:
        raise InvalidInput("not an analytics cell")
    return cell
