"""Which timers a ticket's SLA state calls for: reminders, escalations and breaches.

Only running clocks have timers; a paused, met or cancelled clock has none (its pending
timers are withdrawn, and resuming plans them again). A timer is identified by
(kind, target, level) per ticket and fires at most once in the ticket's life, so
re-planning after every event never repeats one that already fired.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from services.common.business_time import Calendar
from services.sla.domain.policy import Policy, Target, escalation_points
from services.sla.domain.state import ClockStatus, SlaState, clock_instant

__all__ = [
    "ACTIVITY_TYPES",
    "ASSIGNEE",
    "PlannedTimer",
    "TimerKind",
    "plan_timers",
    "resolve_recipients",
    "split_recipients",
    "watch_points",
]

#: The recipient that stands for the ticket's current technician.
ASSIGNEE = "assignee"
_ROLE = "role:"


class TimerKind(StrEnum):
    REMINDER = "reminder"
    ESCALATION = "escalation"
    BREACH = "breach"


#: The intake activity each kind of timer records on its ticket.
ACTIVITY_TYPES: dict[TimerKind, str] = {
    TimerKind.REMINDER: "sla_reminder",
    TimerKind.ESCALATION: "sla_escalated",
    TimerKind.BREACH: "sla_breached",
}


@dataclass(frozen=True, slots=True)
class PlannedTimer:
    kind: TimerKind
    target: Target
    #: 0 for reminders and breaches; 1, 2, ... for escalation levels.
    level: int
    deadline: datetime
    notify: tuple[str, ...]
    action: str

    @property
    def key(self) -> tuple[str, str, int]:
        return self.kind.value, self.target.value, self.level


def resolve_recipients(names: Iterable[str], assignee: str) -> tuple[str, ...]:
    """`names` with "assignee" replaced by the ticket's technician (dropped when there is
    none), without repeats, in order."""
    out: list[str] = []
    for name in names:
        actual = assignee if name == ASSIGNEE else name
        if actual and actual not in out:
            out.append(actual)
    return tuple(out)


def split_recipients(names: Iterable[str]) -> tuple[list[str], list[str]]:
    """(usernames, roles) from resolved recipients ("role:supervisor" -> "supervisor")."""
    users = [n for n in names if not n.startswith(_ROLE)]
    roles = [n.removeprefix(_ROLE) for n in names if n.startswith(_ROLE)]
    return users, roles


def plan_timers(
    state: SlaState, policy: Policy, calendar: Calendar | None, now: datetime
) -> list[PlannedTimer]:
    """The timers the state calls for. A reminder whose breach has already come is
    left out (it would only be noise next to the breach)."""
    planned: list[PlannedTimer] = []
    remind = resolve_recipients(policy.remind, state.assignee)
    for clock in state.clocks:
        if clock.status is not ClockStatus.RUNNING or clock.due_at is None:
            continue
        target = clock.target
        planned.append(PlannedTimer(TimerKind.BREACH, target, 0, clock.due_at, remind, "breach"))
        if policy.reminder_share and clock.due_at > now:
            at = clock_instant(clock, calendar, clock.goal * policy.reminder_share)
            if at is not None:
                planned.append(PlannedTimer(TimerKind.REMINDER, target, 0, at, remind, "remind"))
        for level, step in escalation_points(policy, target):
            at = clock_instant(clock, calendar, step.point(clock.goal))
            if at is not None:
                notify = resolve_recipients(step.notify, state.assignee)
                planned.append(
                    PlannedTimer(TimerKind.ESCALATION, target, level, at, notify, step.action)
                )
    return sorted(planned, key=lambda t: (t.deadline, t.key))


def watch_points(planned: Iterable[PlannedTimer]) -> tuple[datetime | None, datetime | None]:
    """(at risk from, breached from) for the at-risk gauges: the first reminder (or breach,
    when there is no reminder) and the first breach among the planned timers."""
    items = list(planned)
    breaches = [t.deadline for t in items if t.kind is TimerKind.BREACH]
    warnings = [t.deadline for t in items if t.kind is not TimerKind.ESCALATION]
    return (min(warnings) if warnings else None), (min(breaches) if breaches else None)
