"""The physics: what each device reads at a moment, and the alerts planted failures raise.

Pure and deterministic for a seed: a reading depends only on the device, the simulated
time and, for counters, the span since the previous report. Daily patterns follow the
site's local time: power draw is higher in working hours, elevators are busiest at the
morning and evening peaks. Before a planted failure its device degrades: a riser's
moisture creeps up, an overloaded panel's current rises and its voltage sags below 198 V
ever more often, a busy elevator's doors fault ever more per trip. Metric names are those
of docs/mqtt.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sensors_sim.failures import EPOCH, MODES, FalseAlarm, GroundTruth, Planner
from sensors_sim.fleet import Device
from sensors_sim.noise import device_key, normal, poisson, uniform

__all__ = ["WARN_STRENGTH", "Alert", "Plan", "World", "load_shape", "trips_per_hour"]

#: Degradation at least this strong raises a warning alarm before the failure.
WARN_STRENGTH = 0.5

_SITE_OFFSET_S = 8 * 3600
_BATTERY_CYCLE_S = 730 * 86400.0
_MOISTURE_PEAK = 88.0  # what a creeping riser reads just before it leaks
_MOISTURE_MAX = 60.0  # the ingestor's default moisture_high threshold
#: Elevator trips an hour on a working day, hour by hour (local time).
_TRIPS = (2, 1, 1, 1, 1, 3, 12, 45, 60, 35, 25, 28, 40, 35, 25, 24, 28, 50, 55, 35, 22, 15, 8, 4)


@dataclass(frozen=True, slots=True)
class Alert:
    """An explicit alert message a device sends: raised (`active`) or cleared."""

    time: datetime
    device_id: str
    type: str
    active: bool
    readings: dict[str, float] = field(default_factory=dict)
    detail: str = ""


def _local(ts: float) -> tuple[float, int]:
    """(hour of day as a fraction, weekday with Monday 0) in the site's time zone."""
    local = ts + _SITE_OFFSET_S
    return (local % 86400.0) / 3600.0, (int(local // 86400.0) + 3) % 7


def _smoothstep(lo: float, hi: float, x: float) -> float:
    s = min(max((x - lo) / (hi - lo), 0.0), 1.0)
    return s * s * (3.0 - 2.0 * s)


def load_shape(ts: float) -> float:
    """Electrical load relative to the working-day peak: 0.25 at night, 1.0 in office hours."""
    hour, weekday = _local(ts)
    day = _smoothstep(7.0, 9.0, hour) * (1.0 - _smoothstep(18.0, 20.0, hour))
    if weekday >= 5:
        day *= 0.45
    return 0.25 + 0.75 * day


def trips_per_hour(ts: float) -> float:
    """How many trips an elevator makes an hour at this time, before per-car scaling."""
    hour, weekday = _local(ts)
    index = int(hour)
    frac = hour - index
    rate = _TRIPS[index] * (1.0 - frac) + _TRIPS[(index + 1) % 24] * frac
    return rate * (0.6 if weekday >= 5 else 1.0)


def _progress(truth: GroundTruth, ts: float) -> float:
    """How far degradation has gone: 0 at onset, 1 at the failure."""
    onset, failure = truth.onset.timestamp(), truth.failure.timestamp()
    return min(max((ts - onset) / (failure - onset), 0.0), 1.0)


class Plan(Protocol):
    """Where and when failures strike a fleet (`Planner`, `sensors_sim.wear.WearPlanner`)."""

    def affecting(self, device: Device, ts: float) -> GroundTruth | None: ...

    def failures(self, start: datetime, end: datetime) -> list[GroundTruth]: ...

    def false_alarms(self, start: datetime, end: datetime) -> list[FalseAlarm]: ...


class World:
    """Readings and alerts of a fleet for a seed; failures planted by `plan` (by default
    the demo site's fixed slots), and grid dips on sound panels (none by default)."""

    def __init__(
        self,
        fleet: Sequence[Device],
        seed: int,
        epoch: datetime = EPOCH,
        gaps: Mapping[str, timedelta] | None = None,
        plan: Plan | None = None,
        grid_dips: float = 0.0,
    ) -> None:
        self.fleet = list(fleet)
        #: How often a panel's voltage dips below 198 V at a reading, failing or not.
        self.grid_dips = grid_dips
        self.planner: Plan = plan or Planner(self.fleet, seed, epoch, gaps)
        self._keys = {d.device_id: device_key(seed, d.device_id) for d in self.fleet}

    def sample(self, device: Device, ts: float, dt_s: float) -> dict[str, float]:
        """The metrics `device` reports at POSIX time `ts`; counters cover the `dt_s` before."""
        key = self._keys[device.device_id]
        truth = self.planner.affecting(device, ts)
        if device.kind == "leak":
            return _leak(key, ts, truth)
        if device.kind == "power":
            return _power(key, ts, truth, self.grid_dips)
        return _elevator(key, ts, dt_s, truth)

    def failures(self, start: datetime, end: datetime) -> list[GroundTruth]:
        """The planted failures overlapping [start, end)."""
        return self.planner.failures(start, end)

    def alerts(self, start: datetime, end: datetime) -> list[Alert]:
        """The explicit alerts raised or cleared in [start, end), in time order."""
        found = [a for g in self.failures(start, end) for a in self._timeline(g)]
        found += [a for f in self.planner.false_alarms(start, end) for a in self._false(f)]
        return sorted(
            (a for a in found if start <= a.time < end),
            key=lambda a: (a.time, a.device_id, a.type, a.active),
        )

    def _false(self, f: FalseAlarm) -> list[Alert]:
        """A warning and its all-clear with no failure behind them."""
        loc = f.device.location
        where = f"{loc.asset or loc.unit}, floor {loc.floor}"
        kind, raised, calm = _warning(f.device.kind, self._keys[f.device.device_id])
        return [
            Alert(f.time, f.device.device_id, kind, True, raised, where),
            Alert(f.cleared, f.device.device_id, kind, False, calm, where),
        ]

    def _timeline(self, g: GroundTruth) -> list[Alert]:
        """The warning (when the degradation is strong enough), the failure and the
        all-clear of one planted failure."""
        onset, failure, cleared = g.onset, g.failure, g.cleared
        key = self._keys[g.device_id]
        loc = g.location
        where = f"{loc.asset or loc.unit}, floor {loc.floor}"
        warning, warned, calm = _warning(MODES[g.kind].device_kind, key)
        if g.kind == "elevator_fault":
            where = f"{where}: fault E{g.fault_code}"
            raised = [("elevator_fault", failure, {"fault_code": float(g.fault_code)})]
            ends = [("elevator_fault", cleared, {"fault_code": 0.0})]
            if g.entrapment_s:
                raised.append(("entrapment", failure, {"entrapment": 1.0}))
                ends.append(("entrapment", _at(failure, g.entrapment_s), {"entrapment": 0.0}))
        elif g.kind == "leak":
            raised = [("leak", failure, {"moisture": 95.0, "water_leak": 1.0})]
            ends = [("leak", cleared, calm)]
        else:
            raised = [("power_outage", failure, {"voltage": 0.0})]
            ends = [("power_outage", cleared, calm)]
        if g.strength >= WARN_STRENGTH:
            share = _warning_share(g, _base_moisture(key))
            raised.insert(
                0, (warning, _at(onset, (failure - onset).total_seconds() * share), warned)
            )
            ends.insert(0, (warning, cleared, calm))
        return [Alert(t, g.device_id, kind, True, r, where) for kind, t, r in raised] + [
            Alert(t, g.device_id, kind, False, r, where) for kind, t, r in ends
        ]


def _warning(device_kind: str, key: int) -> tuple[str, dict[str, float], dict[str, float]]:
    """A device kind's warning alert: its type, the readings it is raised and cleared with."""
    if device_kind == "leak":
        calm = {"moisture": round(_base_moisture(key), 1), "water_leak": 0.0}
        return "moisture_high", {"moisture": _MOISTURE_MAX + 0.5}, calm
    if device_kind == "power":
        return "voltage_out_of_range", {"voltage": 189.0}, {"voltage": 229.5}
    return "door_faults", {"door_faults": 5.0}, {"door_faults": 0.0}


def _warning_share(g: GroundTruth, base: float) -> float:
    """How far into the degradation its warning is raised: a riser when its moisture
    crosses the threshold, a panel at 60 %, an elevator at 70 %."""
    if g.kind == "leak":
        return min(1.0, math.sqrt((_MOISTURE_MAX - base) / (g.strength * (_MOISTURE_PEAK - base))))
    return 0.6 if g.kind == "power_outage" else 0.7


def _at(start: datetime, seconds: float) -> datetime:
    return start + timedelta(seconds=round(seconds))


def _base_moisture(key: int) -> float:
    """A leak sensor's usual moisture reading (%)."""
    return 18.0 + 14.0 * uniform(key, 0, 1)


def _leak(key: int, ts: float, truth: GroundTruth | None) -> dict[str, float]:
    tick = int(ts)
    base = _base_moisture(key)
    hour, _ = _local(ts)
    moisture = base + 1.5 * math.sin(2.0 * math.pi * (hour - 6.0) / 24.0)
    moisture += 1.2 * normal(key, tick, 2)
    leak = 0.0
    if truth is not None:
        if ts >= truth.failure.timestamp():
            leak, moisture = 1.0, 92.0 + 6.0 * uniform(key, tick, 3)
        else:
            moisture += (_MOISTURE_PEAK - base) * truth.strength * _progress(truth, ts) ** 2
    cycle = (ts / _BATTERY_CYCLE_S + uniform(key, 0, 4)) % 1.0
    return {
        "moisture": round(min(max(moisture, 0.0), 100.0), 1),
        "water_leak": leak,
        "battery": float(round(100.0 - 85.0 * cycle)),
    }


def _power(key: int, ts: float, truth: GroundTruth | None, dips: float) -> dict[str, float]:
    tick = int(ts)
    scale = 0.7 + 0.6 * uniform(key, 0, 5)
    current = scale * (12.0 + 50.0 * load_shape(ts)) * (1.0 + 0.05 * normal(key, tick, 6))
    voltage = 231.0 - 0.06 * current + 1.5 * normal(key, tick, 7)
    sag = dips
    if truth is not None:
        if ts >= truth.failure.timestamp():
            return {"voltage": round(3.0 * uniform(key, tick, 8), 1), "current": 0.0, "power": 0.0}
        x = truth.strength * _progress(truth, ts)
        current *= 1.0 + 0.35 * x
        sag += 0.03 * truth.strength + 0.5 * x * x
    if uniform(key, tick, 9) < sag:
        voltage = 176.0 + 21.0 * uniform(key, tick, 10)
    return {
        "voltage": round(voltage, 1),
        "current": round(current, 2),
        "power": round(voltage * current * 0.92, 1),
    }


def _elevator(key: int, ts: float, dt_s: float, truth: GroundTruth | None) -> dict[str, float]:
    tick = int(ts)
    fault_code = entrapment = mean_trips = 0.0
    p_door = 0.004
    broken = truth is not None and ts >= truth.failure.timestamp()
    if truth is not None and broken:
        trapped = ts < truth.failure.timestamp() + truth.entrapment_s
        fault_code, entrapment = float(truth.fault_code), 1.0 if trapped else 0.0
    else:
        scale = 0.8 + 0.4 * uniform(key, 0, 11)
        mean_trips = scale * trips_per_hour(ts) * dt_s / 3600.0
        if truth is not None:
            p_door += 0.08 * truth.strength * _progress(truth, ts) ** 2
    trips = poisson(mean_trips, uniform(key, tick, 12))
    door_faults = poisson(trips * p_door, uniform(key, tick, 13))
    power = 250.0 if broken else 600.0 + 110.0 * trips * 3600.0 / max(dt_s, 1.0)
    return {
        "fault_code": fault_code,
        "door_faults": float(door_faults),
        "entrapment": entrapment,
        "power": round(power, 1),
    }
