"""The park: a larger site for the hotspot benchmark, with many assets of each failing kind.

Buildings P01, P02, ... with floors 1-12 and two units a floor; on every floor a water
riser stack with its leak sensor and a power panel with its meter, in every building three
elevators with their controllers: 27 assets (and devices) a building. `assets=N` makes
round(N / 27) buildings (at least one). Its failures are the wear-out failures of
`sensors_sim.wear`, not the demo site's fixed slots.
"""

from __future__ import annotations

from sensors_sim.fleet import EXPECTED_INTERVAL_S, Device, Location

__all__ = ["ASSET_TYPES", "PARK_SITE", "build_park", "park_units"]

PARK_SITE = "park"
_FLOORS = range(1, 13)
_UNITS_PER_FLOOR = 2
_ELEVATORS = 3
_PER_BUILDING = 2 * len(_FLOORS) + _ELEVATORS
#: Device kind -> (the asset's type, its English and Chinese names).
ASSET_TYPES: dict[str, tuple[str, str, str]] = {
    "leak": ("riser", "Water riser", "立管"),
    "power": ("power_panel", "Power panel", "配电柜"),
    "elevator": ("elevator", "Elevator", "电梯"),
}


def _buildings(assets: int) -> list[str]:
    return [f"P{n:02d}" for n in range(1, max(1, round(assets / _PER_BUILDING)) + 1)]


def build_park(site: str = PARK_SITE, assets: int = 300) -> list[Device]:
    """The park's devices, one per asset (its id in `location.asset`), sorted by id."""
    fleet = []
    for b in _buildings(assets):
        for n in range(1, _ELEVATORS + 1):
            car = Location(site, b, "1", asset=f"elevator-{b}-E{n}")
            fleet.append(Device(f"elev-{b}-E{n}", "elevator", car, EXPECTED_INTERVAL_S["elevator"]))
        for floor in _FLOORS:
            f = str(floor)
            for kind, prefix, asset in (("leak", "leak", "riser"), ("power", "power", "panel")):
                where = Location(site, b, f, asset=f"{asset}-{b}-{floor:02d}")
                fleet.append(Device(f"{prefix}-{b}-{floor:02d}", kind, where,
                                    EXPECTED_INTERVAL_S[kind]))  # fmt: skip
    return sorted(fleet, key=lambda d: d.device_id)


def park_units(site: str = PARK_SITE, assets: int = 300) -> list[Location]:
    """Every floor and unit of the park (a floor's `unit` is '')."""
    places = []
    for b in _buildings(assets):
        for floor in _FLOORS:
            places.append(Location(site, b, str(floor)))
            for n in range(1, _UNITS_PER_FLOOR + 1):
                places.append(Location(site, b, str(floor), unit=f"{b}-{floor}{n:02d}"))
    return places
