"""Business time on hand-made calendars (services/common/business_time.py), worked out by
hand: overnight shifts, weekends, holidays, a site with daylight saving (Europe/Berlin:
clocks go forward on 2026-03-29 and back on 2026-10-25) and one without (Asia/Shanghai),
instants outside working time, zero-length spans; then properties over random instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.business_time import (
    Calendar,
    WorkingInterval,
    business_elapsed,
    business_time_add,
)

H = timedelta(hours=1)
BERLIN, SHANGHAI = ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Shanghai")


def week(
    zone: str, *spans: tuple[int, int], days: range = range(1, 6),
    holidays: frozenset[date] = frozenset(),
) -> Calendar:  # fmt: skip
    """The same working hours (hours after midnight) on `days` (ISO weekdays)."""
    hours = tuple(WorkingInterval(d, s * 60, e * 60) for d in days for s, e in spans)
    return Calendar("cal", zone, hours, holidays)


OFFICE_SH = week("Asia/Shanghai", (9, 18), holidays=frozenset({date(2026, 10, 1)}))
OFFICE_BER = week("Europe/Berlin", (9, 17))
ALL_DAY_BER = week("Europe/Berlin", (0, 24), days=range(1, 8))
#: Night shifts: 22:00 to 06:00 the next morning, Monday night to Saturday morning.
NIGHTS = Calendar("nights", "Asia/Shanghai",
                  tuple(WorkingInterval(d, 22 * 60, 1440) for d in range(1, 6))
                  + tuple(WorkingInterval(d, 0, 6 * 60) for d in range(2, 7)))  # fmt: skip


def at(zone: ZoneInfo, y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=zone)


def test_a_working_day_in_shanghai() -> None:
    # 2026-11-23 is a Monday.
    assert (
        business_elapsed(OFFICE_SH, at(SHANGHAI, 2026, 11, 23, 8), at(SHANGHAI, 2026, 11, 23, 20))
        == 9 * H
    )
    assert (
        business_elapsed(
            OFFICE_SH, at(SHANGHAI, 2026, 11, 23, 10), at(SHANGHAI, 2026, 11, 23, 11, 30)
        )
        == 1.5 * H
    )


def test_weekends_and_holidays_do_not_count() -> None:
    # Friday 17:00 to Monday 10:00: one hour on Friday and one on Monday.
    friday, monday = at(SHANGHAI, 2026, 11, 27, 17), at(SHANGHAI, 2026, 11, 30, 10)
    assert business_elapsed(OFFICE_SH, friday, monday) == 2 * H
    # 1 October 2026 (Thursday) is a holiday: Wednesday 17:00 to Friday 10:00 is 2 hours.
    assert (
        business_elapsed(OFFICE_SH, at(SHANGHAI, 2026, 9, 30, 17), at(SHANGHAI, 2026, 10, 2, 10))
        == 2 * H
    )


def test_instants_outside_working_time() -> None:
    # Saturday to Sunday: nothing; Saturday to Monday 09:00 sharp: nothing either.
    saturday = at(SHANGHAI, 2026, 11, 28, 12)
    assert business_elapsed(OFFICE_SH, saturday, at(SHANGHAI, 2026, 11, 29, 12)) == timedelta(0)
    assert business_elapsed(OFFICE_SH, saturday, at(SHANGHAI, 2026, 11, 30, 9)) == timedelta(0)
    # The first working minute after Saturday noon is Monday 09:00.
    assert business_time_add(OFFICE_SH, saturday, timedelta(minutes=1)) == at(
        SHANGHAI, 2026, 11, 30, 9, 1
    )


def test_zero_length_and_reversed_spans_are_zero() -> None:
    t = at(SHANGHAI, 2026, 11, 23, 10)
    assert business_elapsed(OFFICE_SH, t, t) == timedelta(0)
    assert business_elapsed(OFFICE_SH, t + H, t) == timedelta(0)
    assert business_time_add(OFFICE_SH, t, timedelta(0)) == t


def test_overnight_shifts_span_midnight() -> None:
    # Monday 23:00 to Tuesday 05:00 is all night shift; Friday 23:00 to Monday 23:00 holds
    # Friday night's last hour, Saturday 00:00-06:00 and Monday's first hour.
    assert (
        business_elapsed(NIGHTS, at(SHANGHAI, 2026, 11, 23, 23), at(SHANGHAI, 2026, 11, 24, 5))
        == 6 * H
    )
    assert (
        business_elapsed(NIGHTS, at(SHANGHAI, 2026, 11, 27, 23), at(SHANGHAI, 2026, 11, 30, 23))
        == 8 * H
    )


def test_daylight_saving_days_in_berlin() -> None:
    # Round the clock in local terms: the day clocks go forward has 23 hours, back 25.
    assert business_elapsed(ALL_DAY_BER, at(BERLIN, 2026, 3, 29), at(BERLIN, 2026, 3, 30)) == 23 * H
    assert (
        business_elapsed(ALL_DAY_BER, at(BERLIN, 2026, 10, 25), at(BERLIN, 2026, 10, 26)) == 25 * H
    )
    # Office hours stay 09:00-17:00 local across the change: UTC 08:00-16:00 on Friday
    # 27 March (CET), UTC 07:00-15:00 on Monday 30 March (CEST).
    friday = datetime(2026, 3, 27, 8, tzinfo=UTC)
    assert business_elapsed(OFFICE_BER, friday, datetime(2026, 3, 30, 7, tzinfo=UTC)) == 8 * H
    assert business_elapsed(OFFICE_BER, friday, datetime(2026, 3, 30, 8, tzinfo=UTC)) == 9 * H
    assert business_time_add(OFFICE_BER, friday, 8 * H + timedelta(minutes=30)) == datetime(
        2026, 3, 30, 7, 30, tzinfo=UTC
    )


def test_no_calendar_is_round_the_clock() -> None:
    # Across the change of clocks: 30 hours of elapsed time (UTC arithmetic) are 30 hours.
    t = at(BERLIN, 2026, 3, 28, 12).astimezone(UTC)
    assert business_elapsed(None, t, t + 30 * H) == 30 * H


CALENDARS = st.sampled_from([OFFICE_SH, OFFICE_BER, ALL_DAY_BER, NIGHTS])
#: A span of weeks walks through many working windows; a busy machine is slow at that.
RELAXED = settings(deadline=None)
INSTANTS = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)


@RELAXED
@given(CALENDARS, INSTANTS, INSTANTS)
def test_business_time_is_at_most_wall_time(cal: Calendar, a: datetime, b: datetime) -> None:
    assert timedelta(0) <= business_elapsed(cal, a, b) <= max(timedelta(0), b - a)


@RELAXED
@given(CALENDARS, INSTANTS, INSTANTS, INSTANTS)
def test_business_time_adds_up_over_a_split(
    cal: Calendar, a: datetime, b: datetime, c: datetime
) -> None:
    start, split, end = sorted((a, b, c))
    assert business_elapsed(cal, start, end) == business_elapsed(
        cal, start, split
    ) + business_elapsed(cal, split, end)


@RELAXED
@given(CALENDARS, INSTANTS, INSTANTS, st.timedeltas(timedelta(0), timedelta(days=40)))
def test_business_time_grows_with_the_end(
    cal: Calendar, a: datetime, b: datetime, more: timedelta
) -> None:
    assert business_elapsed(cal, a, b) <= business_elapsed(cal, a, b + more)
    assert business_elapsed(cal, a - more, b) >= business_elapsed(cal, a, b)


@RELAXED
@given(CALENDARS, INSTANTS, st.timedeltas(timedelta(0), timedelta(days=20)))
def test_adding_business_time_is_undone_by_measuring_it(
    cal: Calendar, start: datetime, duration: timedelta
) -> None:
    assert business_elapsed(cal, start, business_time_add(cal, start, duration)) == duration
