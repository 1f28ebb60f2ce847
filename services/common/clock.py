"""The services' wall clock: real UTC time, optionally shifted by a fixed offset.

The offset lets a demo or an end-to-end test run the whole system "at 02:00 on a Sunday":
every process given the same `CLOCK_OFFSET_S` agrees on the time, also across restarts,
and the clock still runs at real speed so timers fire when they should.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

__all__ = ["Clock", "offset_clock", "utc_now"]

#: A function that returns the current time, timezone-aware, in UTC.
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The real time, in UTC."""
    return datetime.now(UTC)


def offset_clock(offset_s: float) -> Clock:
    """The real clock when `offset_s` is 0, else one that reads that many seconds ahead
    (or behind, when negative)."""
    if not offset_s:
        return utc_now
    offset = timedelta(seconds=offset_s)

    def shifted() -> datetime:
        return datetime.now(UTC) + offset

    return shifted
