"""The simulated device fleet of a site: leak sensors, power meters, elevator controllers.

The layout follows the demo site (`services/intake/demo.py`): buildings A and B with
floors 1-10 and four units a floor, and per building one water riser, one power panel and
one elevator. Every floor has a leak sensor under the riser and a power meter on the
panel, every unit a leak sensor, every elevator a controller: 122 devices for two
buildings. `devices=N` keeps a seed-chosen mix of N of them (each kind still represented)
or, above the full layout, adds further leak sensors in the units (no new assets, so every
location stays valid in intake's site tree).
"""

from __future__ import annotations

import csv
import io
import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

__all__ = [
    "BUILDINGS",
    "EXPECTED_INTERVAL_S",
    "FLOORS",
    "KINDS",
    "Device",
    "Location",
    "build_fleet",
    "fleet_csv",
]

#: Building code -> (riser, power panel, elevator) asset codes, as in the demo site.
BUILDINGS: dict[str, tuple[str, str, str]] = {
    "A": ("riser-A-1", "panel-A-1", "elevator-A-E1"),
    "B": ("riser-B-3", "panel-B-1", "elevator-B-E2"),
}
FLOORS = range(1, 11)
UNITS_PER_FLOOR = 4
KINDS = ("leak", "power", "elevator")

#: How often each kind of device reports, in seconds.
EXPECTED_INTERVAL_S = {"leak": 300, "power": 60, "elevator": 60}


@dataclass(frozen=True, slots=True)
class Location:
    """Where a device is: site, building, floor, then unit or asset."""

    site: str
    building: str
    floor: str
    unit: str = ""
    asset: str = ""

    def as_json(self) -> dict[str, str]:
        """The location as the device API takes it: empty unit and asset left out."""
        body = {"site": self.site, "building": self.building, "floor": self.floor}
        if self.unit:
            body["unit"] = self.unit
        if self.asset:
            body["asset"] = self.asset
        return body


@dataclass(frozen=True, slots=True)
class Device:
    """One simulated device, reporting in the native MQTT format."""

    device_id: str
    kind: str
    location: Location
    expected_interval_s: int
    format: str = "native"

    @property
    def is_riser(self) -> bool:
        """A leak sensor under a water riser (rather than in a unit)."""
        return self.kind == "leak" and bool(self.location.asset)

    def registration(self) -> dict[str, object]:
        """The body of `PUT /v1/devices/{device_id}`."""
        return {
            "kind": self.kind,
            "location": self.location.as_json(),
            "format": self.format,
            "expected_interval_s": self.expected_interval_s,
        }


def _device(device_id: str, kind: str, location: Location) -> Device:
    return Device(device_id, kind, location, EXPECTED_INTERVAL_S[kind])


def _unit_code(building: str, floor: int, number: int) -> str:
    return f"{building}-{floor}{number:02d}"


def _groups(site: str) -> list[list[Device]]:
    """The full layout as groups of like devices: elevators, meters, risers, units."""
    elevators, meters, risers, units = [], [], [], []
    for b, (riser, panel, elevator) in BUILDINGS.items():
        car = Location(site, b, "1", asset=elevator)
        elevators.append(_device(f"elev-{elevator.removeprefix('elevator-')}", "elevator", car))
        for floor in FLOORS:
            f = str(floor)
            meters.append(
                _device(f"power-{b}-{floor:02d}", "power", Location(site, b, f, asset=panel))
            )
            risers.append(
                _device(f"leak-{b}-{floor:02d}-riser", "leak", Location(site, b, f, asset=riser))
            )
            for number in range(1, UNITS_PER_FLOOR + 1):
                unit = _unit_code(b, floor, number)
                units.append(_device(f"leak-{unit}", "leak", Location(site, b, f, unit=unit)))
    return [elevators, meters, risers, units]


def _extras(site: str) -> Iterator[Device]:
    """Second, third, ... leak sensors in every unit, without end."""
    for copy in itertools.count(2):
        for building in BUILDINGS:
            for floor in FLOORS:
                for number in range(1, UNITS_PER_FLOOR + 1):
                    unit = _unit_code(building, floor, number)
                    where = Location(site, building, str(floor), unit=unit)
                    yield _device(f"leak-{unit}-{copy}", "leak", where)


def _round_robin(groups: Sequence[Sequence[Device]]) -> Iterator[Device]:
    for row in itertools.zip_longest(*groups):
        yield from (device for device in row if device is not None)


def build_fleet(site: str = "demo", seed: int = 0, devices: int | None = None) -> list[Device]:
    """The fleet for `site`, sorted by device id; the same for the same seed and size.

    `devices` None is the full layout; fewer keeps a seed-chosen mix that takes the kinds
    in turn; more adds leak sensors in the units.
    """
    groups = _groups(site)
    if devices is None:
        return sorted((d for group in groups for d in group), key=lambda d: d.device_id)
    if devices < 1:
        raise ValueError("a fleet needs at least one device")
    rng = random.Random(f"fleet:{site}:{seed}")
    for group in groups:
        rng.shuffle(group)
    chosen = itertools.islice(itertools.chain(_round_robin(groups), _extras(site)), devices)
    return sorted(chosen, key=lambda d: d.device_id)


def fleet_csv(fleet: Sequence[Device]) -> str:
    """The fleet as CSV with a header line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["device_id", "kind", "site", "building", "floor", "unit", "asset", "format",
         "expected_interval_s"]
    )  # fmt: skip
    for d in fleet:
        loc = d.location
        writer.writerow(
            [d.device_id, d.kind, loc.site, loc.building, loc.floor, loc.unit, loc.asset,
             d.format, d.expected_interval_s]
        )  # fmt: skip
    return out.getvalue()
