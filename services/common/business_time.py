"""Business-hours calendars and the clock arithmetic over them: the one implementation the
SLA service (its deadlines) and analytics (business-hours durations) both use.

A calendar has an IANA time zone, working intervals per weekday (several a day make split
shifts, e.g. 08:30-12:00 and 13:30-18:00) and holidays (local dates). `None` stands for
24x7: every instant counts. All arithmetic is done on UTC instants; the time zone only
decides where the working intervals fall, so a day of 23 or 25 hours is counted right.

Pure: no I/O and no imports from services, so domain code may use it (pyproject.toml's
import-linter contract allows exactly this module).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

__all__ = [
    "WEEKDAYS",
    "Calendar",
    "CalendarExhausted",
    "WorkingInterval",
    "business_elapsed",
    "business_time_add",
]

#: ISO weekday number -> name, for messages.
WEEKDAYS = {1: "Monday", 2: "Tuesday", 3: "Wednesday", 4: "Thursday", 5: "Friday",
            6: "Saturday", 7: "Sunday"}  # fmt: skip

#: How far ahead working time is looked for before giving up (about ten years).
_MAX_DAYS = 3700


class CalendarExhausted(ValueError):
    """The calendar has no working time left within about ten years."""


@dataclass(frozen=True, slots=True)
class WorkingInterval:
    """Working time on one weekday: minutes after local midnight, `end_min` up to 1440."""

    weekday: int
    start_min: int
    end_min: int


@dataclass(frozen=True, slots=True)
class Calendar:
    """Business hours in a time zone, with holidays (local dates) off."""

    id: str
    time_zone: str
    hours: tuple[WorkingInterval, ...]
    holidays: frozenset[date] = field(default_factory=frozenset)
    name: str = ""
    site: str = ""


@lru_cache(maxsize=256)
def _by_weekday(calendar: Calendar) -> dict[int, tuple[tuple[int, int], ...]]:
    return {
        day: tuple(sorted((iv.start_min, iv.end_min) for iv in calendar.hours if iv.weekday == day))
        for day in WEEKDAYS
    }


def _instant(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    local = datetime.combine(day, time(), tzinfo=zone) + timedelta(minutes=minutes)
    return local.astimezone(UTC)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("business time needs timezone-aware datetimes")
    return value.astimezone(UTC)


def _windows(calendar: Calendar, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Working windows (UTC) from `start` on, the first one cut to begin at `start`."""
    zone = ZoneInfo(calendar.time_zone)
    by_day = _by_weekday(calendar)
    first = start.astimezone(zone).date()
    for offset in range(_MAX_DAYS):
        day = first + timedelta(days=offset)
        if day in calendar.holidays:
            continue
        for start_min, end_min in by_day[day.isoweekday()]:
            begin, end = _instant(day, start_min, zone), _instant(day, end_min, zone)
            if end <= start or end <= begin:
                continue
            yield max(begin, start), end
    raise CalendarExhausted(f"calendar {calendar.id!r} has no working time within ten years")


def business_time_add(calendar: Calendar | None, start: datetime, duration: timedelta) -> datetime:
    """The instant at which `duration` of working time has passed since `start` (UTC).

    With `None` (24x7) that is `start + duration`. A zero duration gives `start`.
    """
    start = _utc(start)
    if calendar is None or duration <= timedelta(0):
        return start + max(duration, timedelta(0))
    left = duration
    for begin, end in _windows(calendar, start):
        span = end - begin
        if left <= span:
            return begin + left
        left -= span
    raise AssertionError("unreachable: _windows raises when it runs out")  # pragma: no cover


def business_elapsed(calendar: Calendar | None, start: datetime, end: datetime) -> timedelta:
    """Working time between `start` and `end` (zero when `end` is not after `start`)."""
    start, end = _utc(start), _utc(end)
    if end <= start:
        return timedelta(0)
    if calendar is None:
        return end - start
    total = timedelta(0)
    for begin, stop in _windows(calendar, start):
        if begin >= end:
            break
        total += min(stop, end) - begin
    return total
