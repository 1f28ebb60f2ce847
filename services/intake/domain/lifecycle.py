"""The ticket state machine and who may drive it.

`RULES` is the whole policy: for each action, which roles may take it from which
states, and where it leads. Tenants act only on tickets they raised, technicians only
on tickets assigned to them; visibility (a tenant never sees another's ticket) is
enforced before any of this by `can_see`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.intake.domain.errors import Forbidden, IllegalTransition, InvalidInput
from services.intake.domain.model import (
    CATEGORIES,
    Action,
    Actor,
    NewEvent,
    Priority,
    Rating,
    Role,
    Status,
    Ticket,
)

__all__ = [
    "DEFAULT_APPROVAL_THRESHOLD_CENTS",
    "RULES",
    "WAITING_REASONS",
    "Rule",
    "apply_action",
    "can_see",
    "rate",
    "site_scope",
]

S = Status
_DESK = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM})
_WORK = frozenset({S.SUBMITTED, S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS})
_DONE = frozenset({S.RESOLVED, S.AWAITING_RATING})
_HANDS = frozenset({Role.TECHNICIAN, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class Rule:
    """From which states each role may take an action, and the state it leads to.

    `target` None means the status stays (pause, resume, approve) or, for reopen, is
    computed (back to assigned or accepted).
    """

    event: str
    target: Status | None
    from_states: dict[Role, frozenset[Status]]


def _same(roles: frozenset[Role], states: frozenset[Status]) -> dict[Role, frozenset[Status]]:
    return dict.fromkeys(roles, states)


RULES: dict[Action, Rule] = {
    Action.ACCEPT: Rule("accepted", S.ACCEPTED, _same(_DESK, frozenset({S.SUBMITTED}))),
    Action.ASSIGN: Rule(
        "assigned",
        S.ASSIGNED,
        _same(_DESK, frozenset({S.SUBMITTED, S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS})),
    ),
    Action.START: Rule(
        "started",
        S.IN_PROGRESS,
        _same(frozenset({Role.TECHNICIAN, Role.SUPERVISOR, Role.ADMIN}), frozenset({S.ASSIGNED})),
    ),
    Action.RESOLVE: Rule(
        "resolved",
        S.RESOLVED,
        _same(
            frozenset({Role.TECHNICIAN, Role.SUPERVISOR, Role.ADMIN}),
            frozenset({S.ASSIGNED, S.IN_PROGRESS}),
        ),
    ),
    Action.CLOSE: Rule("closed", S.CLOSED, _same(_DESK, _DONE)),
    Action.CANCEL: Rule(
        "cancelled",
        S.CANCELLED,
        {**_same(_DESK, _WORK), Role.TENANT: frozenset({S.SUBMITTED, S.ACCEPTED})},
    ),
    Action.REOPEN: Rule(
        "reopened",
        None,
        {
            Role.TENANT: _DONE,
            Role.DISPATCHER: _DONE,
            Role.SYSTEM: _DONE,
            Role.SUPERVISOR: _DONE | {S.CLOSED},
            Role.ADMIN: _DONE | {S.CLOSED},
        },
    ),
    Action.RATE: Rule("rated", S.CLOSED, {Role.TENANT: frozenset({S.AWAITING_RATING})}),
    Action.CLAIM: Rule(
        "claimed", S.ASSIGNED, {Role.TECHNICIAN: frozenset({S.SUBMITTED, S.ACCEPTED})}
    ),
    Action.DECLINE: Rule("declined", S.ACCEPTED, {Role.TECHNICIAN: frozenset({S.ASSIGNED})}),
    Action.PAUSE: Rule("paused", None, _same(_HANDS, frozenset({S.ASSIGNED, S.IN_PROGRESS}))),
    Action.RESUME: Rule("resumed", None, _same(_HANDS, frozenset({S.ASSIGNED, S.IN_PROGRESS}))),
    Action.APPROVE: Rule("approved", None, _same(frozenset({Role.SUPERVISOR, Role.ADMIN}), _DONE)),
}

#: Why work may wait; the SLA clock stops while it does.
WAITING_REASONS = frozenset({"waiting_tenant", "waiting_parts"})
#: Resolutions costing more than this (cents, CNY) wait for a supervisor's approval.
DEFAULT_APPROVAL_THRESHOLD_CENTS = 500_00
_KEEPS_STATUS = frozenset({Action.PAUSE, Action.RESUME, Action.APPROVE})

_STAFF = frozenset({Role.TECHNICIAN, Role.DISPATCHER, Role.SUPERVISOR, Role.PLANNER})


def site_scope(actor: Actor) -> str:
    """The one site whose tickets staff may see, or '' when the role is not scoped to a site.

    Tenants are scoped to their own tickets instead; admin and system see every site.
    """
    return actor.site if actor.role in _STAFF else ""


def can_see(actor: Actor, ticket: Ticket) -> bool:
    """Tenants see the tickets they raised; staff see their site; admin and system see all."""
    if actor.role is Role.TENANT and ticket.requester != actor.username:
        return False
    scope = site_scope(actor)
    return not scope or ticket.location.site == scope


def _check_party(actor: Actor, ticket: Ticket, action: Action) -> None:
    if actor.role is Role.TENANT and ticket.requester != actor.username:
        raise Forbidden("only the tenant who raised the ticket may act on it")
    if action is Action.CLAIM:
        if ticket.assignee is not None:
            raise IllegalTransition(f"the ticket is already assigned to {ticket.assignee}")
    elif actor.role is Role.TECHNICIAN and ticket.assignee != actor.username:
        raise Forbidden(f"only the assigned technician may {action.value} this ticket")


def _event(
    ticket: Ticket, actor: Actor, kind: str, target: Status, now: datetime, note: str
) -> NewEvent:
    return NewEvent(
        type=kind,
        from_status=ticket.status,
        to_status=target,
        actor=actor.username,
        actor_role=actor.role,
        channel=actor.channel,
        occurred_at=now,
        note=note,
    )


def _move(ticket: Ticket, target: Status, now: datetime) -> None:
    ticket.status = target
    ticket.status_changed_at = now
    ticket.updated_at = now
    ticket.version += 1


def _authorise(ticket: Ticket, actor: Actor, action: Action) -> Rule:
    rule = RULES[action]
    allowed = rule.from_states.get(actor.role)
    if allowed is None:
        raise Forbidden(f"a {actor.role.value} may not {action.value} tickets")
    _check_party(actor, ticket, action)
    if ticket.status not in allowed:
        raise IllegalTransition(f"cannot {action.value} a ticket that is {ticket.status.value}")
    return rule


def _preconditions(ticket: Ticket, action: Action, reason: str, cost_cents: int) -> None:
    """What each action needs beyond role and state (InvalidInput or IllegalTransition)."""
    if action is Action.DECLINE and not reason.strip():
        raise InvalidInput("decline needs a reason")
    if action is Action.PAUSE:
        if reason not in WAITING_REASONS:
            raise InvalidInput(f"pause needs a reason: {' or '.join(sorted(WAITING_REASONS))}")
        if ticket.waiting_reason:
            raise IllegalTransition(f"work is already paused ({ticket.waiting_reason})")
    if action is Action.RESUME and not ticket.waiting_reason:
        raise IllegalTransition("work is not paused")
    if action is Action.APPROVE and not ticket.approval_pending:
        raise IllegalTransition("nothing on this ticket waits for approval")
    if action in (Action.CLOSE, Action.RATE) and ticket.approval_pending:
        raise IllegalTransition("the repair's cost waits for a supervisor's approval")
    if action is Action.RESOLVE and cost_cents < 0:
        raise InvalidInput("cost must not be negative")


def _note_change(
    ticket: Ticket, action: Action, event: NewEvent, reason: str, now: datetime
) -> None:
    """Pause, resume and approve change what the ticket records, not its status."""
    if action is Action.PAUSE:
        ticket.waiting_reason = reason
        event.payload.update(reason=reason)
    elif action is Action.RESUME:
        event.payload.update(reason=ticket.waiting_reason)
        ticket.waiting_reason = ""
    else:
        ticket.approval_pending = False
        event.payload.update(cost_cents=ticket.cost_cents)
    ticket.updated_at = now
    ticket.version += 1


def _check_labels(action: Action, priority: Priority | None, category: str | None) -> None:
    if (priority is not None or category is not None) and action is not Action.ACCEPT:
        raise InvalidInput("a priority or category is set when the ticket is accepted")
    if category is not None and category not in CATEGORIES:
        raise InvalidInput(f"unknown category {category[:40]!r}; known: {', '.join(CATEGORIES)}")


def _relabel(ticket: Ticket, event: NewEvent, priority: Priority, category: str) -> None:
    """The desk's priority and category on accepting. A change goes into the event's
    payload, where `priority` and `category` re-match the ticket's SLA policy."""
    if (priority, category) == (ticket.priority, ticket.category):
        return
    event.payload.update(priority=priority.value, previous_priority=ticket.priority.value,
                         category=category)  # fmt: skip
    if category != ticket.category:
        event.payload.update(previous_category=ticket.category)
    ticket.priority, ticket.category = priority, category


def apply_action(
    ticket: Ticket,
    actor: Actor,
    action: Action,
    now: datetime,
    *,
    assignee: str | None = None,
    note: str = "",
    reason: str = "",
    cost_cents: int = 0,
    approval_threshold_cents: int = DEFAULT_APPROVAL_THRESHOLD_CENTS,
    priority: Priority | None = None,
    category: str | None = None,
) -> list[NewEvent]:
    """Apply `action` to `ticket` in place and return the events to record. Accepting may
    set the ticket's priority and category (the desk confirms or changes what triage or a
    tenant asked).

    Raises Forbidden, IllegalTransition or InvalidInput, leaving the ticket unchanged.
    Rating goes through `rate`, which needs the stars.
    """
    if action is Action.RATE:
        raise InvalidInput("rate a ticket through the rating call, with stars")
    rule = _authorise(ticket, actor, action)
    if action is Action.ASSIGN and not assignee:
        raise InvalidInput("assign needs an assignee (a technician's username)")
    _check_labels(action, priority, category)
    _preconditions(ticket, action, reason, cost_cents)
    if action in _KEEPS_STATUS:
        event = _event(ticket, actor, rule.event, ticket.status, now, note)
        _note_change(ticket, action, event, reason, now)
        return [event]
    target = rule.target
    if target is None:  # reopen: back to whoever had it, or to the desk
        target = Status.ASSIGNED if ticket.assignee else Status.ACCEPTED
    event = _event(ticket, actor, rule.event, target, now, note)
    if action in (Action.ASSIGN, Action.CLAIM):
        new = assignee if action is Action.ASSIGN else actor.username
        event.payload.update(assignee=new, previous_assignee=ticket.assignee)
        ticket.assignee = new
    elif action is Action.DECLINE:
        event.payload.update(reason=reason.strip(), technician=ticket.assignee)
        ticket.assignee = None
    elif action is Action.ACCEPT:
        _relabel(ticket, event, priority or ticket.priority, category or ticket.category)
    elif action is Action.CANCEL and reason.strip():
        event.payload.update(reason=reason.strip())
    elif action is Action.RESOLVE:
        ticket.waiting_reason = ""
        ticket.cost_cents = cost_cents
        ticket.approval_pending = cost_cents > approval_threshold_cents
        if cost_cents:
            event.payload.update(cost_cents=cost_cents, approval_pending=ticket.approval_pending)
    _move(ticket, target, now)
    events = [event]
    if action is Action.RESOLVE and ticket.requester_role is Role.TENANT:
        system = Actor("system", Role.SYSTEM, channel=actor.channel)
        events.append(_event(ticket, system, "awaiting_rating", Status.AWAITING_RATING, now, ""))
        _move(ticket, Status.AWAITING_RATING, now)
    return events


def rate(ticket: Ticket, actor: Actor, stars: int, comment: str, now: datetime) -> list[NewEvent]:
    """The requester rates the service 1-5 stars; the rating closes the ticket."""
    if not 1 <= stars <= 5:
        raise InvalidInput("stars must be between 1 and 5")
    rule = _authorise(ticket, actor, Action.RATE)
    _preconditions(ticket, Action.RATE, "", 0)
    assert rule.target is not None
    event = _event(ticket, actor, rule.event, rule.target, now, comment)
    event.payload.update(stars=stars)
    ticket.rating = Rating(stars=stars, comment=comment, rated_at=now)
    _move(ticket, rule.target, now)
    return [event]
