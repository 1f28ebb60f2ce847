"""Pure unit tests of alerts derived from telemetry (docs/mqtt.md, the detection table).

Every rule must raise once and clear once however many readings repeat the condition.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.ingestor.domain.detection import DEFAULT_THRESHOLDS, Detector
from services.ingestor.domain.model import (
    AlertSignal,
    AlertType,
    Device,
    DeviceKind,
    PayloadFormat,
    Reading,
)

T0 = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


def device(kind: DeviceKind, device_id: str = "dev-1", **thresholds: float) -> Device:
    return Device(device_id, kind, "site-a", "B1", "3", PayloadFormat.NATIVE, thresholds=thresholds)


class Feed:
    """A detector fed by one device at given seconds after T0; keeps what each step emitted."""

    def __init__(self, dev: Device, detector: Detector | None = None) -> None:
        self.device = dev
        self.detector = detector or Detector()

    def at(self, seconds: float, **metrics: float) -> list[tuple[AlertType, bool]]:
        reading = Reading(self.device.device_id, T0 + timedelta(seconds=seconds), metrics)
        signals = self.detector.observe(self.device, reading)
        for signal in signals:
            assert signal.device_id == self.device.device_id
            assert signal.time == reading.time
            assert signal.readings == metrics
            assert signal.detail
        return [(signal.alert_type, signal.active) for signal in signals]


LEAK, MOISTURE = AlertType.LEAK, AlertType.MOISTURE_HIGH
RANGE, OUTAGE = AlertType.VOLTAGE_OUT_OF_RANGE, AlertType.POWER_OUTAGE
FAULT, TRAPPED, DOORS = AlertType.ELEVATOR_FAULT, AlertType.ENTRAPMENT, AlertType.DOOR_FAULTS


def test_defaults_are_the_documented_ones() -> None:
    assert dict(DEFAULT_THRESHOLDS) == {
        "moisture_max": 60,
        "voltage_min": 198,
        "voltage_max": 242,
        "outage_hold_s": 30,
        "door_fault_window_s": 3600,
        "door_fault_limit": 5,
    }


# ---------------------------------------------------------------------------------------
# Leak
# ---------------------------------------------------------------------------------------


def test_water_leak_raises_once_and_clears_once() -> None:
    feed = Feed(device(DeviceKind.LEAK))
    assert feed.at(0, water_leak=0) == []
    assert feed.at(60, water_leak=1) == [(LEAK, True)]
    assert feed.at(120, water_leak=1) == []
    assert feed.at(180, water_leak=0) == [(LEAK, False)]
    assert feed.at(240, water_leak=0) == []
    assert feed.at(300, water_leak=1) == [(LEAK, True)]


def test_water_leak_signal_carries_readings_and_detail() -> None:
    detector = Detector()
    reading = Reading("dev-1", T0, {"water_leak": 1.0, "battery": 87.0})
    assert detector.observe(device(DeviceKind.LEAK), reading) == [
        AlertSignal("dev-1", T0, LEAK, True, {"water_leak": 1.0, "battery": 87.0}, "water detected")
    ]


def test_moisture_hysteresis() -> None:
    feed = Feed(device(DeviceKind.LEAK))
    assert feed.at(0, moisture=60) == []  # at the maximum is not above it
    assert feed.at(60, moisture=61) == [(MOISTURE, True)]
    assert feed.at(120, moisture=75) == []
    assert feed.at(180, moisture=58) == []  # below the maximum, within the hysteresis
    assert feed.at(240, moisture=55) == []  # the clear level itself does not clear
    assert feed.at(300, moisture=54.9) == [(MOISTURE, False)]
    assert feed.at(360, moisture=58) == []
    assert feed.at(420, moisture=60.5) == [(MOISTURE, True)]


def test_moisture_threshold_override() -> None:
    feed = Feed(device(DeviceKind.LEAK, moisture_max=80))
    assert feed.at(0, moisture=79) == []
    assert feed.at(60, moisture=81) == [(MOISTURE, True)]
    assert feed.at(120, moisture=76) == []
    assert feed.at(180, moisture=74) == [(MOISTURE, False)]


def test_leak_and_moisture_in_one_reading() -> None:
    feed = Feed(device(DeviceKind.LEAK))
    assert feed.at(0, water_leak=1, moisture=90) == [(LEAK, True), (MOISTURE, True)]
    assert feed.at(60, water_leak=0, moisture=10) == [(LEAK, False), (MOISTURE, False)]


# ---------------------------------------------------------------------------------------
# Power
# ---------------------------------------------------------------------------------------


def test_voltage_out_of_range_raises_once_and_clears_once() -> None:
    feed = Feed(device(DeviceKind.POWER))
    assert feed.at(0, voltage=230) == []
    assert feed.at(10, voltage=198) == []  # the range includes its limits
    assert feed.at(20, voltage=242) == []
    assert feed.at(30, voltage=242.1) == [(RANGE, True)]
    assert feed.at(40, voltage=250) == []
    assert feed.at(50, voltage=190) == []  # from too high to too low is still out of range
    assert feed.at(60, voltage=229) == [(RANGE, False)]
    assert feed.at(70, voltage=229) == []


def test_voltage_range_override() -> None:
    feed = Feed(device(DeviceKind.POWER, voltage_min=207, voltage_max=253))
    assert feed.at(0, voltage=250) == []
    assert feed.at(10, voltage=205) == [(RANGE, True)]
    assert feed.at(20, voltage=210) == [(RANGE, False)]


def test_power_outage_needs_the_hold_time() -> None:
    feed = Feed(device(DeviceKind.POWER))
    assert feed.at(0, voltage=230) == []
    assert feed.at(100, voltage=0) == []  # near 0 V starts the hold time; it is no bad voltage
    assert feed.at(110, voltage=3) == []
    assert feed.at(129, voltage=0) == []
    assert feed.at(130, voltage=0) == [(OUTAGE, True)]  # at the hold time
    assert feed.at(160, voltage=0) == []
    assert feed.at(170, voltage=229) == [(OUTAGE, False)]
    assert feed.at(180, voltage=229) == []


def test_power_outage_raises_at_the_first_reading_after_the_hold_time() -> None:
    feed = Feed(device(DeviceKind.POWER))
    assert feed.at(0, voltage=0) == []
    assert feed.at(45, voltage=0) == [(OUTAGE, True)]


def test_power_outage_hold_restarts_when_voltage_returns() -> None:
    feed = Feed(device(DeviceKind.POWER))
    assert feed.at(0, voltage=0) == []
    assert feed.at(20, voltage=120) == [(RANGE, True)]  # power back, but a bad voltage
    assert feed.at(25, voltage=0) == []  # the hold time restarts
    assert feed.at(50, voltage=0) == []  # 25 s since it fell again
    assert feed.at(55, voltage=0) == [(OUTAGE, True)]


def test_power_back_clears_the_outage_and_judges_the_voltage() -> None:
    feed = Feed(device(DeviceKind.POWER))
    assert feed.at(0, voltage=0) == []
    assert feed.at(30, voltage=0) == [(OUTAGE, True)]
    assert feed.at(40, voltage=150) == [(RANGE, True), (OUTAGE, False)]
    assert feed.at(60, voltage=220) == [(RANGE, False)]


def test_power_outage_hold_override() -> None:
    feed = Feed(device(DeviceKind.POWER, outage_hold_s=0))
    assert feed.at(0, voltage=5) == [(OUTAGE, True)]
    feed = Feed(device(DeviceKind.POWER, outage_hold_s=120))
    assert feed.at(0, voltage=5) == []
    assert feed.at(119, voltage=5) == []
    assert feed.at(120, voltage=5) == [(OUTAGE, True)]


def test_readings_without_the_metric_change_nothing() -> None:
    feed = Feed(device(DeviceKind.POWER))
    assert feed.at(0, voltage=0) == []
    assert feed.at(40, current=0) == []
    assert feed.at(50, voltage=0) == [(OUTAGE, True)]


# ---------------------------------------------------------------------------------------
# Elevator
# ---------------------------------------------------------------------------------------


def test_elevator_fault_code() -> None:
    feed = Feed(device(DeviceKind.ELEVATOR))
    assert feed.at(0, fault_code=0) == []
    assert feed.at(10, fault_code=17) == [(FAULT, True)]
    assert feed.at(20, fault_code=17) == []
    assert feed.at(30, fault_code=23) == []  # another fault while one is raised
    assert feed.at(40, fault_code=0) == [(FAULT, False)]
    assert feed.at(50, fault_code=0) == []


def test_entrapment() -> None:
    feed = Feed(device(DeviceKind.ELEVATOR))
    assert feed.at(0, entrapment=1) == [(TRAPPED, True)]
    assert feed.at(10, entrapment=1) == []
    assert feed.at(20, entrapment=0) == [(TRAPPED, False)]
    assert feed.at(30, entrapment=0) == []


def test_door_faults_over_the_sliding_window() -> None:
    feed = Feed(device(DeviceKind.ELEVATOR))
    assert feed.at(0, door_faults=2) == []
    assert feed.at(600, door_faults=2) == []
    assert feed.at(1200, door_faults=1) == [(DOORS, True)]  # 5 within the hour: the limit
    assert feed.at(1800, door_faults=0) == []
    assert feed.at(2400, door_faults=1) == []  # 6
    assert feed.at(3599, door_faults=0) == []  # the first report is still in the window
    assert feed.at(3600, door_faults=0) == [(DOORS, False)]  # its 2 leave: 4
    assert feed.at(4200, door_faults=0) == []


def test_door_faults_window_slides_with_any_reading_and_raises_again() -> None:
    feed = Feed(device(DeviceKind.ELEVATOR))
    assert feed.at(0, door_faults=3) == []
    assert feed.at(1000, door_faults=2) == [(DOORS, True)]
    assert feed.at(3600, fault_code=0) == [(DOORS, False)]  # the 3 at 0 s left the window
    assert feed.at(3700, door_faults=0) == []
    assert feed.at(3800, door_faults=3) == [(DOORS, True)]  # 2 + 3
    assert feed.at(4600, entrapment=0) == [(DOORS, False)]  # the 2 at 1000 s left


def test_door_fault_window_and_limit_override() -> None:
    feed = Feed(device(DeviceKind.ELEVATOR, door_fault_window_s=60, door_fault_limit=2))
    assert feed.at(0, door_faults=1) == []
    assert feed.at(61, door_faults=1) == []  # the first left the window
    assert feed.at(90, door_faults=1) == [(DOORS, True)]
    assert feed.at(150, door_faults=0) == [(DOORS, False)]


# ---------------------------------------------------------------------------------------
# Isolation and forgetting
# ---------------------------------------------------------------------------------------


def test_only_the_rules_of_the_device_kind_apply() -> None:
    everything = {
        "water_leak": 1.0,
        "moisture": 99.0,
        "voltage": 0.0,
        "fault_code": 9.0,
        "entrapment": 1.0,
        "door_faults": 50.0,
    }
    found = {}
    for kind in DeviceKind:
        feed = Feed(device(kind))
        found[kind] = sorted(feed.at(0, **everything) + feed.at(3000, **everything))
    assert found == {
        DeviceKind.LEAK: [(LEAK, True), (MOISTURE, True)],
        DeviceKind.POWER: [(OUTAGE, True)],
        DeviceKind.ELEVATOR: [(DOORS, True), (FAULT, True), (TRAPPED, True)],
    }


def test_devices_are_independent() -> None:
    detector = Detector()
    first = Feed(device(DeviceKind.POWER, "meter-1"), detector)
    second = Feed(device(DeviceKind.POWER, "meter-2"), detector)
    assert first.at(0, voltage=0) == []
    assert second.at(20, voltage=0) == []
    assert first.at(30, voltage=0) == [(OUTAGE, True)]
    assert second.at(40, voltage=0) == []
    assert second.at(50, voltage=0) == [(OUTAGE, True)]
    assert first.at(60, voltage=230) == [(OUTAGE, False)]
    assert second.at(60, voltage=0) == []


def test_forget_drops_the_device_state() -> None:
    detector = Detector()
    feed = Feed(device(DeviceKind.LEAK), detector)
    other = Feed(device(DeviceKind.LEAK, "dev-2"), detector)
    assert feed.at(0, water_leak=1) == [(LEAK, True)]
    assert other.at(0, water_leak=1) == [(LEAK, True)]
    detector.forget("dev-1")
    detector.forget("never-seen")
    assert feed.at(60, water_leak=0) == []  # nothing raised any more, so nothing to clear
    assert feed.at(120, water_leak=1) == [(LEAK, True)]
    assert other.at(60, water_leak=1) == []
