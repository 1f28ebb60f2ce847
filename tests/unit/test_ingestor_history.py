"""The ingestor's rules for imported history: readings checked a column at a time, events in
themselves, registrations with the column to blame, and how many problems a reply lists."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.ingestor.domain.history import (
    MAX_PROBLEMS,
    DeviceEvent,
    RowProblem,
    TelemetryColumns,
    capped,
    column_problems,
    event_problems,
    micros,
)
from services.ingestor.domain.model import Device, DeviceKind, PayloadFormat
from services.ingestor.domain.registry import device_problem

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
T = micros(datetime(2024, 3, 1, tzinfo=UTC))


def columns(
    metrics: list[str], values: list[float], times: list[int] | None = None
) -> TelemetryColumns:
    n = len(metrics)
    return TelemetryColumns(list(range(2, n + 2)), ["meter"] * n, times or [T] * n, metrics, values)


def test_good_readings_have_no_problem() -> None:
    assert column_problems(columns(["voltage", "电流"], [229.5, -1e300]), NOW) == []


def test_each_bad_reading_is_named_by_line_and_column() -> None:
    found = column_problems(
        columns(["voltage", "x" * 65, "voltage", "ok"], [1.0, 2.0, math.nan, math.inf]), NOW
    )
    assert sorted(found, key=lambda p: p.line) == [
        RowProblem(3, "metric", f"metric {'x' * 40!r} is not 1-64 printable characters"),
        RowProblem(4, "value", "the value is not a finite number"),
        RowProblem(5, "value", "the value is not a finite number"),
    ]


def test_huge_finite_values_are_not_taken_for_infinite_ones() -> None:
    assert column_problems(columns(["a", "b"], [1.5e308, 1.5e308]), NOW) == []


def test_times_before_1900_or_in_the_future_are_problems() -> None:
    later = micros(NOW + timedelta(minutes=6))
    soon = micros(NOW + timedelta(minutes=4))
    early = micros(datetime(1899, 12, 31, tzinfo=UTC))
    found = column_problems(columns(["a"] * 3, [1.0] * 3, [later, soon, early]), NOW)
    assert found == [RowProblem(2, "time", "the time is in the future"),
                     RowProblem(4, "time", "the time is before 1900")]  # fmt: skip


def test_columns_of_different_lengths_are_refused_as_a_whole() -> None:
    bad = TelemetryColumns([2, 3], ["m"], [T], ["a"], [1.0])
    assert column_problems(bad, NOW) == [RowProblem(0, "", "the chunk's columns differ in length")]


@given(
    st.lists(
        st.tuples(st.text(max_size=70), st.floats(), st.integers(-(2**62), 2**62)), max_size=30
    )
)
def test_any_readings_give_problems_never_an_exception(rows: list[tuple[str, float, int]]) -> None:
    found = column_problems(
        columns([m for m, _, _ in rows], [v for _, v, _ in rows], [t for _, _, t in rows]), NOW
    )
    bad_values = {i + 2 for i, (_, v, _) in enumerate(rows) if not math.isfinite(v)}
    assert {p.line for p in found if p.column == "value"} == bad_values


def test_an_event_needs_a_device_or_an_asset_and_a_code() -> None:
    assert event_problems(DeviceEvent(NOW, "E1", device_id="m"), NOW) == []
    assert event_problems(DeviceEvent(NOW, "", severity="x" * 33), NOW) == [
        ("device_id", "give device_id or asset_id (or both)"),
        ("code", "code is empty"),
        ("severity", "severity must be at most 32 characters"),
    ]
    later = DeviceEvent(NOW + timedelta(hours=1), "E1", asset_id="pump-1")
    assert event_problems(later, NOW) == [("time", "the time is in the future")]


def test_an_event_is_cleaned_before_it_is_kept() -> None:
    event = DeviceEvent(NOW, " E1 ", "m", severity=" Major ", message="门\x00故障\r\n第二行")
    assert event.cleaned() == DeviceEvent(
        NOW, "E1", "m", severity="major", message="门故障  第二行"
    )


def test_a_registration_problem_names_its_column() -> None:
    good = Device("leak-1", DeviceKind.LEAK, "demo", "A", "3", PayloadFormat.NATIVE)
    assert device_problem(good) is None
    cases = {
        "device_id": Device("-x", DeviceKind.LEAK, "demo", "A", "3", PayloadFormat.NATIVE),
        "floor": Device("x", DeviceKind.LEAK, "demo", "A", "", PayloadFormat.NATIVE),
        "asset_id": Device("x", DeviceKind.LEAK, "demo", "A", "3", PayloadFormat.NATIVE, asset="a" * 65),
        "source_topic": Device("x", DeviceKind.LEAK, "demo", "A", "3", PayloadFormat.TASMOTA),
        "expected_interval_s": Device("x", DeviceKind.LEAK, "demo", "A", "3", PayloadFormat.NATIVE,
                                      expected_interval_s=0),
    }  # fmt: skip
    assert {column: (device_problem(d) or ("", ""))[0] for column, d in cases.items()} == {
        c: c for c in cases
    }


def test_a_reply_lists_at_most_so_many_problems_in_line_order() -> None:
    many = [RowProblem(n, "value", "bad") for n in range(MAX_PROBLEMS + 5, 1, -1)]
    listed = capped(many)
    assert len(listed) == MAX_PROBLEMS + 1 and listed[0].line == 2
    assert listed[-1] == RowProblem(0, "", "and 4 more problems not listed")
    assert capped(many[:3]) == sorted(many[:3], key=lambda p: p.line)
