"""Claim, decline, pause, resume and approve: every Status x Role, plus their own rules."""

from __future__ import annotations

import copy
import itertools

import pytest

from services.intake.domain.errors import Forbidden, IllegalTransition, InvalidInput
from services.intake.domain.lifecycle import apply_action, rate
from services.intake.domain.model import Action, Role, Status, Ticket
from tests.unit.test_lifecycle import ACTORS, ASSIGNEE, NOW, make_ticket

S, A, R = Status, Action, Role
_HANDS = (R.TECHNICIAN, R.DISPATCHER, R.SUPERVISOR, R.ADMIN)
_WORK = frozenset({S.ASSIGNED, S.IN_PROGRESS})
_DONE = frozenset({S.RESOLVED, S.AWAITING_RATING})

#: (role, action) -> states allowed from; absent: Forbidden.
ALLOWED: dict[tuple[Role, Action], frozenset[Status]] = {
    (R.TECHNICIAN, A.CLAIM): frozenset({S.SUBMITTED, S.ACCEPTED}),
    (R.TECHNICIAN, A.DECLINE): frozenset({S.ASSIGNED}),
    **{(r, A.PAUSE): _WORK for r in _HANDS},
    **{(r, A.RESUME): _WORK for r in _HANDS},
    (R.SUPERVISOR, A.APPROVE): _DONE,
    (R.ADMIN, A.APPROVE): _DONE,
}


def _ready(action: Action, status: Status) -> Ticket:
    """A ticket that meets the action's own precondition, so only role and state decide."""
    ticket = make_ticket(status, assignee=None if action is A.CLAIM else ASSIGNEE)
    ticket.waiting_reason = "waiting_parts" if action is A.RESUME else ""
    ticket.approval_pending = action is A.APPROVE
    return ticket


@pytest.mark.parametrize(
    ("status", "action", "role"),
    [
        pytest.param(s, a, r, id=f"{s.value}-{a.value}-{r.value}")
        for s, a, r in itertools.product(
            Status, [A.CLAIM, A.DECLINE, A.PAUSE, A.RESUME, A.APPROVE], Role
        )
    ],
)
def test_work_action_matrix(status: Status, action: Action, role: Role) -> None:
    ticket = _ready(action, status)
    before = copy.deepcopy(ticket)
    reason = "waiting_tenant" if action is A.PAUSE else "too far"

    def act() -> list[object]:
        return list(apply_action(ticket, ACTORS[role], action, NOW, reason=reason))

    allowed = ALLOWED.get((role, action))
    if allowed is None:
        with pytest.raises(Forbidden):
            act()
        assert ticket == before
        return
    if status not in allowed:
        with pytest.raises(IllegalTransition):
            act()
        assert ticket == before
        return
    [event] = apply_action(ticket, ACTORS[role], action, NOW, reason=reason)
    assert event.from_status is status and event.actor_role is role
    assert ticket.version == before.version + 1 and ticket.updated_at == NOW
    if action is A.CLAIM:
        assert (ticket.status, ticket.assignee, event.type) == (S.ASSIGNED, ASSIGNEE, "claimed")
    elif action is A.DECLINE:
        assert (ticket.status, ticket.assignee, event.type) == (S.ACCEPTED, None, "declined")
        assert event.payload == {"reason": "too far", "technician": ASSIGNEE}
    else:
        assert ticket.status is status and ticket.status_changed_at == before.status_changed_at
    if action is A.PAUSE:
        assert (ticket.waiting_reason, event.type) == ("waiting_tenant", "paused")
    if action is A.RESUME:
        assert (ticket.waiting_reason, event.payload) == ("", {"reason": "waiting_parts"})
    if action is A.APPROVE:
        assert (ticket.approval_pending, event.type) == (False, "approved")


def test_the_first_claim_wins() -> None:
    ticket = make_ticket(S.ACCEPTED, assignee=None)
    apply_action(ticket, ACTORS[R.TECHNICIAN], A.CLAIM, NOW)
    other = copy.deepcopy(ACTORS[R.TECHNICIAN])
    with pytest.raises(IllegalTransition, match="already assigned"):
        apply_action(ticket, other, A.CLAIM, NOW)


def test_decline_and_pause_need_reasons() -> None:
    with pytest.raises(InvalidInput, match="reason"):
        apply_action(make_ticket(S.ASSIGNED), ACTORS[R.TECHNICIAN], A.DECLINE, NOW, reason="  ")
    with pytest.raises(InvalidInput, match="waiting_parts"):
        apply_action(make_ticket(S.IN_PROGRESS), ACTORS[R.TECHNICIAN], A.PAUSE, NOW, reason="lunch")
    paused = make_ticket(S.IN_PROGRESS)
    apply_action(paused, ACTORS[R.TECHNICIAN], A.PAUSE, NOW, reason="waiting_parts")
    with pytest.raises(IllegalTransition, match="already paused"):
        apply_action(paused, ACTORS[R.TECHNICIAN], A.PAUSE, NOW, reason="waiting_tenant")
    with pytest.raises(IllegalTransition, match="not paused"):
        apply_action(make_ticket(S.IN_PROGRESS), ACTORS[R.TECHNICIAN], A.RESUME, NOW)


def test_resolving_clears_a_pause() -> None:
    ticket = make_ticket(S.IN_PROGRESS)
    apply_action(ticket, ACTORS[R.TECHNICIAN], A.PAUSE, NOW, reason="waiting_parts")
    apply_action(ticket, ACTORS[R.TECHNICIAN], A.RESOLVE, NOW)
    assert ticket.waiting_reason == ""


@pytest.mark.parametrize(("cost", "pending"), [(0, False), (500_00, False), (500_01, True)])
def test_costly_resolutions_wait_for_approval(cost: int, pending: bool) -> None:
    ticket = make_ticket(S.IN_PROGRESS)
    events = apply_action(ticket, ACTORS[R.TECHNICIAN], A.RESOLVE, NOW, cost_cents=cost)
    assert (ticket.cost_cents, ticket.approval_pending) == (cost, pending)
    assert events[0].payload.get("approval_pending", False) is pending
    if not pending:
        return
    with pytest.raises(IllegalTransition, match="approval"):
        rate(ticket, ACTORS[R.TENANT], 5, "", NOW)
    with pytest.raises(IllegalTransition, match="approval"):
        apply_action(ticket, ACTORS[R.DISPATCHER], A.CLOSE, NOW)
    apply_action(ticket, ACTORS[R.SUPERVISOR], A.APPROVE, NOW)
    assert rate(ticket, ACTORS[R.TENANT], 5, "", NOW)[0].type == "rated"


def test_negative_cost_is_refused() -> None:
    with pytest.raises(InvalidInput, match="negative"):
        apply_action(
            make_ticket(S.IN_PROGRESS), ACTORS[R.TECHNICIAN], A.RESOLVE, NOW, cost_cents=-1
        )


def test_the_threshold_is_configurable() -> None:
    ticket = make_ticket(S.IN_PROGRESS)
    apply_action(
        ticket, ACTORS[R.TECHNICIAN], A.RESOLVE, NOW, cost_cents=101, approval_threshold_cents=100
    )
    assert ticket.approval_pending
