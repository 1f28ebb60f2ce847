"""Durations in business hours: the wall-clock durations of `ticket` counted only inside
the working time of the calendar the ticket's SLA clocks run on (`services.common.
policy_choice` picks it, `services.common.business_time` counts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.analytics.domain.ticket import TicketState
from services.common.business_time import Calendar, CalendarExhausted, business_elapsed

__all__ = ["UNKNOWN", "BusinessDurations", "Clock", "business_durations"]


@dataclass(frozen=True, slots=True)
class Clock:
    """How a ticket's SLA clocks run: inside `calendar`, or round the clock (None)."""

    calendar: Calendar | None


@dataclass(frozen=True, slots=True)
class BusinessDurations:
    """Business seconds of the response, dispatch, handling and resolve durations (None
    where the wall-clock one is not known, or the calendar is not)."""

    response_bh_s: float | None = None
    dispatch_bh_s: float | None = None
    handling_bh_s: float | None = None
    resolve_bh_s: float | None = None


#: Nothing known: no SLA policy matches, or the SLA service has not told analytics yet.
UNKNOWN = BusinessDurations()


def _between(calendar: Calendar | None, start: datetime, end: datetime | None) -> float | None:
    if end is None:
        return None
    return business_elapsed(calendar, start, end).total_seconds()


def business_durations(t: TicketState, clock: Clock | None) -> BusinessDurations:
    """The ticket's durations in the business hours of `clock` (UNKNOWN without one, or
    when the calendar has no working time left to count)."""
    if clock is None:
        return UNKNOWN
    cal = clock.calendar
    worked = t.work_spans if t.resolved_at is not None else None
    try:
        return BusinessDurations(
            response_bh_s=_between(cal, t.created_at, t.accepted_at),
            dispatch_bh_s=_between(cal, t.created_at, t.assigned_at),
            handling_bh_s=None if worked is None else sum(
                business_elapsed(cal, a, b).total_seconds() for a, b in worked if b is not None
            ),
            resolve_bh_s=_between(cal, t.created_at, t.resolved_at),
        )  # fmt: skip
    except CalendarExhausted:
        return UNKNOWN
