"""Features as of a day: what they count, and that nothing from the day on leaks in."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from ml.features import FeatureSpec, Panel, features
from ml.grid import Days
from ml.history import ALARM_COLUMNS, TELEMETRY_COLUMNS, TICKET_COLUMNS, History, frame
from ml.keys import Level
from tests.unit.ml_histories import at, bucket, history, ticket

SPEC = FeatureSpec(categories=("electrical", "plumbing"), codes=("low_pressure",),
                   metrics=("pressure",), types=("pump",))  # fmt: skip


def _row(h: History, level: Level, key: str, day: int, spec: FeatureSpec = SPEC) -> pd.Series:
    days = Days.for_history(h, date(2026, 1, 1), date(2026, 4, 1))
    panel = Panel(h, level, days)
    found = features(panel, spec, [days.index_of_date(date(2026, 1, 1)) + day]).frame
    return found[found["key"] == key].iloc[0]


def test_ticket_counts_windows_and_days_since() -> None:
    h = history([
        ticket(1, asset="pump-1", component="seal", source="sensor"),
        ticket(20, asset="pump-1", category="electrical"),
        ticket(25, kind="maintenance", asset="pump-1", component="motor", resolved=26),
        ticket(29, hour=23.9, asset="pump-1"),  # the evening before the as-of day
        ticket(30, asset="pump-1"),  # on the as-of day itself: not yet known
        ticket(10, kind="complaint", category="noise", unit="A-101"),
    ])  # fmt: skip
    row = _row(h, Level.ASSET, "pump-1", 30)
    assert (row["fail_7d"], row["fail_30d"], row["fail_365d"]) == (1, 3, 3)
    assert (row["cat_plumbing_30d"], row["cat_electrical_30d"]) == (2, 1)
    assert (row["sensor_fail_30d"], row["sensor_fail_7d"]) == (1, 0)
    assert row["days_since_fail"] == 1
    assert row["days_since_maint"] == 4  # resolved on day 26
    assert row["maint_365d"] == 1
    # The seal: never maintained, so counted from the installation (2024-01-01).
    assert row["comp_maint_days"] == (date(2026, 1, 31) - date(2024, 1, 1)).days
    assert row["comp_fail_days"] == 29 and row["comp_fail_365d"] == 1
    assert row["is_asset"] == 1 and row["criticality"] == 4 and row["type_pump"] == 1
    assert row["age_days"] == (date(2026, 1, 31) - date(2024, 1, 1)).days
    # The place's own history: the pump's floor had the same failures.
    assert row["floor_fail_30d"] == 3 and row["building_fail_30d"] == 3
    unit = _row(h, Level.ASSET, "A/1/A-101", 30)
    assert unit["complaints_30d"] == 1 and unit["fail_30d"] == 0 and math.isnan(unit["age_days"])


def test_levels_roll_tickets_up_to_floors_and_buildings() -> None:
    h = history([ticket(3, unit="A-101"), ticket(4, floor="2", unit="A-201"),
                 ticket(5, asset="pump-1")])  # fmt: skip
    assert _row(h, Level.FLOOR, "A/1", 10)["fail_30d"] == 2
    assert _row(h, Level.FLOOR, "A/2", 10)["fail_30d"] == 1
    assert _row(h, Level.BUILDING, "A", 10)["fail_30d"] == 3
    assert _row(h, Level.BUILDING, "B", 10)["fail_30d"] == 0


def test_alarms_count_by_code_through_the_device() -> None:
    alarms = [{"time": at(d, 3), "device_id": "p1", "code": "low_pressure"} for d in (5, 8, 9)]
    alarms += [{"time": at(9, 5), "device_id": "", "asset": "pump-1", "code": "E21"}]
    row = _row(history(alarms=alarms), Level.ASSET, "pump-1", 10)
    assert (row["alarms_1d"], row["alarms_7d"], row["alarms_30d"]) == (2, 4, 4)
    assert (row["code_low_pressure_7d"], row["days_since_alarm"]) == (3, 1)
    assert _row(history(alarms=alarms), Level.FLOOR, "A/1", 10)["alarms_30d"] == 4


def test_telemetry_buckets_count_once_their_utc_day_has_ended() -> None:
    # UTC day 8 ends at 08:00 site time on day 9: known as of day 10, not day 9.
    tele = [bucket(d, 10.0) for d in range(0, 8)] + [bucket(8, 50.0)]
    h = history(telemetry=tele)
    day9, day10 = _row(h, Level.ASSET, "pump-1", 9), _row(h, Level.ASSET, "pump-1", 10)
    assert day9["tm_pressure_max7"] == 11.0 and day9["tm_pressure_mean7"] == 10.0
    assert day10["tm_pressure_max7"] == 51.0
    assert day10["tm_pressure_mean7"] == (6 * 10.0 + 50.0) / 7
    assert day10["tm_pressure_silent"] == 1  # 1: nothing newer could be known yet
    assert day9["tm_pressure_spread7"] == 0.5


def test_keys_named_only_by_tickets_appear_after_their_first_ticket() -> None:
    h = history([ticket(5, asset="boiler-9", building="B")])
    days = Days.for_history(h, date(2026, 1, 1), date(2026, 2, 1))
    panel = Panel(h, Level.ASSET, days)
    first = days.index_of_date(date(2026, 1, 1))
    keys = {d: set(features(panel, SPEC, [first + d]).frame["key"]) for d in (5, 6)}
    assert "boiler-9" not in keys[5] and "boiler-9" in keys[6]


# --- no leakage: anything stamped at or after the as-of time changes nothing ------------

_BASE = history(
    [ticket(d, asset="pump-1" if d % 3 else "", unit="" if d % 3 else "A-101",
            category=("plumbing", "electrical")[d % 2], component="seal" if d % 4 == 0 else "",
            kind="maintenance" if d % 5 == 0 else "repair", resolved=d + 1)
     for d in range(0, 40, 2)],
    [{"time": at(d, 7), "device_id": "p1", "code": "low_pressure"} for d in range(1, 40, 3)],
    [bucket(d, 10.0 + d) for d in range(0, 40)],
)  # fmt: skip
_AS_OF = 25
_CUT = at(_AS_OF)

_after = st.floats(min_value=0.0, max_value=30.0).map(lambda h: at(_AS_OF, h))
_place = st.sampled_from([("A", "1", "", "pump-1"), ("A", "1", "A-101", ""), ("B", "2", "", ""),
                          ("B", "1", "", "boiler-7"), ("A", "2", "A-201", "")])  # fmt: skip
_tickets = st.lists(st.tuples(_after, _place, st.sampled_from(["repair", "maintenance", "complaint"]),
                              st.sampled_from(["plumbing", "electrical", "hvac"]),
                              st.sampled_from(["", "seal", "motor"])), max_size=6)  # fmt: skip
_alarms = st.lists(st.tuples(_after, st.sampled_from(["p1", "x9"]),
                             st.sampled_from(["low_pressure", "E1"])), max_size=6)  # fmt: skip
# Raw readings from the as-of time on land in UTC days that end after it.
_buckets = st.lists(st.tuples(st.integers(min_value=_AS_OF - 1, max_value=_AS_OF + 5),
                              st.floats(min_value=-100, max_value=100)), max_size=5)  # fmt: skip
_resolve_later = st.booleans()


@settings(max_examples=30, deadline=None)
@given(_tickets, _alarms, _buckets, _resolve_later, st.sampled_from(list(Level)))
def test_data_stamped_from_the_as_of_time_on_changes_no_feature(
    tickets: list[tuple[Any, ...]],
    alarms: list[tuple[Any, ...]],
    buckets: list[tuple[Any, ...]],
    late: bool,
    level: Level,
) -> None:
    more_tickets = [
        {**ticket(0, kind=kind, category=cat, building=b, floor=f, unit=u, asset=a,
                  component=c if a else ""), "created_at": when, "resolved_at": None}
        for when, (b, f, u, a), kind, cat, c in tickets
    ]  # fmt: skip
    grown = replace(
        _BASE,
        tickets=frame(TICKET_COLUMNS, [*_BASE.tickets.to_dict("records"), *more_tickets]),
        alarms=frame(ALARM_COLUMNS, [*_BASE.alarms.to_dict("records"),
                                     *({"time": w, "device_id": d, "code": c} for w, d, c in alarms)]),
        telemetry=frame(TELEMETRY_COLUMNS, [*_BASE.telemetry.to_dict("records"),
                                            *(bucket(d, v) for d, v in buckets)]),
    )  # fmt: skip
    if late:  # tickets still open at the as-of time are resolved afterwards
        t = grown.tickets.copy()
        still_open = (t["created_at"] < _CUT) & ~(t["resolved_at"] < _CUT)
        t.loc[still_open, "resolved_at"] = pd.Timestamp(at(_AS_OF + 3))
        grown = replace(grown, tickets=t)
    spec = FeatureSpec.learn(_BASE, before=_CUT)
    days = Days.for_history(grown, date(2026, 3, 1))
    day = days.index_of_date(_CUT.date())
    before = features(Panel(_BASE.before(_CUT), level, days), spec, [day])
    after = features(Panel(grown, level, days), spec, [day])
    pd.testing.assert_frame_equal(before.frame, after.frame)
    pd.testing.assert_frame_equal(before.components, after.components)


def test_before_keeps_only_what_was_known() -> None:
    h = history([ticket(1, resolved=30), ticket(26)],
                [{"time": at(24, 23), "device_id": "p1", "code": "x"}],
                [bucket(23, 1.0), bucket(24, 1.0)])  # fmt: skip
    known = h.before(at(25))
    assert len(known.tickets) == 1 and known.tickets["resolved_at"].isna().all()
    assert len(known.alarms) == 1
    # UTC day 24 ends at 08:00 on site day 25: not known at its midnight.
    assert list(known.telemetry["bucket"].dt.day) == [24]
    assert np.isnan(_row(known, Level.ASSET, "pump-1", 25)["days_since_maint"])
