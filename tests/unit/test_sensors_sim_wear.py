"""The park and its wear-out failures: deterministic, renewed by maintenance, with
precursors of varying strength and false alarms."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from sensors_sim.failures import SITE_TZ
from sensors_sim.park import build_park, park_units
from sensors_sim.wear import WearPlanner
from sensors_sim.world import WARN_STRENGTH, World

SEED = 5
PARK = build_park(assets=300)
START = datetime(2021, 1, 1, tzinfo=SITE_TZ)
END = datetime(2026, 1, 1, tzinfo=SITE_TZ)


def test_the_park_has_many_assets_of_each_failing_kind_one_device_each() -> None:
    kinds = [d.kind for d in PARK]
    assert len(PARK) == 297 and kinds.count("elevator") == 33
    assert kinds.count("leak") == kinds.count("power") == 132
    assert len({d.location.asset for d in PARK}) == len(PARK)
    places = park_units(assets=300)
    assert {(p.building, p.floor) for p in places} == {
        (d.location.building, d.location.floor) for d in PARK if d.kind != "elevator"
    }
    assert sum(bool(p.unit) for p in places) == 2 * 132
    assert len(build_park(assets=1000)) == 37 * 27


@settings(max_examples=8, deadline=None)
@given(st.integers(min_value=1, max_value=800), st.integers(min_value=1, max_value=60))
def test_any_window_sees_the_same_failures_whatever_was_asked_before(
    offset_days: int, width_days: int
) -> None:
    lo = START + timedelta(days=offset_days)
    hi = lo + timedelta(days=width_days)
    fresh = WearPlanner(PARK, SEED)
    warmed = WearPlanner(PARK, SEED)
    warmed.failures(START, END)  # drawn much further first
    assert fresh.failures(lo, hi) == warmed.failures(lo, hi)
    assert fresh.visits(lo, hi) == warmed.visits(lo, hi)
    assert fresh.false_alarms(lo, hi) == warmed.false_alarms(lo, hi)
    device = PARK[offset_days % len(PARK)]
    ts = lo.timestamp()
    assert WearPlanner(PARK, SEED).affecting(device, ts) == warmed.affecting(device, ts)


def test_failures_are_rare_on_each_asset_and_do_not_recur_on_a_cycle() -> None:
    failures = WearPlanner(PARK, SEED).failures(START, END)
    years = (END - START).days / 365.0
    per_week = len(failures) / (52 * years)
    assert 3.0 < per_week < 9.0
    by_device: dict[str, list[datetime]] = {}
    for g in failures:
        by_device.setdefault(g.device_id, []).append(g.failure)
    assert len(by_device) > 0.8 * len(PARK)
    gaps = [(b - a).days for times in by_device.values() for a, b in pairwise(times)]
    assert min(gaps) < 60 and max(gaps) > 700  # no fixed cycle
    assert WearPlanner(PARK, SEED + 1).failures(START, END) != failures


def test_a_maintenance_visit_renews_the_asset() -> None:
    """Failures in the 60 days after a visit are far rarer than in the 60 days before it,
    when the asset was old: the hazard grows with the age, and the visit resets it."""
    planner = WearPlanner(PARK, SEED)
    failures = planner.failures(START, END)
    visits = planner.visits(START, END)
    assert len(visits) > 2 * len(PARK)
    struck: dict[str, list[datetime]] = {}
    for g in failures:
        struck.setdefault(g.device_id, []).append(g.failure)
    window = timedelta(days=60)
    after = before = 0
    for v in visits:
        times = struck.get(v.device.device_id, [])
        after += sum(v.time < t <= v.time + window for t in times)
        before += sum(v.time - window <= t < v.time for t in times)
    assert after * 3 < before


def test_no_failure_strikes_soon_after_a_renewal_more_than_late() -> None:
    """The age at failure (since the last visit or repair) is seldom short."""
    planner = WearPlanner(PARK, SEED)
    failures = planner.failures(START, END)
    renewals: dict[str, list[datetime]] = {}
    for when, device_id in [(v.time, v.device.device_id) for v in planner.visits(START, END)] + [
        (g.cleared, g.device_id) for g in failures
    ]:
        renewals.setdefault(device_id, []).append(when)
    ages = []
    for g in failures:
        earlier = [r for r in renewals[g.device_id] if r < g.onset]
        if earlier:
            ages.append((g.failure - max(earlier)).days)
    assert ages and sum(a < 30 for a in ages) < 0.05 * len(ages)


def test_precursors_vary_some_failures_warn_some_drift_some_give_no_sign() -> None:
    planner = WearPlanner(PARK, SEED)
    world = World(PARK, SEED, plan=planner)
    failures = planner.failures(START, END)
    silent = [g for g in failures if g.strength == 0.0]
    warned = [g for g in failures if g.strength >= WARN_STRENGTH]
    drifting = [g for g in failures if 0.0 < g.strength < WARN_STRENGTH]
    assert all(len(group) > 0.1 * len(failures) for group in (silent, warned, drifting))
    for group, warns in ((silent, False), (drifting, False), (warned, True)):
        for g in group[:10]:
            before = world.alerts(g.onset, g.failure)
            own = [a for a in before if a.device_id == g.device_id and a.active]
            true_warnings = [a for a in own if not _false(planner, a.device_id, a.time)]
            assert bool(true_warnings) is warns, g


def _false(planner: WearPlanner, device_id: str, when: datetime) -> bool:
    return any(
        f.device.device_id == device_id and f.time == when
        for f in planner.false_alarms(when, when + timedelta(seconds=1))
    )


def test_a_silent_failure_leaves_the_readings_as_they_were_until_it_strikes() -> None:
    planner = WearPlanner(PARK, SEED)
    world = World(PARK, SEED, plan=planner)
    quiet = World(PARK, SEED, plan=WearPlanner([], SEED))
    devices = {d.device_id: d for d in PARK}
    silent = [g for g in planner.failures(START, END) if g.strength == 0.0][:5]
    assert silent
    for g in silent:
        device = devices[g.device_id]
        ts = (g.onset + (g.failure - g.onset) / 2).timestamp()
        assert world.sample(device, ts, 10800) == quiet.sample(device, ts, 10800)
        late = (g.failure + timedelta(seconds=1)).timestamp()
        assert world.sample(device, late, 10800) != quiet.sample(device, late, 10800)


def test_false_alarms_are_warnings_with_no_failure_behind_them() -> None:
    planner = WearPlanner(PARK, SEED)
    world = World(PARK, SEED, plan=planner)
    lo, hi = START, START + timedelta(days=90)
    false = planner.false_alarms(lo, hi)
    assert len(false) > 0.3 * len(PARK)
    raised = {(a.device_id, a.time) for a in world.alerts(lo, hi) if a.active}
    assert {(f.device.device_id, f.time) for f in false} <= raised
    kinds = {a.type for a in world.alerts(lo, hi) if (a.device_id, a.time) in raised}
    assert {"moisture_high", "voltage_out_of_range", "door_faults"} <= kinds
