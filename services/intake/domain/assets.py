"""The asset registry's rules: what an asset is, and what makes a registration valid."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime

from services.intake.domain.errors import InvalidInput
from services.intake.domain.places import Level, check_code, check_names

__all__ = ["ASSET_TYPES", "Asset", "check_asset", "check_component", "check_component_name"]

#: Asset types; `generic` for anything else.
ASSET_TYPES = frozenset(
    {
        "pump", "elevator", "escalator", "transformer", "power_panel", "generator", "boiler",
        "chiller", "ahu", "fire_pump", "fire_panel", "riser", "water_tank", "lighting_circuit",
        "door", "gate", "camera", "network", "generic",
    }
)  # fmt: skip
_COMPONENT = re.compile(r"^[a-z0-9][a-z0-9_]{0,39}$")
_MAX_COMPONENTS = 50
_MAX_TEXT = 120


@dataclass(frozen=True, slots=True)
class Asset:
    """A piece of equipment at a place, with its named components (`motor`, `seal`, or
    `comp1`..`comp4` for a machine whose parts are only numbered)."""

    asset_id: str
    type: str
    site: str
    building: str
    floor: str = ""
    unit: str = ""
    name: str = ""
    make: str = ""
    model: str = ""
    serial: str = ""
    installed_on: date | None = None
    #: 1 (can wait) to 5 (life safety or a whole building depends on it).
    criticality: int = 3
    components: tuple[str, ...] = ()
    created_at: datetime | None = None
    updated_at: datetime | None = None


def check_asset(asset: Asset, today: date) -> Asset:
    """The asset, its components sorted and deduplicated; InvalidInput names the problem."""
    check_code(Level.SITE, asset.site)
    check_code(Level.BUILDING, asset.building)
    for level, code in ((Level.FLOOR, asset.floor), (Level.UNIT, asset.unit)):
        if code:
            check_code(level, code)
    if asset.unit and not asset.floor:
        raise InvalidInput("an asset in a unit needs the unit's floor", "floor")
    _check_id(asset.asset_id)
    if asset.type not in ASSET_TYPES:
        raise InvalidInput(
            f"unknown asset type {asset.type[:40]!r}; known: {', '.join(sorted(ASSET_TYPES))}",
            "type",
        )
    check_names(asset.name)
    for field, value in (("make", asset.make), ("model", asset.model), ("serial", asset.serial)):
        if len(value) > _MAX_TEXT or not value.isprintable():
            raise InvalidInput(f"{field} must be at most {_MAX_TEXT} printable characters", field)
    if not 1 <= asset.criticality <= 5:
        raise InvalidInput("criticality must be 1 (can wait) to 5 (life safety)", "criticality")
    if asset.installed_on is not None and asset.installed_on > today:
        raise InvalidInput(
            f"installed_on {asset.installed_on.isoformat()} is in the future", "installed_on"
        )
    if len(asset.components) > _MAX_COMPONENTS:
        raise InvalidInput(f"at most {_MAX_COMPONENTS} components", "components")
    for component in asset.components:
        check_component_name(component)
    components = tuple(sorted(set(asset.components)))
    return replace(asset, components=components)


def _check_id(asset_id: str) -> None:
    try:
        check_code(Level.UNIT, asset_id)
    except InvalidInput:
        raise InvalidInput(
            f"asset_id {asset_id[:70]!r} must be 1-64 letters, digits, '.', '_' or '-'", "asset_id"
        ) from None


def check_component_name(component: str) -> None:
    """A component name: `motor`, `door_operator`, `comp1`."""
    if not _COMPONENT.match(component):
        raise InvalidInput(
            f"component {component[:40]!r} must be 1-40 lower-case letters, digits or '_'",
            "components",
        )


def check_component(asset: Asset, component: str) -> None:
    """A ticket's component must be one its asset has."""
    if component and component not in asset.components:
        known = ", ".join(asset.components) or "none"
        raise InvalidInput(
            f"asset {asset.asset_id!r} has no component {component[:40]!r}; it has: {known}"
        )
