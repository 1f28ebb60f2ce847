"""SLA policies: which tickets they apply to, their targets, reminders and escalations."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from services.common.business_time import Calendar
from services.common.policy_choice import ALWAYS, SITE_CALENDAR
from services.sla.domain.errors import InvalidInput

__all__ = [
    "KINDS",
    "PRIORITIES",
    "EscalationLevel",
    "Policy",
    "Target",
    "escalation_points",
    "validate_policy",
]

KINDS = frozenset({"repair", "complaint", "inquiry", "maintenance"})
PRIORITIES = frozenset({"P1", "P2", "P3", "P4"})

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_RECIPIENT = re.compile(r"^(role:[a-z_]{1,32}|[A-Za-z0-9][A-Za-z0-9._@-]{0,63})$")
_MAX_TARGET = timedelta(days=365)
_MAX_RECIPIENTS = 20
_MAX_LEVELS = 10


class Target(StrEnum):
    """A ticket's two clocks: to acceptance, and to resolution."""

    RESPOND = "respond"
    RESOLVE = "resolve"


@dataclass(frozen=True, slots=True)
class EscalationLevel:
    """Fires when the target's clock reaches `after` or `after_share` of the target.

    `notify` holds usernames, "role:<role>" or "assignee" (the ticket's technician).
    """

    target: Target
    notify: tuple[str, ...]
    action: str
    after_share: float | None = None
    after: timedelta | None = None

    def point(self, goal: timedelta) -> timedelta:
        """Clock time at which the level fires, for a target of `goal`."""
        if self.after is not None:
            return self.after
        return goal * (self.after_share or 1.0)


@dataclass(frozen=True, slots=True)
class Policy:
    """Targets for the tickets it matches; empty matchers match anything. A policy of a
    site applies to that site's tickets only; one of no site is a default for every site."""

    id: str
    respond: timedelta
    resolve: timedelta
    calendar: str = ALWAYS
    kind: str = ""
    category: str = ""
    priority: str = ""
    reminder_share: float = 0.0
    remind: tuple[str, ...] = ()
    escalations: tuple[EscalationLevel, ...] = ()
    name: str = ""
    site: str = ""

    def goal(self, target: Target) -> timedelta:
        return self.respond if target is Target.RESPOND else self.resolve


def escalation_points(policy: Policy, target: Target) -> list[tuple[int, EscalationLevel]]:
    """The target's escalation levels numbered 1, 2, ... in the order they fire."""
    goal = policy.goal(target)
    mine = sorted((lv for lv in policy.escalations if lv.target is target),
                  key=lambda lv: lv.point(goal))  # fmt: skip
    return list(enumerate(mine, start=1))


def _check_recipients(where: str, names: tuple[str, ...], required: bool) -> None:
    if required and not names:
        raise InvalidInput(f"{where}: name at least one recipient")
    if len(names) > _MAX_RECIPIENTS:
        raise InvalidInput(f"{where}: at most {_MAX_RECIPIENTS} recipients")
    for name in names:
        if not _RECIPIENT.match(name):
            raise InvalidInput(
                f"{where}: {name[:70]!r} is not a username, 'role:<role>' or 'assignee'"
            )


def _check_target(name: str, value: timedelta) -> None:
    if not timedelta(0) < value <= _MAX_TARGET:
        raise InvalidInput(f"{name} must be more than 0 seconds and at most 365 days")


def _check_level(number: int, level: EscalationLevel) -> None:
    where = f"escalations[{number}]"
    if (level.after_share is None) == (level.after is None):
        raise InvalidInput(f"{where}: give exactly one of after_share and after_s")
    if level.after_share is not None and not 0 < level.after_share <= 10:
        raise InvalidInput(f"{where}: after_share must be above 0 and at most 10")
    if level.after is not None and not timedelta(0) < level.after <= _MAX_TARGET:
        raise InvalidInput(f"{where}: after_s must be above 0 and at most 365 days")
    if not _CODE.match(level.action):
        raise InvalidInput(f"{where}: action must be a lower-case label such as major_issue")
    _check_recipients(where, level.notify, required=True)


def validate_policy(policy: Policy, calendars: Iterable[Calendar]) -> Policy:
    """The policy if it is consistent; InvalidInput naming the first problem otherwise. It
    may name a default calendar or one of its own site's."""
    if not _ID.match(policy.id):
        raise InvalidInput("policy id: 1-64 of a-z, 0-9, '_' and '-', starting alphanumeric")
    if policy.site and not _ID.match(policy.site):
        raise InvalidInput("site must be empty or a site code such as demo")
    if len(policy.name) > 200:
        raise InvalidInput("name is longer than 200 characters")
    if policy.kind and policy.kind not in KINDS:
        raise InvalidInput(f"kind must be empty or one of {', '.join(sorted(KINDS))}")
    if policy.priority and policy.priority not in PRIORITIES:
        raise InvalidInput("priority must be empty or one of P1, P2, P3, P4")
    if policy.category and not _CODE.match(policy.category):
        raise InvalidInput("category must be empty or a category code such as plumbing")
    _check_target("respond_target_s", policy.respond)
    _check_target("resolve_target_s", policy.resolve)
    if policy.respond > policy.resolve:
        raise InvalidInput("respond_target_s must not be longer than resolve_target_s")
    known = {c.id for c in calendars if c.site in ("", policy.site)}
    if policy.calendar not in {ALWAYS, SITE_CALENDAR} and policy.calendar not in known:
        raise InvalidInput(
            f"calendar must be '24x7', 'site' or the id of a default calendar or one of the"
            f" policy's site; there is no such calendar {policy.calendar[:64]!r}"
        )
    if policy.reminder_share and not 0 < policy.reminder_share < 1:
        raise InvalidInput("reminder_share must be 0 (no reminder) or between 0 and 1")
    _check_recipients("remind", policy.remind, required=False)
    if len(policy.escalations) > _MAX_LEVELS:
        raise InvalidInput(f"at most {_MAX_LEVELS} escalation levels")
    seen: set[tuple[Target, timedelta]] = set()
    for number, level in enumerate(policy.escalations):
        _check_level(number, level)
        key = (level.target, level.point(policy.goal(level.target)))
        if key in seen:
            raise InvalidInput(
                f"escalations[{number}] fires at the same time as another {level.target.value}"
                " level; merge their recipients"
            )
        seen.add(key)
    return policy
