"""The stored summary of a ticket's SLA state, and what it says at a given moment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.common.business_time import Calendar, business_elapsed
from services.sla.domain.state import ClockStatus, Pause, SlaState, TargetClock

__all__ = ["ClockView", "SlaView", "view_of"]


@dataclass(frozen=True, slots=True)
class ClockView:
    """One clock as stored: enough to answer "breached?" and "how long left?" at any time."""

    status: ClockStatus
    due_at: datetime | None
    ended_at: datetime | None
    #: Clock time left while paused (negative once past the goal); None otherwise.
    paused_left: timedelta | None = None

    def breached(self, now: datetime) -> bool:
        if self.due_at is None:
            return False
        if self.ended_at is not None:
            return self.ended_at > self.due_at
        return now >= self.due_at

    def remaining(self, calendar: Calendar | None, now: datetime) -> timedelta:
        """Clock time left until the deadline (negative when overdue), as of `now` or of the
        moment the clock stopped."""
        if self.status is ClockStatus.PAUSED and self.paused_left is not None:
            return self.paused_left
        if self.due_at is None:
            return timedelta(0)
        ref = self.ended_at or now
        if ref <= self.due_at:
            return business_elapsed(calendar, ref, self.due_at)
        return -business_elapsed(calendar, self.due_at, ref)


@dataclass(frozen=True, slots=True)
class SlaView:
    ticket_id: str
    policy_id: str
    calendar_id: str
    respond: ClockView
    resolve: ClockView
    pauses: tuple[Pause, ...]
    open: bool

    @property
    def paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1].ended_at is None

    def breached(self, now: datetime) -> bool:
        return self.respond.breached(now) or self.resolve.breached(now)


def _clock_view(clock: TargetClock) -> ClockView:
    left = clock.goal - clock.consumed if clock.status is ClockStatus.PAUSED else None
    return ClockView(clock.status, clock.due_at, clock.ended_at, left)


def view_of(state: SlaState) -> SlaView:
    return SlaView(
        ticket_id=state.ticket_id,
        policy_id=state.policy_id,
        calendar_id=state.calendar_id,
        respond=_clock_view(state.respond),
        resolve=_clock_view(state.resolve),
        pauses=state.pauses,
        open=state.open,
    )
