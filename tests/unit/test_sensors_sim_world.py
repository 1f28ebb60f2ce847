"""The simulator's physics: deterministic, daily patterns, degradation before failures."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta

import pytest

from sensors_sim.failures import MODES, SITE_TZ, GroundTruth
from sensors_sim.fleet import Device, build_fleet
from sensors_sim.world import World

FLEET = build_fleet()
BY_ID = {d.device_id: d for d in FLEET}
END = datetime(2026, 11, 1, tzinfo=SITE_TZ)
START = END - timedelta(days=365)
DOC_METRICS = {
    "voltage", "current", "power", "moisture", "water_leak", "fault_code", "door_faults",
    "entrapment", "battery",
}  # fmt: skip
DOC_ALERTS = {
    "leak", "moisture_high", "power_outage", "voltage_out_of_range", "elevator_fault",
    "door_faults", "entrapment",
}  # fmt: skip
STEP_S = 900


def series(world: World, device: Device, start: datetime, end: datetime) -> list[dict[str, float]]:
    first, last = int(start.timestamp()), int(end.timestamp())
    return [world.sample(device, ts, STEP_S) for ts in range(first, last, STEP_S)]


def failures_of(world: World, kind: str) -> list[GroundTruth]:
    found = [g for g in world.failures(START, END) if g.kind == kind and g.onset >= START]
    assert found, kind
    return found


def test_same_seed_same_series_same_truth_same_alerts() -> None:
    one, two = World(FLEET, seed=11), World(build_fleet(), seed=11)
    for device_id in ("leak-A-03-riser", "power-B-07", "elev-A-E1", "leak-B-502"):
        day = (START, START + timedelta(days=3))
        assert series(one, BY_ID[device_id], *day) == series(two, BY_ID[device_id], *day)
    assert one.failures(START, END) == two.failures(START, END)
    assert one.alerts(START, END) == two.alerts(START, END)
    assert World(FLEET, seed=12).failures(START, END) != one.failures(START, END)


def test_history_does_not_depend_on_the_window_or_the_order_of_questions() -> None:
    world = World(FLEET, seed=5)
    late = [world.sample(BY_ID["power-A-02"], ts, STEP_S) for ts in range(10**9, 10**9 + 9000, 900)]
    fresh = World(FLEET, seed=5)
    early = [
        fresh.sample(BY_ID["power-A-02"], ts, STEP_S) for ts in range(10**9, 10**9 + 9000, 900)
    ]
    assert late == early
    middle = (START + timedelta(days=100), START + timedelta(days=200))
    assert set(world.failures(*middle)) <= set(world.failures(START, END))
    assert all(g.onset < middle[1] and g.cleared > middle[0] for g in world.failures(*middle))


def test_a_year_plants_failures_of_every_mode_in_every_building() -> None:
    found = World(FLEET, seed=1).failures(START, END)
    assert {(g.kind, g.location.building) for g in found} == {
        (kind, b) for kind in MODES for b in ("A", "B")
    }
    for g in found:
        assert g.onset < g.failure < g.cleared
        assert BY_ID[g.device_id].kind == MODES[g.kind].device_kind
        assert g.location == BY_ID[g.device_id].location
    assert all(BY_ID[g.device_id].is_riser for g in found if g.kind == "leak")
    assert any(g.entrapment_s for g in found if g.kind == "elevator_fault")


def test_readings_use_the_documented_metric_names() -> None:
    world = World(FLEET, seed=2)
    for device in FLEET:
        metrics = world.sample(device, START.timestamp(), STEP_S)
        assert set(metrics) <= DOC_METRICS
        assert all(isinstance(v, float) for v in metrics.values())


def test_ageing_riser_moisture_creeps_up_before_it_leaks() -> None:
    world = World(FLEET, seed=3)
    for g in failures_of(world, "leak"):
        device = BY_ID[g.device_id]
        before = series(world, device, g.onset - timedelta(days=2), g.onset)
        creeping = series(world, device, g.onset, g.failure)
        leaking = series(world, device, g.failure, g.cleared)
        after = series(world, device, g.cleared, g.cleared + timedelta(days=1))
        assert max(r["moisture"] for r in before) < 45 and not any(r["water_leak"] for r in before)
        tenth = max(len(creeping) // 10, 1)
        early = statistics.mean(r["moisture"] for r in creeping[:tenth])
        late = statistics.mean(r["moisture"] for r in creeping[-tenth:])
        assert late > early + 25 and late > 60
        assert not any(r["water_leak"] for r in creeping)
        assert all(r["water_leak"] == 1 and r["moisture"] > 90 for r in leaking)
        assert max(r["moisture"] for r in after) < 45 and not any(r["water_leak"] for r in after)


def test_overloaded_panel_sags_ever_more_often_then_blacks_out() -> None:
    world = World(FLEET, seed=4)
    for g in failures_of(world, "power_outage"):
        device = BY_ID[g.device_id]
        before = series(world, device, g.onset - timedelta(days=3), g.onset)
        degrading = series(world, device, g.onset, g.failure)
        out = series(world, device, g.failure, g.cleared)
        assert all(r["voltage"] > 220 for r in before)
        half = len(degrading) // 2
        sags = [
            sum(r["voltage"] < 198 for r in part) for part in (degrading[:half], degrading[half:])
        ]
        assert 0 < sags[0] < sags[1]
        assert all(r["voltage"] < 20 and r["power"] == 0 for r in out)


def test_busy_elevator_doors_fault_more_before_it_breaks_down() -> None:
    world = World(FLEET, seed=6)
    for g in failures_of(world, "elevator_fault"):
        device = BY_ID[g.device_id]
        before = series(world, device, g.onset - timedelta(days=3), g.onset)
        degrading = series(world, device, g.onset, g.failure)
        broken = series(world, device, g.failure, g.cleared)
        quarter = len(degrading) // 4
        first = sum(r["door_faults"] for r in degrading[:quarter])
        last = sum(r["door_faults"] for r in degrading[-quarter:])
        assert last > 3 * max(first, 1) and last > sum(r["door_faults"] for r in before)
        assert all(r["fault_code"] == 0 and r["entrapment"] == 0 for r in before + degrading)
        assert all(r["fault_code"] == g.fault_code != 0 for r in broken)
        trapped = [r["entrapment"] for r in broken]
        assert sum(trapped) == (-(-g.entrapment_s // STEP_S) if g.entrapment_s else 0)


def _mean_at(world: World, device: Device, metric: str, hours: range) -> float:
    """The mean of `metric` at `hours` over Monday to Thursday of one week."""
    monday = datetime(2026, 3, 2, tzinfo=SITE_TZ)
    values = [
        world.sample(device, (monday + timedelta(days=d, hours=h)).timestamp(), STEP_S)[metric]
        for d in range(4)
        for h in hours
    ]
    return statistics.mean(values)


@pytest.mark.parametrize("device_id", ["power-A-01", "power-B-09"])
def test_power_draw_is_higher_in_working_hours(device_id: str) -> None:
    world = World(FLEET, seed=8)
    office = _mean_at(world, BY_ID[device_id], "current", range(10, 17))
    night = _mean_at(world, BY_ID[device_id], "current", range(1, 5))
    assert office > 2.0 * night


def test_elevators_are_busiest_at_the_peaks() -> None:
    world = World(FLEET, seed=8)
    car = BY_ID["elev-B-E2"]
    assert _mean_at(world, car, "power", range(8, 9)) > 3 * _mean_at(
        world, car, "power", range(2, 4)
    )


def test_alerts_warn_then_strike_then_clear() -> None:
    world = World(FLEET, seed=9)
    alerts = world.alerts(START, END)
    assert {a.type for a in alerts} == DOC_ALERTS
    assert [a.time for a in alerts] == sorted(a.time for a in alerts)
    for g in world.failures(START, END):
        if g.onset < START or g.cleared >= END:
            continue
        mine = [a for a in alerts if a.device_id == g.device_id and g.onset <= a.time <= g.cleared]
        warning, strike = mine[0], next(a for a in mine if a.time == g.failure)
        assert warning.active and warning.type in {
            "moisture_high",
            "voltage_out_of_range",
            "door_faults",
        }
        assert g.onset < warning.time < g.failure
        assert strike.active and strike.type in {
            "leak",
            "power_outage",
            "elevator_fault",
            "entrapment",
        }
        raised = {a.type for a in mine if a.active}
        assert raised == {a.type for a in mine if not a.active}
        assert all(a.time <= g.cleared for a in mine if not a.active)
        assert all(isinstance(v, float) for a in mine for v in a.readings.values())


def test_a_short_run_window_holds_one_failure_of_each_mode_per_building() -> None:
    start = datetime(2026, 11, 22, 10, 0, tzinfo=SITE_TZ)
    span = timedelta(days=2)
    world = World(FLEET, seed=1, epoch=start, gaps=dict.fromkeys(MODES, span))
    found = world.failures(start, start + span)
    assert len(found) == 6
    assert all(start <= g.onset and g.cleared <= start + span for g in found)
    assert len(world.alerts(start, start + span)) >= 4 * len(found)
