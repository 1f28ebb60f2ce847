"""A ticket's SLA state, derived from its event history alone.

Two clocks start when the ticket is created: *respond* stops when a person moves the
ticket on (a dispatcher accepts or assigns it, a technician claims or starts it; an
automatic assignment by the system is not a response, the technician starting is),
*resolve* stops when it is resolved. Both stand
still between a `paused` and the next `resumed` event (waiting for the tenant or for
parts); every pause is kept. A reopened ticket's resolve clock runs on from where it
stopped (the time it spent resolved does not count). Cancelling stops both clocks.
Closing a resolved ticket changes nothing.

Clock time is working time of the policy's calendar (or all time for 24x7). Because the
state is a pure function of (events, policy, calendar), a changed policy or calendar is
applied to open tickets by deriving again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from services.common.business_time import Calendar, business_elapsed, business_time_add
from services.sla.domain.policy import Policy, Target

__all__ = [
    "ClockStatus",
    "EventFact",
    "Pause",
    "SlaState",
    "TargetClock",
    "TicketFacts",
    "clock_instant",
    "derive",
]

_WORK = frozenset({"submitted", "accepted", "assigned", "in_progress"})
#: A person moving the ticket into one of these has responded to it.
_RESPONDED = _WORK - {"submitted"}
#: ... and so has a person doing one of these, whatever the status was (a dispatcher
#: assigning again a ticket the system had assigned).
_RESPONSES = frozenset({"accepted", "assigned", "claimed", "started"})
_DONE = frozenset({"resolved", "awaiting_rating", "closed"})
_FINISHED = frozenset({"closed", "cancelled"})

Segment = tuple[datetime, datetime | None]


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What policies match on, and when the clocks start."""

    ticket_id: str
    kind: str
    category: str
    priority: str
    site: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class EventFact:
    """One ticket event as far as SLA cares; `id` orders a ticket's events."""

    id: int
    type: str
    occurred_at: datetime
    from_status: str = ""
    to_status: str = ""
    #: Why work paused ("waiting_tenant", "waiting_parts").
    reason: str = ""
    #: The technician the event gave the ticket to, if it did.
    assignee: str = ""
    #: Made by a service (dispatch's automatic assignment), not by a person.
    by_system: bool = False


class ClockStatus(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Pause:
    reason: str
    started_at: datetime
    ended_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TargetClock:
    """One clock: the stretches it ran, where it stands, and its deadline.

    `due_at` is when the clock reaches its goal: in the future while it runs, the moment it
    crossed if it did, the deadline it was held to once met or cancelled, and None while it
    is paused short of its goal. `consumed` is clock time over the closed stretches.
    """

    target: Target
    goal: timedelta
    status: ClockStatus
    segments: tuple[Segment, ...]
    due_at: datetime | None
    ended_at: datetime | None
    consumed: timedelta

    def breached(self, now: datetime) -> bool:
        """Met after its deadline, or not met and the deadline has come."""
        if self.due_at is None:
            return False
        if self.ended_at is not None:
            return self.ended_at > self.due_at
        return now >= self.due_at


@dataclass(frozen=True, slots=True)
class SlaState:
    ticket_id: str
    policy_id: str
    #: "" for 24x7.
    calendar_id: str
    respond: TargetClock
    resolve: TargetClock
    pauses: tuple[Pause, ...] = ()
    assignee: str = ""
    #: False once the ticket is closed or cancelled.
    open: bool = True

    @property
    def clocks(self) -> tuple[TargetClock, TargetClock]:
        return self.respond, self.resolve

    @property
    def paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1].ended_at is None

    def breached(self, now: datetime) -> bool:
        return self.respond.breached(now) or self.resolve.breached(now)


@dataclass
class _Clock:
    """A clock being built while the events are replayed."""

    status: ClockStatus
    segments: list[list[datetime | None]] = field(default_factory=list)
    ended_at: datetime | None = None

    def _close(self, at: datetime) -> None:
        if self.segments and self.segments[-1][1] is None:
            self.segments[-1][1] = at

    def pause(self, at: datetime) -> None:
        if self.status is ClockStatus.RUNNING:
            self._close(at)
            self.status = ClockStatus.PAUSED

    def resume(self, at: datetime) -> None:
        if self.status is ClockStatus.PAUSED:
            self.segments.append([at, None])
            self.status = ClockStatus.RUNNING

    def end(self, at: datetime, status: ClockStatus) -> None:
        if self.status in (ClockStatus.RUNNING, ClockStatus.PAUSED):
            self._close(at)
            self.status = status
            self.ended_at = at

    def reopen(self, at: datetime) -> None:
        if self.status is ClockStatus.MET:
            self.segments.append([at, None])
            self.status = ClockStatus.RUNNING
            self.ended_at = None


def _instant(
    segments: tuple[Segment, ...], calendar: Calendar | None, point: timedelta, project: bool
) -> datetime | None:
    """When the clock reaches `point`; the last stretch runs on when it is open or when
    `project` is set, otherwise None if the closed stretches fall short."""
    used = timedelta(0)
    for number, (start, end) in enumerate(segments):
        if end is None or (project and number == len(segments) - 1):
            return business_time_add(calendar, start, point - used)
        span = business_elapsed(calendar, start, end)
        if used + span >= point:
            return business_time_add(calendar, start, point - used)
        used += span
    return None


def clock_instant(
    clock: TargetClock, calendar: Calendar | None, point: timedelta
) -> datetime | None:
    """When a running clock reaches `point` of clock time (possibly in the past)."""
    return _instant(clock.segments, calendar, point, project=False)


def _freeze(
    target: Target, goal: timedelta, clock: _Clock, calendar: Calendar | None
) -> TargetClock:
    segments = tuple((s, e) for s, e in clock.segments if s is not None)
    closed = [(s, e) for s, e in segments if e is not None]
    consumed = sum((business_elapsed(calendar, s, e) for s, e in closed), timedelta(0))
    project = clock.status is not ClockStatus.PAUSED
    due = _instant(segments, calendar, goal, project) if segments else None
    return TargetClock(target, goal, clock.status, segments, due, clock.ended_at, consumed)


def _apply(
    event: EventFact, at: datetime, status: str, respond: _Clock, resolve: _Clock,
    pauses: list[Pause],
) -> str:  # fmt: skip
    """Replay one event on the clocks; returns the ticket's status after it."""
    clocks = (respond, resolve)
    if event.type == "paused":
        if not pauses or pauses[-1].ended_at is not None:
            pauses.append(Pause(event.reason, at))
            for clock in clocks:
                clock.pause(at)
        return status
    if event.type == "resumed":
        _end_pause(pauses, at)
        for clock in clocks:
            clock.resume(at)
        return status
    old, new = event.from_status or status, event.to_status or status
    if new == "cancelled":
        _end_pause(pauses, at)
        for clock in clocks:
            clock.end(at, ClockStatus.CANCELLED)
        return new
    moved_on = event.type in _RESPONSES or (new != old and new in _RESPONDED)
    if moved_on and not event.by_system and event.type != "declined":
        respond.end(at, ClockStatus.MET)
    if new in _DONE and old not in _DONE:
        _end_pause(pauses, at)
        respond.end(at, ClockStatus.MET)
        resolve.end(at, ClockStatus.MET)
    elif old in _DONE and new in _WORK:
        resolve.reopen(at)
    return new


def _end_pause(pauses: list[Pause], at: datetime) -> None:
    if pauses and pauses[-1].ended_at is None:
        last = pauses[-1]
        pauses[-1] = Pause(last.reason, last.started_at, at)


def derive(
    facts: TicketFacts,
    events: Iterable[EventFact],
    policy: Policy,
    calendar: Calendar | None,
) -> SlaState:
    """The ticket's SLA state under `policy` and `calendar` after `events` (in any order;
    they are replayed by id). Events never move a clock back in time."""
    start = facts.created_at
    respond = _Clock(ClockStatus.RUNNING, [[start, None]])
    resolve = _Clock(ClockStatus.RUNNING, [[start, None]])
    pauses: list[Pause] = []
    status, assignee, last = "submitted", "", start
    for event in sorted(events, key=lambda e: e.id):
        last = max(last, event.occurred_at)
        if event.assignee:
            assignee = event.assignee
        if event.type != "created":
            status = _apply(event, last, status, respond, resolve, pauses)
    return SlaState(
        ticket_id=facts.ticket_id,
        policy_id=policy.id,
        calendar_id=calendar.id if calendar else "",
        respond=_freeze(Target.RESPOND, policy.respond, respond, calendar),
        resolve=_freeze(Target.RESOLVE, policy.resolve, resolve, calendar),
        pauses=tuple(pauses),
        assignee=assignee,
        open=status not in _FINISHED,
    )
