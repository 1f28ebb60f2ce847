"""Where and when planted failures strike: the ground truth the platform should predict.

Time is cut into slots of a fixed length per failure mode, counted from an epoch; each
slot of each building holds one failure of that mode, planted by a random generator seeded
with (seed, building, mode, slot). A failure's degradation starts, strikes and is repaired
inside its slot, so what happens at any moment depends only on the seed and that moment:
a backfill over any window, a rerun or a live run all see the same history.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from sensors_sim.fleet import Device, Location

__all__ = ["EPOCH", "MODES", "SITE_TZ", "FalseAlarm", "GroundTruth", "Mode", "Planner"]

#: The demo site's time zone (Asia/Shanghai has no daylight saving time).
SITE_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
#: Where the slot grid starts for backfills.
EPOCH = datetime(2020, 1, 1, tzinfo=SITE_TZ)

_DAY = 86400.0
_HOUR = 3600.0
_FAULT_CODES = (21, 34, 47, 52)  # door lock circuit, drive overcurrent, brake, levelling


@dataclass(frozen=True, slots=True)
class Mode:
    """A failure mode: which devices it strikes, how often and how it unfolds."""

    device_kind: str
    gap_days: float
    lead_days: tuple[float, float]
    repair_hours: tuple[float, float]


#: Failure kind -> mode: ageing risers leak, overloaded panels black out, busy elevators
#: break down.
MODES: dict[str, Mode] = {
    "leak": Mode("leak", 45.0, (3.0, 10.0), (2.0, 12.0)),
    "power_outage": Mode("power", 60.0, (5.0, 20.0), (1.0, 6.0)),
    "elevator_fault": Mode("elevator", 30.0, (4.0, 14.0), (3.0, 24.0)),
}


@dataclass(frozen=True, slots=True)
class GroundTruth:
    """One planted failure: degradation from `onset`, the failure, the repair."""

    device_id: str
    kind: str
    location: Location
    onset: datetime
    failure: datetime
    cleared: datetime
    #: The elevator's fault code while broken down; 0 for other kinds.
    fault_code: int = 0
    #: How long people were trapped when the elevator broke down; 0 when nobody was.
    entrapment_s: int = 0
    #: How strongly the degradation shows before the failure: 1 in full, 0 not at all.
    strength: float = 1.0

    def as_json(self) -> dict[str, object]:
        """The record for the truth file; times in UTC ISO 8601."""
        return {
            "device_id": self.device_id,
            "kind": self.kind,
            "location": self.location.as_json(),
            "onset": _iso(self.onset),
            "failure": _iso(self.failure),
            "cleared": _iso(self.cleared),
            "fault_code": self.fault_code,
            "entrapment_s": self.entrapment_s,
            "strength": self.strength,
        }


@dataclass(frozen=True, slots=True)
class FalseAlarm:
    """A warning `device` raised at `time` and cleared at `cleared`, with no failure behind it."""

    device: Device
    time: datetime
    cleared: datetime


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


class Planner:
    """Plants failures on a fleet for a seed: a pure function of the slot."""

    def __init__(
        self,
        fleet: Sequence[Device],
        seed: int,
        epoch: datetime = EPOCH,
        gaps: Mapping[str, timedelta] | None = None,
    ) -> None:
        self._seed = seed
        self._epoch = epoch.timestamp()
        self._gaps = {
            kind: (gaps[kind].total_seconds() if gaps else mode.gap_days * _DAY)
            for kind, mode in MODES.items()
        }
        self._targets: dict[tuple[str, str], list[Device]] = {}
        for kind, mode in MODES.items():
            for building in sorted({d.location.building for d in fleet}):
                here = [d for d in fleet if d.location.building == building]
                targets = [d for d in here if d.kind == mode.device_kind]
                if kind == "leak":  # ageing risers; units only when no riser is simulated
                    targets = [d for d in targets if d.is_riser] or targets
                if targets:
                    self._targets[kind, building] = targets
        #: (kind, building, slot) -> (the failure, its onset and repair as POSIX times)
        self._planted: dict[tuple[str, str, int], tuple[GroundTruth, float, float]] = {}

    def _plant(self, kind: str, building: str, slot: int) -> tuple[GroundTruth, float, float]:
        key = (kind, building, slot)
        found = self._planted.get(key)
        if found is not None:
            return found
        mode, gap = MODES[kind], self._gaps[kind]
        rng = random.Random(f"plant:{self._seed}:{kind}:{building}:{slot}")
        device = rng.choice(self._targets[kind, building])
        lead = min(rng.uniform(*mode.lead_days) * _DAY, 0.6 * gap)
        repair = min(rng.uniform(*mode.repair_hours) * _HOUR, 0.15 * gap)
        start = self._epoch + slot * gap
        failure = round(start + lead + rng.random() * (gap - lead - repair))
        fault_code = entrapment_s = 0
        if kind == "elevator_fault":
            fault_code = rng.choice(_FAULT_CODES)
            if rng.random() < 0.35:
                entrapment_s = round(min(rng.uniform(15.0, 75.0) * 60.0, repair / 2))
        onset, cleared = failure - round(lead), failure + round(repair)
        truth = GroundTruth(
            device_id=device.device_id,
            kind=kind,
            location=device.location,
            onset=_at(onset),
            failure=_at(failure),
            cleared=_at(cleared),
            fault_code=fault_code,
            entrapment_s=entrapment_s,
        )
        self._planted[key] = found = (truth, float(onset), float(cleared))
        return found

    def _slot(self, kind: str, ts: float) -> int:
        return math.floor((ts - self._epoch) / self._gaps[kind])

    def affecting(self, device: Device, ts: float) -> GroundTruth | None:
        """The failure degrading or striking `device` at POSIX time `ts`, if any."""
        building = device.location.building
        for kind, mode in MODES.items():
            if mode.device_kind != device.kind or (kind, building) not in self._targets:
                continue
            truth, onset, cleared = self._plant(kind, building, self._slot(kind, ts))
            if truth.device_id == device.device_id and onset <= ts < cleared:
                return truth
        return None

    def failures(self, start: datetime, end: datetime) -> list[GroundTruth]:
        """Every failure whose degradation or repair overlaps [start, end), by failure time."""
        found = []
        for kind, building in self._targets:
            first, last = self._slot(kind, start.timestamp()), self._slot(kind, end.timestamp())
            for slot in range(first, last + 1):
                truth = self._plant(kind, building, slot)[0]
                if truth.onset < end and truth.cleared > start:
                    found.append(truth)
        return sorted(found, key=lambda g: (g.failure, g.device_id))

    def false_alarms(self, start: datetime, end: datetime) -> list[FalseAlarm]:
        """None: on the demo site every warning has a failure behind it."""
        return []


def _at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, SITE_TZ)
