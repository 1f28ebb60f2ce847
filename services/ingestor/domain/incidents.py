"""One problem, one ticket: how an alert signal changes the incidents it belongs to.

An incident is keyed by alert type and its first device. A signal from a device that
already belongs to an open incident of its type repeats (or clears) it; a signal from a
new device on a floor where the same alert opened an incident within the roll-up window
joins that incident; anything else opens a new one. Repeats add a ticket event at most
once per `repeat_every`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.ingestor.domain.model import ALERT_PRIORITY, AlertSignal, Device

__all__ = ["Incident", "Outcome", "TicketNote", "apply_signal", "rollup_key"]


@dataclass(slots=True)
class Incident:
    """An open problem at one place, told to intake as one ticket."""

    id: str
    rollup_key: str
    alert_type: str
    site: str
    building: str
    floor: str
    devices: list[str]
    priority: str
    opened_at: datetime
    last_signal_at: datetime
    last_note_at: datetime
    occurrences: int = 1
    cleared_at: datetime | None = None
    ticket_id: str | None = None
    readings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TicketNote:
    """An activity to record on the incident's ticket (`sensor_repeat`, `sensor_clear`, ...)."""

    activity: str
    note: str
    payload: dict[str, object]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a signal did: the incident it touched (None when ignored), whether that incident
    is new (its ticket must be opened), and any note for an existing ticket."""

    incident: Incident | None
    opened: bool = False
    note: TicketNote | None = None


def rollup_key(device_id: str, alert_type: str) -> str:
    return f"{device_id}:{alert_type}"


def _readings(signal: AlertSignal) -> dict[str, float]:
    return {k: float(v) for k, v in signal.readings.items()}


def _open(signal: AlertSignal, device: Device) -> Incident:
    return Incident(
        id=str(uuid.uuid4()),
        rollup_key=rollup_key(device.device_id, signal.alert_type.value),
        alert_type=signal.alert_type.value,
        site=device.site,
        building=device.building,
        floor=device.floor,
        devices=[device.device_id],
        priority=ALERT_PRIORITY[signal.alert_type],
        opened_at=signal.time,
        last_signal_at=signal.time,
        last_note_at=signal.time,
        readings=_readings(signal),
    )


def apply_signal(
    signal: AlertSignal,
    device: Device,
    mine: Incident | None,
    on_floor: Incident | None,
    *,
    rollup_window: timedelta,
    repeat_every: timedelta,
) -> Outcome:
    """Apply one new signal. `mine` is the open incident of this type that already lists the
    device; `on_floor` the most recent open incident of this type on the device's floor."""
    payload: dict[str, object] = {"device_id": device.device_id, "alert_type": signal.alert_type.value,
                                  "readings": _readings(signal), "time": signal.time.isoformat()}  # fmt: skip
    if not signal.active:
        if mine is None:
            return Outcome(None)
        mine.cleared_at = signal.time
        mine.last_signal_at = max(mine.last_signal_at, signal.time)
        return Outcome(
            mine, note=TicketNote("sensor_clear", f"{device.device_id}: cleared", payload)
        )
    if mine is not None:
        mine.occurrences += 1
        mine.last_signal_at = max(mine.last_signal_at, signal.time)
        mine.readings.update(_readings(signal))
        was_cleared, mine.cleared_at = mine.cleared_at, None
        if was_cleared is None and signal.time - mine.last_note_at < repeat_every:
            return Outcome(mine)
        mine.last_note_at = signal.time
        payload["occurrences"] = mine.occurrences
        why = (
            "raised again after it cleared"
            if was_cleared
            else f"repeated ({mine.occurrences} times)"
        )
        return Outcome(
            mine, note=TicketNote("sensor_repeat", f"{device.device_id}: {why}", payload)
        )
    if on_floor is not None and signal.time - on_floor.opened_at <= rollup_window:
        on_floor.devices.append(device.device_id)
        on_floor.occurrences += 1
        on_floor.last_signal_at = max(on_floor.last_signal_at, signal.time)
        payload["devices"] = list(on_floor.devices)
        note = f"{device.device_id} raised the same alert on this floor ({len(on_floor.devices)} devices)"
        return Outcome(on_floor, note=TicketNote("sensor_device_added", note, payload))
    return Outcome(_open(signal, device), opened=True)
