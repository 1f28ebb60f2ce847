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
from services.intake.domain.model import Action, Actor, NewEvent, Rating, Role, Status, Ticket

__all__ = ["RULES", "Rule", "apply_action", "can_see", "rate", "site_scope"]

S = Status
_DESK = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM})
_WORK = frozenset({S.SUBMITTED, S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS})
_DONE = frozenset({S.RESOLVED, S.AWAITING_RATING})


@dataclass(frozen=True, slots=True)
class Rule:
    """From which states each role may take an action, and the state it leads to.

    `target` None means the state is computed (reopen returns to assigned or accepted).
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
}

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
    if actor.role is Role.TECHNICIAN and ticket.assignee != actor.username:
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


def apply_action(
    ticket: Ticket,
    actor: Actor,
    action: Action,
    now: datetime,
    *,
    assignee: str | None = None,
    note: str = "",
) -> list[NewEvent]:
    """Apply `action` to `ticket` in place and return the events to record.

    Raises Forbidden, IllegalTransition or InvalidInput, leaving the ticket unchanged.
    Rating goes through `rate`, which needs the stars.
    """
    if action is Action.RATE:
        raise InvalidInput("rate a ticket through the rating call, with stars")
    rule = _authorise(ticket, actor, action)
    if action is Action.ASSIGN and not assignee:
        raise InvalidInput("assign needs an assignee (a technician's username)")
    target = rule.target
    if target is None:  # reopen: back to whoever had it, or to the desk
        target = Status.ASSIGNED if ticket.assignee else Status.ACCEPTED
    event = _event(ticket, actor, rule.event, target, now, note)
    if action is Action.ASSIGN:
        event.payload.update(assignee=assignee, previous_assignee=ticket.assignee)
        ticket.assignee = assignee
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
    assert rule.target is not None
    event = _event(ticket, actor, rule.event, rule.target, now, comment)
    event.payload.update(stars=stars)
    ticket.rating = Rating(stars=stars, comment=comment, rated_at=now)
    _move(ticket, rule.target, now)
    return [event]
