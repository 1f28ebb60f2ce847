"""Wear-out failures for the park: rare on each asset, likelier the longer since its renewal.

Every asset ages from its last renewal: its installation, a maintenance visit or the repair
after a failure. The life it has left after a renewal is drawn from a Weibull distribution
(shape 3, so the hazard grows with the square of the age; the scale depends on the kind and
varies ±30 % between assets). Maintenance visits come every 90, 180 or 365 days (chosen per
asset, each visit ±15 %), a fifth of them are skipped, and a visit that comes before the
failure renews the asset. A failure is preceded by a degradation of 3-14 days whose
strength varies: none for 15 % of failures, otherwise uniform in [0.15, 1] (the world
scales its telemetry drift by it and raises a warning alarm only from `world.WARN_STRENGTH`).
Besides, every asset raises a false warning about every 150 days, with nothing behind it,
and a panel's voltage dips below 198 V at 0.4 % of readings whatever its state.

Each asset's timeline is drawn in order from the epoch by generators seeded with the seed
and the device, and extended only forward, so what happens at any moment is a pure
function of the seed: backfills over any windows, in any order, agree.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sensors_sim.failures import EPOCH, SITE_TZ, FalseAlarm, GroundTruth
from sensors_sim.fleet import Device

__all__ = ["FAILURE_KIND", "GRID_DIPS", "Visit", "WearPlanner"]

_DAY = 86400.0
_HOUR = 3600.0
_SHAPE = 3.0
#: Device kind -> the failure it suffers.
FAILURE_KIND = {"leak": "leak", "power": "power_outage", "elevator": "elevator_fault"}
#: Device kind -> the median Weibull scale of its assets' lives, in days.
_SCALE_DAYS = {"leak": 280.0, "power": 270.0, "elevator": 220.0}
_INTERVALS_DAYS = (90.0, 180.0, 365.0)
_SKIP = 0.2
_SILENT = 0.15
_FALSE_ALARM_DAYS = 150.0
#: How often a park panel's voltage dips below 198 V at a reading, failing or not.
GRID_DIPS = 0.004
_FAULT_CODES = (21, 34, 47, 52)


@dataclass(frozen=True, slots=True)
class Visit:
    """A maintenance visit that renewed `device`'s asset at `time`."""

    device: Device
    time: datetime


def _at(ts: float) -> datetime:
    return datetime.fromtimestamp(round(ts), SITE_TZ)


@dataclass
class _Timeline:
    """One asset's renewals, failures and false alarms, drawn forward on demand."""

    device: Device
    seed: int
    epoch: float
    failures: list[GroundTruth] = field(default_factory=list)
    onsets: list[float] = field(default_factory=list)
    visits: list[float] = field(default_factory=list)
    alarms: list[tuple[float, float]] = field(default_factory=list)
    until: float = 0.0

    def __post_init__(self) -> None:
        name = self.device.device_id
        self._rng = random.Random(f"wear:{self.seed}:{name}")
        self._noise = random.Random(f"false-alarm:{self.seed}:{name}")
        self._scale = _SCALE_DAYS[self.device.kind] * _DAY * self._rng.uniform(0.7, 1.3)
        self._interval = self._rng.choice(_INTERVALS_DAYS) * _DAY
        self.installed = self.epoch - self._rng.uniform(0.0, self._interval)
        self._renewal = self.installed
        self._life = self._draw_life()
        self._visit = self._renewal + self._next_gap()
        self._alarm = self.epoch + self._noise.expovariate(1.0 / (_FALSE_ALARM_DAYS * _DAY))
        self.until = self.epoch

    def _draw_life(self) -> float:
        return self._rng.weibullvariate(self._scale, _SHAPE)

    def _next_gap(self) -> float:
        return self._interval * self._rng.uniform(0.85, 1.15)

    def extend(self, until: float) -> None:
        """Draw events until every renewal before `until` is known."""
        while self._renewal < until:
            failure = self._renewal + self._life
            if self._visit < failure:
                if self._rng.random() >= _SKIP:
                    self.visits.append(self._visit)
                    self._renewal, self._life = self._visit, self._draw_life()
                self._visit += self._next_gap()
                continue
            self._fail(failure)
        while self._alarm < until:
            self.alarms.append((self._alarm, self._alarm + self._noise.uniform(1.0, 12.0) * _HOUR))
            self._alarm += self._noise.expovariate(1.0 / (_FALSE_ALARM_DAYS * _DAY))
        self.until = max(self.until, until)

    def _fail(self, failure: float) -> None:
        rng = self._rng
        lead = min(rng.uniform(3.0, 14.0) * _DAY, 0.8 * (failure - self._renewal))
        strength = 0.0 if rng.random() < _SILENT else rng.uniform(0.15, 1.0)
        repair = rng.uniform(2.0, 24.0) * _HOUR
        fault_code = rng.choice(_FAULT_CODES) if self.device.kind == "elevator" else 0
        self.failures.append(
            GroundTruth(
                device_id=self.device.device_id,
                kind=FAILURE_KIND[self.device.kind],
                location=self.device.location,
                onset=_at(failure - lead),
                failure=_at(failure),
                cleared=_at(failure + repair),
                fault_code=fault_code,
                strength=round(strength, 3),
            )
        )
        self.onsets.append(round(failure - lead))
        self._renewal, self._life = failure + repair, self._draw_life()
        while self._visit <= self._renewal:
            self._visit += self._next_gap()


class WearPlanner:
    """Plants wear-out failures, maintenance visits and false alarms on a fleet for a seed."""

    def __init__(self, fleet: Sequence[Device], seed: int, epoch: datetime = EPOCH) -> None:
        self._lines = {
            d.device_id: _Timeline(d, seed, epoch.timestamp())
            for d in fleet
            if d.kind in FAILURE_KIND
        }

    def _line(self, device_id: str, until: float) -> _Timeline:
        line = self._lines[device_id]
        if line.until < until:
            line.extend(until)
        return line

    def installed(self, device: Device) -> datetime:
        """When `device`'s asset was installed (its first renewal)."""
        return _at(self._lines[device.device_id].installed)

    def affecting(self, device: Device, ts: float) -> GroundTruth | None:
        """The failure degrading or striking `device` at POSIX time `ts`, if any."""
        if device.device_id not in self._lines:
            return None
        line = self._line(device.device_id, ts + 15 * _DAY)
        i = bisect_right(line.onsets, ts) - 1
        if i >= 0 and ts < line.failures[i].cleared.timestamp():
            return line.failures[i]
        return None

    def failures(self, start: datetime, end: datetime) -> list[GroundTruth]:
        """Every failure whose degradation or repair overlaps [start, end), by failure time."""
        hi = end.timestamp() + 15 * _DAY
        found = [
            g
            for name in self._lines
            for g in self._line(name, hi).failures
            if g.onset < end and g.cleared > start
        ]
        return sorted(found, key=lambda g: (g.failure, g.device_id))

    def visits(self, start: datetime, end: datetime) -> list[Visit]:
        """The maintenance visits in [start, end), by time."""
        lo, hi = start.timestamp(), end.timestamp()
        found = [
            Visit(line.device, _at(ts))
            for name in self._lines
            for line in [self._line(name, hi)]
            for ts in line.visits
            if lo <= ts < hi
        ]
        return sorted(found, key=lambda v: (v.time, v.device.device_id))

    def false_alarms(self, start: datetime, end: datetime) -> list[FalseAlarm]:
        """The false warnings raised in [start, end), by time."""
        lo, hi = start.timestamp(), end.timestamp()
        found = [
            FalseAlarm(line.device, _at(raised), _at(cleared))
            for name in self._lines
            for line in [self._line(name, hi)]
            for raised, cleared in line.alarms
            if lo <= raised < hi
        ]
        return sorted(found, key=lambda a: (a.time, a.device.device_id))
