"""Alerts derived from telemetry, by device kind (docs/mqtt.md, "Alerts derived from telemetry").

`Detector` keeps, per device, which derived alerts are raised, since when the voltage has
been below the outage level, and the door faults counted in the window. It emits a signal
only when an alert changes state: once when raised, once when cleared. Readings count in
the order they arrive. The state lives in memory, so after a restart nothing is raised.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType

from services.ingestor.domain.model import AlertSignal, AlertType, Device, DeviceKind, Reading

__all__ = ["DEFAULT_THRESHOLDS", "MOISTURE_HYSTERESIS", "OUTAGE_VOLTAGE", "Detector"]

#: Thresholds a device's registry entry may override.
DEFAULT_THRESHOLDS: Mapping[str, float] = MappingProxyType(
    {
        "moisture_max": 60,
        "voltage_min": 198,
        "voltage_max": 242,
        "outage_hold_s": 30,
        "door_fault_window_s": 3600,
        "door_fault_limit": 5,
    }
)
#: `moisture_high` clears only below the maximum minus this (percentage points).
MOISTURE_HYSTERESIS = 5.0
#: Below this voltage (V) the supply is out, once it has lasted the hold time.
OUTAGE_VOLTAGE = 20.0


@dataclass(slots=True)
class _State:
    raised: set[AlertType] = field(default_factory=set)
    low_voltage_since: datetime | None = None
    door_faults: deque[tuple[datetime, float]] = field(default_factory=deque)


#: A rule's finding on one reading: the alert, whether it should be raised (or cleared), why.
_Finding = tuple[AlertType, bool, str]
_Rule = Callable[[_State, Device, Reading], Iterator[_Finding]]


def _threshold(device: Device, name: str) -> float:
    return device.thresholds.get(name, DEFAULT_THRESHOLDS[name])


def _leak(state: _State, device: Device, reading: Reading) -> Iterator[_Finding]:
    if (leak := reading.metrics.get("water_leak")) is not None:
        yield AlertType.LEAK, leak != 0, "water detected" if leak else "dry again"
    if (moisture := reading.metrics.get("moisture")) is not None:
        high = _threshold(device, "moisture_max")
        if moisture > high:
            yield AlertType.MOISTURE_HIGH, True, f"moisture {moisture:g}% above {high:g}%"
        elif moisture < high - MOISTURE_HYSTERESIS:
            low = high - MOISTURE_HYSTERESIS
            yield AlertType.MOISTURE_HIGH, False, f"moisture {moisture:g}% back below {low:g}%"


def _power(state: _State, device: Device, reading: Reading) -> Iterator[_Finding]:
    if (voltage := reading.metrics.get("voltage")) is None:
        return
    if voltage >= OUTAGE_VOLTAGE:
        # Supply is there: judge its quality. (Near 0 V is an outage, not a bad voltage,
        # so one outage opens one ticket.)
        low, high = _threshold(device, "voltage_min"), _threshold(device, "voltage_max")
        in_range = low <= voltage <= high
        where = "back within" if in_range else "outside"
        yield (
            AlertType.VOLTAGE_OUT_OF_RANGE,
            not in_range,
            f"{voltage:g} V {where} {low:g}-{high:g} V",
        )
        state.low_voltage_since = None
        yield AlertType.POWER_OUTAGE, False, f"power back at {voltage:g} V"
        return
    if state.low_voltage_since is None:
        state.low_voltage_since = reading.time
    held = (reading.time - state.low_voltage_since).total_seconds()
    if held >= _threshold(device, "outage_hold_s"):
        yield AlertType.POWER_OUTAGE, True, f"{voltage:g} V for {held:g} s"


def _elevator(state: _State, device: Device, reading: Reading) -> Iterator[_Finding]:
    if (code := reading.metrics.get("fault_code")) is not None:
        yield AlertType.ELEVATOR_FAULT, code != 0, f"fault code {code:g}"
    if (trapped := reading.metrics.get("entrapment")) is not None:
        yield AlertType.ENTRAPMENT, trapped != 0, "passenger trapped" if trapped else "released"
    window = _threshold(device, "door_fault_window_s")
    limit = _threshold(device, "door_fault_limit")
    if (faults := reading.metrics.get("door_faults")) is not None:
        state.door_faults.append((reading.time, faults))
    start = reading.time - timedelta(seconds=window)
    while state.door_faults and state.door_faults[0][0] <= start:
        state.door_faults.popleft()
    total = sum(count for _, count in state.door_faults)
    detail = f"{total:g} door faults in the last {window:g} s (limit {limit:g})"
    yield AlertType.DOOR_FAULTS, total >= limit, detail


_RULES: Mapping[DeviceKind, _Rule] = {
    DeviceKind.LEAK: _leak,
    DeviceKind.POWER: _power,
    DeviceKind.ELEVATOR: _elevator,
}


class Detector:
    """Derived alerts for every device, from the readings it has seen so far."""

    def __init__(self) -> None:
        self._states: dict[str, _State] = {}

    def observe(self, device: Device, reading: Reading) -> list[AlertSignal]:
        """The alerts this reading raises or clears; nothing when none changes state."""
        state = self._states.setdefault(device.device_id, _State())
        signals: list[AlertSignal] = []
        for alert_type, active, detail in _RULES[device.kind](state, device, reading):
            if active == (alert_type in state.raised):
                continue
            if active:
                state.raised.add(alert_type)
            else:
                state.raised.discard(alert_type)
            signals.append(
                AlertSignal(
                    device.device_id, reading.time, alert_type, active, reading.metrics, detail
                )
            )
        return signals

    def forget(self, device_id: str) -> None:
        """Drop what is known of a device (removed from the registry, or its kind changed)."""
        self._states.pop(device_id, None)
