"""Periods of local dates in a site's time zone, cut into day, week or month buckets.

A period is [start, end) in local dates. Every figure is placed on the local date of the
instant it counts at (SQL: `analytics.local_day`), so a bucket is a range of local dates
and daylight-saving changes never split or double a day. Weeks start on Monday (ISO); the
first and last bucket are clipped to the period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.analytics.domain.errors import InvalidInput

__all__ = [
    "MAX_BUCKETS",
    "MAX_DAYS",
    "Bucket",
    "Bucketing",
    "Period",
    "buckets",
    "local_midnight",
    "next_month",
    "parse_period",
    "time_zone",
]

#: The longest period a report covers, and the most buckets it has.
MAX_DAYS = 3700
MAX_BUCKETS = 1200


class Bucketing(StrEnum):
    """How a period is cut (NONE: one bucket for the whole period)."""

    NONE = ""
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class Period:
    """Local dates [start, end)."""

    start: date
    end: date

    @property
    def month_aligned(self) -> bool:
        """Both ends fall on the first of a month: monthly summaries cover it exactly."""
        return self.start.day == 1 and self.end.day == 1


@dataclass(frozen=True, slots=True)
class Bucket:
    """Local dates [start, end) inside a period."""

    start: date
    end: date


def time_zone(name: str) -> ZoneInfo:
    """The IANA zone `name`; InvalidInput when there is no such zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {name[:64]!r}") from None


def _month_start(day: date) -> date:
    """The first of `day`'s month."""
    return day.replace(day=1)


def next_month(day: date) -> date:
    """The first of the month after `day`'s."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _date(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{name} {text[:20]!r} is not a date as YYYY-MM-DD") from None


def parse_period(start: str, end: str, today: date) -> Period:
    """[start, end) from local dates as text. Without `end`, the period runs to the end of
    this month (`today` is the site's local date); without `start`, twelve months before."""
    last = _date(end, "to") if end else next_month(today)
    first = _date(start, "from") if start else _months_before(last, 12)
    if first >= last:
        raise InvalidInput("from must be before to")
    if (last - first).days > MAX_DAYS:
        raise InvalidInput(f"a period is at most {MAX_DAYS} days")
    return Period(first, last)


def _bucket_start(day: date, bucketing: Bucketing, period: Period) -> date:
    if bucketing is Bucketing.DAY:
        return day
    if bucketing is Bucketing.WEEK:
        return day - timedelta(days=day.weekday())
    if bucketing is Bucketing.MONTH:
        return _month_start(day)
    return period.start


def _after(start: date, bucketing: Bucketing, period: Period) -> date:
    if bucketing is Bucketing.DAY:
        return start + timedelta(days=1)
    if bucketing is Bucketing.WEEK:
        return start + timedelta(days=7)
    if bucketing is Bucketing.MONTH:
        return next_month(start)
    return period.end


def buckets(period: Period, bucketing: Bucketing) -> list[Bucket]:
    """The period's buckets in order, the first and last clipped to the period."""
    found: list[Bucket] = []
    start = _bucket_start(period.start, bucketing, period)
    while start < period.end:
        end = _after(start, bucketing, period)
        found.append(Bucket(max(start, period.start), min(end, period.end)))
        if len(found) > MAX_BUCKETS:
            raise InvalidInput(f"at most {MAX_BUCKETS} buckets: choose a longer bucket")
        start = end
    return found


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant (UTC) the local `day` begins in `zone`."""
    return datetime.combine(day, time(), zone).astimezone(UTC)
