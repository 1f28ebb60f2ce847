"""Weekly time windows in a time zone: shifts and the time-of-day conditions of rules.

A window starts on some weekdays at a local time and ends at a local time; an end at or
before the start runs past midnight into the next day, so "22:00-06:00" on Friday covers
Friday night into Saturday morning and "00:00-00:00" is a whole day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "ALL_DAYS",
    "DAY_CODES",
    "WeeklyWindow",
    "parse_days",
    "parse_hhmm",
    "parse_range",
    "zone",
]

#: Weekday codes, Monday first (as `datetime.weekday()` counts).
DAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALL_DAYS = frozenset(range(7))


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name`; ValueError naming it when there is no such zone."""
    if not name or len(name) > 64:
        raise ValueError(f"{name[:64]!r} is not a time zone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{name!r} is not a time zone (use an IANA name such as Asia/Shanghai)"
        ) from None


def parse_hhmm(text: str) -> time:
    """'08:30' as a time; ValueError for anything else (24:00 included)."""
    hours, sep, minutes = text.partition(":")
    if not (
        sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and len(hours) <= 2
    ):
        raise ValueError(f"{text[:16]!r} is not a time HH:MM")
    h, m = int(hours), int(minutes)
    if h > 23 or m > 59:
        raise ValueError(f"{text[:16]!r} is not a time HH:MM")
    return time(h, m)


def parse_range(text: str) -> tuple[time, time]:
    """'18:00-08:00' as (start, end)."""
    start, sep, end = text.partition("-")
    if not sep:
        raise ValueError(f"{text[:32]!r} is not a range HH:MM-HH:MM")
    return parse_hhmm(start.strip()), parse_hhmm(end.strip())


def parse_days(codes: Iterable[str]) -> frozenset[int]:
    """Weekday codes ('mon' .. 'sun', or full names) as weekday numbers; ValueError naming
    a bad code."""
    days: set[int] = set()
    for code in codes:
        key = str(code).strip().lower()
        key = _SHORT.get(key, key)
        if key not in DAY_CODES:
            raise ValueError(f"{str(code)[:16]!r} is not a day; use {', '.join(DAY_CODES)}")
        days.add(DAY_CODES.index(key))
    return frozenset(days)


_SHORT = {
    "monday": "mon",
    "tuesday": "tue",
    "wednesday": "wed",
    "thursday": "thu",
    "friday": "fri",
    "saturday": "sat",
    "sunday": "sun",
}


@dataclass(frozen=True, slots=True)
class WeeklyWindow:
    """From `start` to `end` (local times) on each of `days` (the days the window starts)."""

    days: frozenset[int]
    start: time
    end: time

    def contains(self, local: datetime) -> bool:
        """Whether the local wall-clock time `local` falls inside the window."""
        now = local.time()  # naive: time() drops the zone
        today = local.weekday()
        if self.start < self.end:
            return today in self.days and self.start <= now < self.end
        # Runs past midnight: the evening part today, or the morning part of yesterday's.
        return (today in self.days and now >= self.start) or (
            (today - 1) % 7 in self.days and now < self.end
        )

    def describe(self) -> str:
        days = ",".join(DAY_CODES[d] for d in sorted(self.days))
        return f"{days} {self.start:%H:%M}-{self.end:%H:%M}"
