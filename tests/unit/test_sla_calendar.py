"""Business-time arithmetic over calendars: split shifts, weekends, holidays, time zones.

Expected instants are worked out by hand from the calendar below (Beijing time, no DST):
Monday to Friday 08:30-12:00 and 13:30-18:00, i.e. 3.5 + 4.5 = 8 working hours a day.
2026-11-23 is a Monday.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.common.business_time import (
    Calendar,
    CalendarExhausted,
    WorkingInterval,
    business_elapsed,
    business_time_add,
)
from services.sla.domain.calendar import format_hhmm, parse_hhmm, validate_calendar
from services.sla.domain.errors import InvalidInput

SH = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
M = timedelta(minutes=1)
SHIFTS = ((8 * 60 + 30, 12 * 60), (13 * 60 + 30, 18 * 60))
OFFICE = Calendar(
    "office",
    "Asia/Shanghai",
    tuple(WorkingInterval(d, s, e) for d in range(1, 6) for s, e in SHIFTS),
    frozenset({date(2026, 11, 25)}),  # Wednesday off
)
NO_HOLIDAYS = Calendar("plain", OFFICE.time_zone, OFFICE.hours)


def sh(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """A Beijing wall time in November 2026 (day 23 is a Monday)."""
    return datetime(2026, month, day, hour, minute, tzinfo=SH)


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        (sh(23, 9), 2 * H, sh(23, 11)),  # inside the morning shift
        (sh(23, 11), 2 * H, sh(23, 14, 30)),  # over the lunch break
        (sh(23, 12, 30), 30 * M, sh(23, 14)),  # starting in the break
        (sh(23, 8, 30), 3.5 * H, sh(23, 12)),  # ends exactly at the end of a shift
        (sh(23, 7), 1 * H, sh(23, 9, 30)),  # before the day starts
        (sh(23, 9), 4 * H, sh(23, 14, 30)),  # P3's respond target
        (sh(24, 17), 2 * H, sh(26, 9, 30)),  # Tue evening, Wed is a holiday
        (sh(27, 17, 30), 1 * H, sh(30, 9)),  # Fri evening -> Mon morning
        (sh(28, 10), 1 * H, sh(30, 9, 30)),  # Saturday
        (sh(23, 9), timedelta(0), sh(23, 9)),  # nothing to add
    ],
)
def test_business_time_add(start: datetime, duration: timedelta, expected: datetime) -> None:
    assert business_time_add(OFFICE, start, duration) == expected


def test_three_business_days_skip_the_holiday() -> None:
    # Mon 09:00: 7.5 h on Monday, 8 h Tuesday, Wednesday off, 8 h Thursday, 0.5 h Friday.
    assert business_time_add(OFFICE, sh(23, 9), 24 * H) == sh(27, 9)
    assert business_time_add(NO_HOLIDAYS, sh(23, 9), 24 * H) == sh(26, 9)


def test_results_are_utc_instants() -> None:
    result = business_time_add(OFFICE, sh(23, 9), H)
    assert result.tzinfo is UTC
    assert result == datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (sh(23, 9), sh(23, 11), 2 * H),
        (sh(23, 11), sh(23, 14, 30), 2 * H),
        (sh(27, 17), sh(30, 9), 1.5 * H),  # over the weekend
        (sh(24, 18), sh(26, 8, 30), timedelta(0)),  # the holiday
        (sh(23, 12, 10), sh(23, 13, 20), timedelta(0)),  # inside the break
        (sh(23, 11), sh(23, 9), timedelta(0)),  # end before start
        (sh(23, 0), sh(30, 0), 32 * H),  # a week with one holiday
    ],
)
def test_business_elapsed(start: datetime, end: datetime, expected: timedelta) -> None:
    assert business_elapsed(OFFICE, start, end) == expected


def test_elapsed_inverts_add_everywhere_in_a_fortnight() -> None:
    start = sh(21, 0)
    for step in range(0, 14 * 24 * 60, 53):
        begin = start + timedelta(minutes=step)
        for duration in (M, 47 * M, 3.5 * H, 8 * H, 19 * H, 40 * H):
            end = business_time_add(OFFICE, begin, duration)
            assert business_elapsed(OFFICE, begin, end) == duration, (begin, duration)
            assert end >= begin


def test_round_the_clock_is_plain_arithmetic() -> None:
    assert business_time_add(None, sh(28, 23), 2 * H) == sh(29, 1)
    assert business_elapsed(None, sh(28, 23), sh(29, 1)) == 2 * H


def test_night_shift_across_midnight_is_two_intervals() -> None:
    nights = Calendar(
        "nights", "Asia/Shanghai",
        tuple(iv for d in range(1, 8) for iv in (WorkingInterval(d, 22 * 60, 24 * 60),
                                                  WorkingInterval(d, 0, 6 * 60))),
    )  # fmt: skip
    assert business_time_add(nights, sh(23, 23), 2 * H) == sh(24, 1)
    assert business_time_add(nights, sh(23, 5), 2 * H) == sh(23, 23)


def test_working_hours_follow_local_time_across_dst() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    cal = Calendar(
        "berlin", "Europe/Berlin", tuple(WorkingInterval(d, 9 * 60, 18 * 60) for d in range(1, 6))
    )
    # Friday 2026-03-27 17:00 CET; summer time starts on Sunday 29 March.
    start = datetime(2026, 3, 27, 17, 0, tzinfo=berlin)
    assert business_time_add(cal, start, 2 * H) == datetime(2026, 3, 30, 10, 0, tzinfo=berlin)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        business_time_add(OFFICE, datetime(2026, 11, 23, 9), H)


def test_a_calendar_without_working_time_left_is_exhausted() -> None:
    mondays = {date(2026, 11, 23) + timedelta(weeks=w) for w in range(600)}
    cal = Calendar("mondays", "Asia/Shanghai", (WorkingInterval(1, 540, 600),), frozenset(mondays))
    with pytest.raises(CalendarExhausted):
        business_time_add(cal, sh(23, 0), H)


def test_hhmm() -> None:
    assert parse_hhmm("08:30") == 510
    assert parse_hhmm("24:00") == 1440
    assert format_hhmm(1440) == "24:00"
    assert format_hhmm(510) == "08:30"
    for bad in ("8:30", "24:30", "08:60", "0830", "", "25:00"):
        with pytest.raises(InvalidInput, match="HH:MM"):
            parse_hhmm(bad)


def _cal(**changes: object) -> Calendar:
    fields: dict[str, object] = {"id": "ok", "time_zone": "Asia/Shanghai",
                                 "hours": OFFICE.hours, "holidays": frozenset()}  # fmt: skip
    fields.update(changes)
    return Calendar(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"id": "Bad Id"}, "calendar id"),
        ({"id": "24x7"}, "reserved"),
        ({"id": "site"}, "reserved"),
        ({"time_zone": "Mars/Olympus"}, "unknown time zone"),
        ({"time_zone": ""}, "time_zone is required"),
        ({"hours": ()}, "at least one working interval"),
        ({"hours": (WorkingInterval(0, 60, 120),)}, "weekday must be 1"),
        ({"hours": (WorkingInterval(8, 60, 120),)}, "weekday must be 1"),
        ({"hours": (WorkingInterval(1, 120, 60),)}, "start must be before end"),
        ({"hours": (WorkingInterval(1, 120, 120),)}, "start must be before end"),
        ({"hours": (WorkingInterval(1, 0, 1500),)}, "start must be before end"),
        (
            {"hours": (WorkingInterval(2, 480, 720), WorkingInterval(2, 700, 900))},
            "overlap on Tuesday at 11:40",
        ),
        ({"site": "Demo Site"}, "site"),
        ({"name": "x" * 201}, "name is longer"),
    ],
)
def test_calendar_validation(changes: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        validate_calendar(_cal(**changes))


def test_touching_intervals_and_valid_calendars_pass() -> None:
    hours = (WorkingInterval(1, 480, 720), WorkingInterval(1, 720, 900))
    assert validate_calendar(_cal(hours=hours)).hours == hours
    assert validate_calendar(OFFICE) is OFFICE
