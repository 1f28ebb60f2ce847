"""Validation of business-hours calendars and their "HH:MM" times.

The calendar itself and the arithmetic over it live in `services.common.business_time`,
shared with analytics.
"""

from __future__ import annotations

import re
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.common.business_time import WEEKDAYS, Calendar, WorkingInterval
from services.sla.domain.errors import InvalidInput

__all__ = ["format_hhmm", "parse_hhmm", "validate_calendar"]

_DAY_MIN = 24 * 60
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_HHMM = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")
_MAX_INTERVALS = 70
_MAX_HOLIDAYS = 2000


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
