"""Business-hours calendars and the clock arithmetic over them.

A calendar has an IANA time zone, working intervals per weekday (several a day make split
shifts, e.g. 08:30-12:00 and 13:30-18:00) and holidays. `None` stands for 24x7: every
instant counts. All arithmetic is done on UTC instants; the time zone only decides where
the working intervals fall.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.sla.domain.errors import InvalidInput

__all__ = [
    "WEEKDAYS",
    "Calendar",
    "CalendarExhausted",
    "WorkingInterval",
    "business_elapsed",
    "business_time_add",
    "format_hhmm",
    "parse_hhmm",
    "validate_calendar",
]

#: ISO weekday number -> name, for messages.
WEEKDAYS = {1: "Monday", 2: "Tuesday", 3: "Wednesday", 4: "Thursday", 5: "Friday",
            6: "Saturday", 7: "Sunday"}  # fmt: skip

#: How far ahead working time is looked for before giving up (about ten years).
_MAX_DAYS = 3700
_DAY_MIN = 24 * 60
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_HHMM = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")
_MAX_INTERVALS = 70
_MAX_HOLIDAYS = 2000


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


def parse_hhmm(text: str) -> int:
    """Minutes after midnight of "HH:MM" (00:00 to 24:00)."""
    match = _HHMM.match(text)
    if not match or (match[1] == "24" and match[2] != "00"):
        raise InvalidInput(f"{text[:20]!r} is not a time of day as HH:MM (00:00 to 24:00)")
    return int(match[1]) * 60 + int(match[2])


def format_hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _check_zone(name: str) -> None:
    if not name or len(name) > 64:
        raise InvalidInput("time_zone is required (an IANA name such as Asia/Shanghai)")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"unknown time zone {name!r}; use an IANA name such as Asia/Shanghai"
        ) from None


def _check_hours(hours: tuple[WorkingInterval, ...]) -> None:
    if not hours:
        raise InvalidInput("a calendar needs at least one working interval")
    if len(hours) > _MAX_INTERVALS:
        raise InvalidInput(f"at most {_MAX_INTERVALS} working intervals")
    for number, iv in enumerate(hours):
        if iv.weekday not in WEEKDAYS:
            raise InvalidInput(f"hours[{number}]: weekday must be 1 (Monday) to 7 (Sunday)")
        if not 0 <= iv.start_min < iv.end_min <= _DAY_MIN:
            raise InvalidInput(f"hours[{number}]: start must be before end within one day")
    for day, name in WEEKDAYS.items():
        spans = sorted((iv.start_min, iv.end_min) for iv in hours if iv.weekday == day)
        for (_, end), (start, _) in pairwise(spans):
            if start < end:
                raise InvalidInput(f"working intervals overlap on {name} at {format_hhmm(start)}")


def validate_calendar(calendar: Calendar) -> Calendar:
    """The calendar if it is well-formed; InvalidInput naming the first problem otherwise."""
    if not _ID.match(calendar.id):
        raise InvalidInput("calendar id: 1-64 of a-z, 0-9, '_' and '-', starting alphanumeric")
    if calendar.id in {"24x7", "site"}:
        raise InvalidInput(f"{calendar.id!r} is reserved; choose another calendar id")
    if len(calendar.name) > 200:
        raise InvalidInput("name is longer than 200 characters")
    if calendar.site and not _ID.match(calendar.site):
        raise InvalidInput("site: 1-64 of a-z, 0-9, '_' and '-'")
    _check_zone(calendar.time_zone)
    _check_hours(calendar.hours)
    if len(calendar.holidays) > _MAX_HOLIDAYS:
        raise InvalidInput(f"at most {_MAX_HOLIDAYS} holidays")
    return calendar


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
