"""Pure unit tests of the intake domain: lifecycle policy, creation, triage, attachments.

The lifecycle expectations below are written out by hand from the product spec; they are
deliberately NOT built from `services.intake.domain.lifecycle.RULES`, so a change to the
rules that the spec does not sanction makes these tests fail.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import re
import struct
import zlib
from datetime import UTC, datetime, timedelta

import pytest
from maintenance.intake.v1 import intake_pb2 as pb

from services.common.protoenum import code_of, number_of
from services.intake.adapters.event_log import format_cursor, parse_cursor
from services.intake.domain.attachments import (
    MAX_ATTACHMENT_BYTES,
    check_attachment,
    sniff_media_type,
)
from services.intake.domain.creation import (
    NewTicket,
    as_asked_by,
    created_event,
    open_ticket,
    request_fingerprint,
)
from services.intake.domain.errors import (
    DomainError,
    Forbidden,
    IllegalTransition,
    InvalidInput,
)
from services.intake.domain.lifecycle import apply_action, can_see, rate
from services.intake.domain.model import (
    CATEGORIES,
    Action,
    Actor,
    Channel,
    Kind,
    Location,
    NewEvent,
    Priority,
    Role,
    Source,
    Status,
    Ticket,
)
from services.intake.domain.triage import default_priority

# ---------------------------------------------------------------------------------------
# The expected policy, written out from the spec.
# ---------------------------------------------------------------------------------------

S = Status
A = Action
R = Role

_WORKING = frozenset({S.SUBMITTED, S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS})
_DONE = frozenset({S.RESOLVED, S.AWAITING_RATING})

#: (role, action) -> the states the role may take the action from. Absent: Forbidden.
ALLOWED: dict[tuple[Role, Action], frozenset[Status]] = {
    # accept
    (R.DISPATCHER, A.ACCEPT): frozenset({S.SUBMITTED}),
    (R.SUPERVISOR, A.ACCEPT): frozenset({S.SUBMITTED}),
    (R.ADMIN, A.ACCEPT): frozenset({S.SUBMITTED}),
    (R.SYSTEM, A.ACCEPT): frozenset({S.SUBMITTED}),
    # assign
    (R.DISPATCHER, A.ASSIGN): _WORKING,
    (R.SUPERVISOR, A.ASSIGN): _WORKING,
    (R.ADMIN, A.ASSIGN): _WORKING,
    (R.SYSTEM, A.ASSIGN): _WORKING,
    # start
    (R.TECHNICIAN, A.START): frozenset({S.ASSIGNED}),
    (R.SUPERVISOR, A.START): frozenset({S.ASSIGNED}),
    (R.ADMIN, A.START): frozenset({S.ASSIGNED}),
    # resolve
    (R.TECHNICIAN, A.RESOLVE): frozenset({S.ASSIGNED, S.IN_PROGRESS}),
    (R.SUPERVISOR, A.RESOLVE): frozenset({S.ASSIGNED, S.IN_PROGRESS}),
    (R.ADMIN, A.RESOLVE): frozenset({S.ASSIGNED, S.IN_PROGRESS}),
    # close
    (R.DISPATCHER, A.CLOSE): _DONE,
    (R.SUPERVISOR, A.CLOSE): _DONE,
    (R.ADMIN, A.CLOSE): _DONE,
    (R.SYSTEM, A.CLOSE): _DONE,
    # cancel
    (R.DISPATCHER, A.CANCEL): _WORKING,
    (R.SUPERVISOR, A.CANCEL): _WORKING,
    (R.ADMIN, A.CANCEL): _WORKING,
    (R.SYSTEM, A.CANCEL): _WORKING,
    (R.TENANT, A.CANCEL): frozenset({S.SUBMITTED, S.ACCEPTED}),
    # reopen
    (R.TENANT, A.REOPEN): _DONE,
    (R.DISPATCHER, A.REOPEN): _DONE,
    (R.SYSTEM, A.REOPEN): _DONE,
    (R.SUPERVISOR, A.REOPEN): _DONE | {S.CLOSED},
    (R.ADMIN, A.REOPEN): _DONE | {S.CLOSED},
}

#: Where each action leads; None: reopen, computed (assigned if assignee, else accepted).
TARGET: dict[Action, Status | None] = {
    A.ACCEPT: S.ACCEPTED,
    A.ASSIGN: S.ASSIGNED,
    A.START: S.IN_PROGRESS,
    A.RESOLVE: S.RESOLVED,
    A.CLOSE: S.CLOSED,
    A.CANCEL: S.CANCELLED,
    A.REOPEN: None,
}

#: The event each action records.
EVENT_TYPE: dict[Action, str] = {
    A.ACCEPT: "accepted",
    A.ASSIGN: "assigned",
    A.START: "started",
    A.RESOLVE: "resolved",
    A.CLOSE: "closed",
    A.CANCEL: "cancelled",
    A.REOPEN: "reopened",
}

#: Only the requester may rate, only while awaiting a rating.
RATE_ALLOWED: dict[Role, frozenset[Status]] = {R.TENANT: frozenset({S.AWAITING_RATING})}

REQUESTER = "tenant1"
ASSIGNEE = "tech1"
NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
CREATED = NOW - timedelta(days=2)

ACTORS: dict[Role, Actor] = {
    R.TENANT: Actor(REQUESTER, R.TENANT, "demo", Channel.APP, unit="A-301"),
    R.TECHNICIAN: Actor(ASSIGNEE, R.TECHNICIAN, channel=Channel.APP),
    R.DISPATCHER: Actor("dispatcher1", R.DISPATCHER, channel=Channel.WEB),
    R.SUPERVISOR: Actor("supervisor1", R.SUPERVISOR, channel=Channel.WEB),
    R.PLANNER: Actor("planner1", R.PLANNER, channel=Channel.WEB),
    R.ADMIN: Actor("admin", R.ADMIN, channel=Channel.WEB),
    R.SYSTEM: Actor("system", R.SYSTEM),
}

#: Actions that keep the status, or need a ticket without an assignee, have their own
#: matrix in test_work_actions.py.
WORK_ACTIONS = frozenset({A.CLAIM, A.DECLINE, A.PAUSE, A.RESUME, A.APPROVE})
LIFECYCLE_ACTIONS = [a for a in Action if a is not A.RATE and a not in WORK_ACTIONS]


def make_ticket(
    status: Status = S.SUBMITTED,
    *,
    assignee: str | None = ASSIGNEE,
    requester: str = REQUESTER,
    requester_role: Role = R.TENANT,
    site: str = "demo",
) -> Ticket:
    return Ticket(
        id="0d6f4b1e-5f0e-4a53-9f43-0c1f2b3a4d5e",
        number="T20261120-0000001",
        kind=Kind.REPAIR,
        category="plumbing",
        status=status,
        priority=Priority.P2,
        title="Kitchen tap drips",
        description="Since Monday",
        location=Location(site, "A", "3", "A-301"),
        requester=requester,
        requester_role=requester_role,
        channel=Channel.APP,
        source=Source.TENANT if requester_role is R.TENANT else Source.STAFF,
        created_at=CREATED,
        updated_at=CREATED,
        status_changed_at=CREATED,
        assignee=assignee,
        attributes={"access": "after 6pm"},
        version=3,
    )


def _matrix_id(status: Status, action: Action, role: Role) -> str:
    return f"{status.value}-{action.value}-{role.value}"


def test_the_vocabulary_is_the_one_the_tables_cover() -> None:
    """If an enum grows, the tables above must be revisited before this passes again."""
    assert {s.value for s in Status} == {
        "submitted", "accepted", "assigned", "in_progress", "resolved",
        "awaiting_rating", "closed", "cancelled",
    }  # fmt: skip
    assert {a.value for a in Action} == {
        "accept", "assign", "start", "resolve", "close", "cancel", "reopen", "rate",
        "claim", "decline", "pause", "resume", "approve",
    }  # fmt: skip
    assert {r.value for r in Role} == {
        "tenant", "technician", "dispatcher", "supervisor", "planner", "admin", "system",
    }  # fmt: skip
    assert set(TARGET) == set(LIFECYCLE_ACTIONS) == set(EVENT_TYPE)
    assert not any(role is R.PLANNER for role, _ in ALLOWED)


# ---------------------------------------------------------------------------------------
# apply_action: every Status x Action x Role
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "action", "role"),
    [
        pytest.param(s, a, r, id=_matrix_id(s, a, r))
        for s, a, r in itertools.product(Status, [*LIFECYCLE_ACTIONS, A.RATE], Role)
    ],
)
def test_apply_action_matrix(status: Status, action: Action, role: Role) -> None:
    ticket = make_ticket(status)
    before = copy.deepcopy(ticket)
    actor = ACTORS[role]
    assignee = "tech2" if action is A.ASSIGN else None

    if action is A.RATE:
        with pytest.raises(InvalidInput):
            apply_action(ticket, actor, action, NOW, assignee=assignee, note="n")
        assert ticket == before
        return

    allowed = ALLOWED.get((role, action))
    if allowed is None:
        with pytest.raises(Forbidden):
            apply_action(ticket, actor, action, NOW, assignee=assignee, note="n")
        assert ticket == before
        return
    if status not in allowed:
        with pytest.raises(IllegalTransition):
            apply_action(ticket, actor, action, NOW, assignee=assignee, note="n")
        assert ticket == before
        return

    events = apply_action(ticket, actor, action, NOW, assignee=assignee, note="n")

    target = TARGET[action]
    if target is None:  # reopen; this ticket has an assignee
        target = S.ASSIGNED
    first = events[0]
    assert first.type == EVENT_TYPE[action]
    assert first.from_status is status
    assert first.to_status is target
    assert first.actor == actor.username
    assert first.actor_role is role
    assert first.channel is actor.channel
    assert first.occurred_at == NOW
    assert first.note == "n"

    final = target
    if action is A.RESOLVE:  # the requester is a tenant: a rating is awaited
        assert len(events) == 2
        second = events[1]
        assert second.type == "awaiting_rating"
        assert second.from_status is S.RESOLVED
        assert second.to_status is S.AWAITING_RATING
        assert second.actor == "system"
        assert second.actor_role is R.SYSTEM
        assert second.occurred_at == NOW
        final = S.AWAITING_RATING
    else:
        assert len(events) == 1

    expected_assignee = before.assignee
    if action is A.ASSIGN:
        assert first.payload == {"assignee": "tech2", "previous_assignee": ASSIGNEE}
        expected_assignee = "tech2"

    assert ticket == dataclasses.replace(
        before,
        status=final,
        assignee=expected_assignee,
        version=before.version + len(events),
        updated_at=NOW,
        status_changed_at=NOW,
        attributes=dict(before.attributes),
    )
    assert ticket.created_at == CREATED


@pytest.mark.parametrize(
    ("status", "role"),
    [pytest.param(s, r, id=f"{s.value}-{r.value}") for s, r in itertools.product(Status, Role)],
)
def test_rate_matrix(status: Status, role: Role) -> None:
    ticket = make_ticket(status)
    before = copy.deepcopy(ticket)
    actor = ACTORS[role]
    allowed = RATE_ALLOWED.get(role)
    if allowed is None:
        with pytest.raises(Forbidden):
            rate(ticket, actor, 4, "ok", NOW)
        assert ticket == before
        return
    if status not in allowed:
        with pytest.raises(IllegalTransition):
            rate(ticket, actor, 4, "ok", NOW)
        assert ticket == before
        return
    events = rate(ticket, actor, 4, "quick and tidy", NOW)
    assert len(events) == 1
    event = events[0]
    assert event.type == "rated"
    assert (event.from_status, event.to_status) == (S.AWAITING_RATING, S.CLOSED)
    assert (event.actor, event.actor_role, event.occurred_at) == (REQUESTER, R.TENANT, NOW)
    assert event.payload == {"stars": 4}
    assert ticket.status is S.CLOSED
    assert ticket.rating is not None
    assert (ticket.rating.stars, ticket.rating.comment, ticket.rating.rated_at) == (
        4,
        "quick and tidy",
        NOW,
    )
    assert ticket.version == before.version + 1
    assert ticket.updated_at == ticket.status_changed_at == NOW


@pytest.mark.parametrize("stars", [-1, 0, 6, 100])
@pytest.mark.parametrize("status", list(Status), ids=lambda s: s.value)
def test_rate_refuses_stars_out_of_range(stars: int, status: Status) -> None:
    ticket = make_ticket(status)
    before = copy.deepcopy(ticket)
    with pytest.raises(InvalidInput):
        rate(ticket, ACTORS[R.TENANT], stars, "", NOW)
    assert ticket == before


@pytest.mark.parametrize("stars", [1, 2, 3, 4, 5])
def test_rate_accepts_one_to_five(stars: int) -> None:
    ticket = make_ticket(S.AWAITING_RATING)
    rate(ticket, ACTORS[R.TENANT], stars, "", NOW)
    assert ticket.rating is not None
    assert ticket.rating.stars == stars
    assert ticket.status is S.CLOSED


@pytest.mark.parametrize("status", list(Status), ids=lambda s: s.value)
def test_rate_by_another_tenant_is_forbidden(status: Status) -> None:
    ticket = make_ticket(status)
    before = copy.deepcopy(ticket)
    other = Actor("tenant2", R.TENANT)
    if status in RATE_ALLOWED[R.TENANT]:
        with pytest.raises(Forbidden):
            rate(ticket, other, 5, "", NOW)
    else:
        with pytest.raises((Forbidden, IllegalTransition)):
            rate(ticket, other, 5, "", NOW)
    assert ticket == before


_TENANT_ACTIONS = [a for a in LIFECYCLE_ACTIONS if (R.TENANT, a) in ALLOWED]


@pytest.mark.parametrize(
    ("status", "action"),
    [
        pytest.param(s, a, id=f"{s.value}-{a.value}")
        for s, a in itertools.product(Status, _TENANT_ACTIONS)
    ],
)
def test_tenant_who_is_not_the_requester_is_forbidden(status: Status, action: Action) -> None:
    ticket = make_ticket(status)
    before = copy.deepcopy(ticket)
    other = Actor("tenant2", R.TENANT)
    if status in ALLOWED[(R.TENANT, action)]:
        with pytest.raises(Forbidden):
            apply_action(ticket, other, action, NOW)
    else:
        with pytest.raises((Forbidden, IllegalTransition)):
            apply_action(ticket, other, action, NOW)
    assert ticket == before


_TECH_ACTIONS = [a for a in LIFECYCLE_ACTIONS if (R.TECHNICIAN, a) in ALLOWED]


@pytest.mark.parametrize("assignee", [None, "tech2"])
@pytest.mark.parametrize(
    ("status", "action"),
    [
        pytest.param(s, a, id=f"{s.value}-{a.value}")
        for s, a in itertools.product(Status, _TECH_ACTIONS)
    ],
)
def test_technician_who_is_not_the_assignee_is_forbidden(
    status: Status, action: Action, assignee: str | None
) -> None:
    ticket = make_ticket(status, assignee=assignee)
    before = copy.deepcopy(ticket)
    if status in ALLOWED[(R.TECHNICIAN, action)]:
        with pytest.raises(Forbidden):
            apply_action(ticket, ACTORS[R.TECHNICIAN], action, NOW)
    else:
        with pytest.raises((Forbidden, IllegalTransition)):
            apply_action(ticket, ACTORS[R.TECHNICIAN], action, NOW)
    assert ticket == before


@pytest.mark.parametrize(
    ("status", "action"),
    [
        pytest.param(s, a, id=f"{s.value}-{a.value}")
        for s, a in itertools.product(Status, LIFECYCLE_ACTIONS)
    ],
)
def test_planner_may_do_nothing(status: Status, action: Action) -> None:
    ticket = make_ticket(status)
    before = copy.deepcopy(ticket)
    with pytest.raises(Forbidden):
        apply_action(ticket, ACTORS[R.PLANNER], action, NOW, assignee="tech2")
    with pytest.raises(Forbidden):
        rate(ticket, ACTORS[R.PLANNER], 5, "", NOW)
    assert ticket == before


_REOPENERS = [
    (role, status)
    for (role, action), states in sorted(ALLOWED.items())
    if action is A.REOPEN
    for status in sorted(states)
]


@pytest.mark.parametrize(
    ("role", "status"),
    [pytest.param(r, s, id=f"{r.value}-{s.value}") for r, s in _REOPENERS],
)
def test_reopen_returns_to_accepted_without_an_assignee(role: Role, status: Status) -> None:
    ticket = make_ticket(status, assignee=None)
    events = apply_action(ticket, ACTORS[role], A.REOPEN, NOW)
    assert [(e.type, e.from_status, e.to_status) for e in events] == [
        ("reopened", status, S.ACCEPTED)
    ]
    assert ticket.status is S.ACCEPTED
    assert ticket.assignee is None


_ASSIGNERS = [
    (role, status)
    for (role, action), states in sorted(ALLOWED.items())
    if action is A.ASSIGN
    for status in sorted(states)
]


@pytest.mark.parametrize("missing", [None, ""])
@pytest.mark.parametrize(
    ("role", "status"),
    [pytest.param(r, s, id=f"{r.value}-{s.value}") for r, s in _ASSIGNERS],
)
def test_assign_needs_an_assignee(role: Role, status: Status, missing: str | None) -> None:
    ticket = make_ticket(status)
    before = copy.deepcopy(ticket)
    with pytest.raises(InvalidInput):
        apply_action(ticket, ACTORS[role], A.ASSIGN, NOW, assignee=missing)
    assert ticket == before


def test_first_assignment_has_no_previous_assignee() -> None:
    ticket = make_ticket(S.ACCEPTED, assignee=None)
    events = apply_action(ticket, ACTORS[R.DISPATCHER], A.ASSIGN, NOW, assignee="tech1")
    assert events[0].payload == {"assignee": "tech1", "previous_assignee": None}
    assert ticket.assignee == "tech1"
    assert ticket.status is S.ASSIGNED


@pytest.mark.parametrize(
    "requester_role",
    [r for r in Role if r not in (R.TENANT, R.PLANNER)],
    ids=lambda r: r.value,
)
@pytest.mark.parametrize("status", [S.ASSIGNED, S.IN_PROGRESS], ids=lambda s: s.value)
def test_resolve_for_a_staff_request_awaits_no_rating(requester_role: Role, status: Status) -> None:
    ticket = make_ticket(status, requester="dispatcher1", requester_role=requester_role)
    events = apply_action(ticket, ACTORS[R.SUPERVISOR], A.RESOLVE, NOW)
    assert [(e.type, e.to_status) for e in events] == [("resolved", S.RESOLVED)]
    assert ticket.status is S.RESOLVED
    assert ticket.version == 4


def test_a_whole_life_through_the_pure_functions() -> None:
    ticket = make_ticket(S.SUBMITTED, assignee=None)
    ticket.version = 1
    steps: list[NewEvent] = []
    t = NOW
    steps += apply_action(ticket, ACTORS[R.DISPATCHER], A.ACCEPT, t)
    t += timedelta(minutes=5)
    steps += apply_action(ticket, ACTORS[R.DISPATCHER], A.ASSIGN, t, assignee=ASSIGNEE)
    t += timedelta(minutes=5)
    steps += apply_action(ticket, ACTORS[R.TECHNICIAN], A.START, t)
    t += timedelta(minutes=5)
    steps += apply_action(ticket, ACTORS[R.TECHNICIAN], A.RESOLVE, t, note="washer replaced")
    t += timedelta(minutes=5)
    steps += rate(ticket, ACTORS[R.TENANT], 5, "thanks", t)
    assert [(e.type, e.from_status, e.to_status) for e in steps] == [
        ("accepted", S.SUBMITTED, S.ACCEPTED),
        ("assigned", S.ACCEPTED, S.ASSIGNED),
        ("started", S.ASSIGNED, S.IN_PROGRESS),
        ("resolved", S.IN_PROGRESS, S.RESOLVED),
        ("awaiting_rating", S.RESOLVED, S.AWAITING_RATING),
        ("rated", S.AWAITING_RATING, S.CLOSED),
    ]
    assert ticket.version == 1 + len(steps)
    assert ticket.status is S.CLOSED
    assert ticket.status_changed_at == ticket.updated_at == t


# ---------------------------------------------------------------------------------------
# can_see
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "ticket_site", "requester", "visible"),
    [
        (Actor("tenant1", R.TENANT), "demo", "tenant1", True),
        (Actor("tenant1", R.TENANT), "demo", "tenant2", False),
        (Actor("tenant1", R.TENANT, site="demo"), "other", "tenant1", True),
        (Actor("tenant1", R.TENANT, site="demo"), "demo", "tenant2", False),
        *[
            (Actor(f"{r.value}1", r, site="demo"), "demo", "tenant1", True)
            for r in (R.TECHNICIAN, R.DISPATCHER, R.SUPERVISOR, R.PLANNER)
        ],
        *[
            (Actor(f"{r.value}1", r, site="demo"), "north", "tenant1", False)
            for r in (R.TECHNICIAN, R.DISPATCHER, R.SUPERVISOR, R.PLANNER)
        ],
        *[
            (Actor(f"{r.value}1", r), "north", "tenant1", True)
            for r in (R.TECHNICIAN, R.DISPATCHER, R.SUPERVISOR, R.PLANNER)
        ],
        (Actor("admin", R.ADMIN, site="demo"), "north", "tenant1", True),
        (Actor("admin", R.ADMIN), "north", "tenant1", True),
        (Actor("system", R.SYSTEM, site="demo"), "north", "tenant1", True),
        (Actor("system", R.SYSTEM), "demo", "tenant2", True),
    ],
)
def test_can_see(actor: Actor, ticket_site: str, requester: str, visible: bool) -> None:
    ticket = make_ticket(site=ticket_site, requester=requester)
    assert can_see(actor, ticket) is visible


# ---------------------------------------------------------------------------------------
# open_ticket
# ---------------------------------------------------------------------------------------


def new_request(**changes: object) -> NewTicket:
    base = NewTicket(
        kind=Kind.REPAIR,
        category="hvac",
        title="Radiator cold",
        description="The radiator in the bedroom stays cold.",
        location=Location("demo", "A", "3", "A-301"),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_open_ticket_builds_a_submitted_ticket() -> None:
    actor = Actor("tenant1", R.TENANT, channel=Channel.WECHAT)
    request = new_request(title="  Radiator cold  ", contact=" 138 0000 0000 ")
    ticket = open_ticket(request, actor, "id-1", NOW)
    assert ticket.id == "id-1"
    assert ticket.number == ""
    assert ticket.status is S.SUBMITTED
    assert ticket.priority is Priority.P3  # hvac default
    assert ticket.title == "Radiator cold"
    assert ticket.contact == "138 0000 0000"
    assert (ticket.requester, ticket.requester_role) == ("tenant1", R.TENANT)
    assert ticket.channel is Channel.WECHAT
    assert ticket.source is Source.TENANT
    assert ticket.created_at == ticket.updated_at == ticket.status_changed_at == NOW
    assert ticket.assignee is None
    assert ticket.version == 1
    event = created_event(ticket)
    assert (event.type, event.from_status, event.to_status) == ("created", None, S.SUBMITTED)
    assert (event.actor, event.actor_role, event.occurred_at) == ("tenant1", R.TENANT, NOW)


def test_open_ticket_keeps_an_explicit_priority() -> None:
    ticket = open_ticket(
        new_request(priority=Priority.P4, title="Pipe burst"), ACTORS[R.DISPATCHER], "x", NOW
    )
    assert ticket.priority is Priority.P4


def test_a_tenants_priority_is_a_request_the_desk_confirms_on_accepting() -> None:
    asked = as_asked_by(new_request(priority=Priority.P1), ACTORS[R.TENANT])
    ticket = open_ticket(asked, ACTORS[R.TENANT], "x", NOW)
    assert ticket.priority is Priority.P3  # what triage says of a cold radiator
    assert ticket.attributes["requested_priority"] == "P1"
    (accepted,) = apply_action(ticket, ACTORS[R.DISPATCHER], A.ACCEPT, NOW, priority=Priority.P1)
    assert (ticket.priority.value, accepted.payload["previous_priority"]) == ("P1", "P3")
    with pytest.raises(InvalidInput, match="accepted"):
        apply_action(ticket, ACTORS[R.DISPATCHER], A.ASSIGN, NOW, assignee=ASSIGNEE,
                     priority=Priority.P2)  # fmt: skip
    staff = as_asked_by(new_request(priority=Priority.P1), ACTORS[R.DISPATCHER])
    assert staff.priority is Priority.P1 and not staff.attributes


@pytest.mark.parametrize(
    ("location", "why"),
    [
        (Location("demo", "B", "5", "B-502"), "own unit"),
        (Location("other", "A", "3", "A-301"), "own site"),
    ],
)
def test_a_tenant_raises_tickets_only_for_their_own_unit(location: Location, why: str) -> None:
    with pytest.raises(Forbidden, match=why):
        as_asked_by(new_request(location=location), ACTORS[R.TENANT])
    common_area = new_request(location=Location("demo", "B", "1"))
    assert as_asked_by(common_area, ACTORS[R.TENANT]) == common_area


@pytest.mark.parametrize(
    "request_changes",
    [
        pytest.param({"category": "gardening"}, id="unknown-category"),
        pytest.param({"location": Location("", "A", "3")}, id="no-site"),
        pytest.param({"location": Location("demo", "", "3")}, id="no-building"),
        pytest.param({"location": Location("demo", "A", "")}, id="no-floor"),
        pytest.param({"title": ""}, id="empty-title"),
        pytest.param({"title": "   \n\t "}, id="blank-title"),
        pytest.param({"title": "x" * 201}, id="title-201"),
        pytest.param({"description": "d" * 5001}, id="description-5001"),
    ],
)
def test_open_ticket_refuses_bad_requests(request_changes: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        open_ticket(new_request(**request_changes), ACTORS[R.TENANT], "x", NOW)


def test_open_ticket_accepts_texts_at_their_limits() -> None:
    ticket = open_ticket(
        new_request(title="t" * 200, description="d" * 5000), ACTORS[R.TENANT], "x", NOW
    )
    assert len(ticket.title) == 200
    assert len(ticket.description) == 5000


def test_planner_may_not_raise_tickets() -> None:
    with pytest.raises(Forbidden):
        open_ticket(new_request(), ACTORS[R.PLANNER], "x", NOW)


@pytest.mark.parametrize(
    ("role", "channel", "source"),
    [
        (R.TENANT, Channel.APP, Source.TENANT),
        (R.TENANT, Channel.SENSOR, Source.TENANT),
        (R.TECHNICIAN, Channel.APP, Source.STAFF),
        (R.DISPATCHER, Channel.PHONE, Source.STAFF),
        (R.SUPERVISOR, Channel.WEB, Source.STAFF),
        (R.ADMIN, Channel.API, Source.STAFF),
        (R.SYSTEM, Channel.API, Source.STAFF),
        (R.SYSTEM, Channel.SENSOR, Source.SENSOR),
        (R.DISPATCHER, Channel.SENSOR, Source.SENSOR),
    ],
)
def test_open_ticket_source(role: Role, channel: Channel, source: Source) -> None:
    ticket = open_ticket(new_request(), Actor("someone", role, channel=channel), "x", NOW)
    assert ticket.source is source
    assert ticket.requester_role is role


# ---------------------------------------------------------------------------------------
# default_priority
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "卫生间漏水，地板全湿了",
        "楼道跑水",
        "水管爆了",
        "整栋楼停电",
        "家里断电",
        "厨房着火",
        "走廊有烟",
        "电梯困人！",
        "有人被困在电梯里",
        "闻到燃气味",
        "煤气味很重",
        "插座触电",
        "Water LEAK under the sink",
        "the basement is flooding",
        "Burst pipe on floor 3",
        "Power outage in the whole building",
        "We have no power",
        "blackout since 8am",
        "Fire in the bin room",
        "Smoke coming from the panel",
        "Elevator stuck between floors",
        "Two people trapped in the lift",
        "entrapment",
        "Strong GAS SMELL in the hallway",
        "electric shock from the switch",
        "the socket is sparking",
    ],
)
@pytest.mark.parametrize("kind", [k for k in Kind if k is not Kind.MAINTENANCE], ids=str)
def test_urgent_words_make_p1(text: str, kind: Kind) -> None:
    assert default_priority(kind, "cleaning", text) is Priority.P1


def test_planned_maintenance_is_p3_whatever_its_text_says() -> None:
    text = "检查上次漏水的立管 inspect the riser that leaked"
    assert default_priority(Kind.MAINTENANCE, "plumbing", text) is Priority.P3


@pytest.mark.parametrize(
    "text",
    ["灭火器年检 fire extinguisher inspection", "坐火车回来后发现窗户卡住了", "The window is stuck",
     "燃气费怎么交？", "Request to repaint the fire door sign"],
)  # fmt: skip
def test_everyday_words_near_emergencies_are_not_p1(text: str) -> None:
    assert default_priority(Kind.REPAIR, "doors_windows", text) is Priority.P3


@pytest.mark.parametrize("category", list(CATEGORIES))
def test_inquiries_without_urgent_words_are_p4(category: str) -> None:
    assert default_priority(Kind.INQUIRY, category, "When is the fee due?\n请问") is Priority.P4


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        ("plumbing", Priority.P2),
        ("electrical", Priority.P2),
        ("elevator", Priority.P2),
        ("security", Priority.P2),
        ("hvac", Priority.P3),
        ("doors_windows", Priority.P3),
        ("noise", Priority.P3),
        ("parking", Priority.P3),
        ("other", Priority.P3),
        ("cleaning", Priority.P4),
        ("fees", Priority.P4),
    ],
)
@pytest.mark.parametrize("kind", [Kind.REPAIR, Kind.COMPLAINT], ids=lambda k: k.value)
def test_otherwise_the_category_default(category: str, kind: Kind, expected: Priority) -> None:
    assert CATEGORIES[category][2] is expected
    assert default_priority(kind, category, "Please have a look\n请看一下") is expected


def test_every_category_is_covered_by_the_default_table() -> None:
    for category, (_, _, prio) in CATEGORIES.items():
        assert default_priority(Kind.REPAIR, category, "nothing special") is prio


def test_open_ticket_uses_title_and_description_for_triage() -> None:
    by_title = open_ticket(new_request(title="漏水"), ACTORS[R.TENANT], "x", NOW)
    by_text = open_ticket(new_request(description="there is smoke"), ACTORS[R.TENANT], "y", NOW)
    inquiry = open_ticket(new_request(kind=Kind.INQUIRY), ACTORS[R.TENANT], "z", NOW)
    assert (by_title.priority, by_text.priority, inquiry.priority) == (
        Priority.P1,
        Priority.P1,
        Priority.P4,
    )


# ---------------------------------------------------------------------------------------
# request_fingerprint (ticket numbers are allocated in SQL: see the integration tests)
# ---------------------------------------------------------------------------------------


def test_request_fingerprint_is_stable() -> None:
    first = new_request(attributes={"a": "1", "b": "2"}, priority=Priority.P2)
    again = new_request(attributes={"b": "2", "a": "1"}, priority=Priority.P2)
    assert request_fingerprint(first) == request_fingerprint(again)
    assert re.fullmatch(r"[0-9a-f]{64}", request_fingerprint(first))


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"kind": Kind.COMPLAINT}, id="kind"),
        pytest.param({"category": "plumbing"}, id="category"),
        pytest.param({"title": "Radiator cold!"}, id="title"),
        pytest.param({"description": "cold"}, id="description"),
        pytest.param({"location": Location("north", "A", "3", "A-301")}, id="site"),
        pytest.param({"location": Location("demo", "B", "3", "A-301")}, id="building"),
        pytest.param({"location": Location("demo", "A", "4", "A-301")}, id="floor"),
        pytest.param({"location": Location("demo", "A", "3", "A-302")}, id="unit"),
        pytest.param({"location": Location("demo", "A", "3", "A-301", "riser")}, id="asset"),
        pytest.param({"priority": Priority.P1}, id="priority"),
        pytest.param({"device_id": "dev-1"}, id="device_id"),
        pytest.param({"contact": "138"}, id="contact"),
        pytest.param({"attributes": {"a": "1", "b": "3"}}, id="attribute-value"),
        pytest.param({"attributes": {"a": "1", "c": "2"}}, id="attribute-key"),
        pytest.param({"attributes": {"a": "1"}}, id="attribute-removed"),
    ],
)
def test_request_fingerprint_changes_with_every_field(changes: dict[str, object]) -> None:
    base = new_request(attributes={"a": "1", "b": "2"})
    assert request_fingerprint(base) != request_fingerprint(
        dataclasses.replace(base, **changes)  # type: ignore[arg-type]
    )


# ---------------------------------------------------------------------------------------
# Attachments
# ---------------------------------------------------------------------------------------


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PNG = _png()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04" + b"\x00" * 16
GIF87 = b"GIF87a\x01\x00\x01\x00\x00\x00\x00;"
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00" + b"\x00" * 24
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
MP4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41"


@pytest.mark.parametrize(
    ("content", "media_type"),
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (GIF, "image/gif"),
        (GIF87, "image/gif"),
        (WEBP, "image/webp"),
        (HEIC, "image/heic"),
        (MP4, "video/mp4"),
    ],
)
def test_real_headers_are_recognised(content: bytes, media_type: str) -> None:
    assert sniff_media_type(content) == media_type
    assert check_attachment("photo.bin", media_type, content) == media_type
    assert check_attachment("photo.bin", "", content) == media_type
    assert check_attachment("photo.bin", "application/octet-stream", content) == media_type
    assert check_attachment("photo.bin", media_type.upper() + "; q=1", content) == media_type


@pytest.mark.parametrize(
    "content",
    [
        b"hello, this is a text file\n",
        b"<html><body>not an image</body></html>",
        b"%PDF-1.7\n",
        b"RIFF\x24\x00\x00\x00WAVEfmt ",
        b"\x89PN",
    ],
)
def test_other_content_is_refused(content: bytes) -> None:
    assert sniff_media_type(content) is None
    with pytest.raises(InvalidInput):
        check_attachment("notes.txt", "text/plain", content)
    with pytest.raises(InvalidInput):
        check_attachment("notes.png", "image/png", content)


@pytest.mark.parametrize(
    ("content", "declared"),
    [(PNG, "image/jpeg"), (JPEG, "image/png"), (GIF, "video/mp4"), (PNG, "text/plain")],
)
def test_declared_type_must_match(content: bytes, declared: str) -> None:
    with pytest.raises(InvalidInput):
        check_attachment("photo.png", declared, content)


def test_size_limits() -> None:
    with pytest.raises(InvalidInput):
        check_attachment("empty.png", "image/png", b"")
    at_limit = PNG + b"\x00" * (MAX_ATTACHMENT_BYTES - len(PNG))
    assert MAX_ATTACHMENT_BYTES == 10 * 1024 * 1024
    assert check_attachment("big.png", "image/png", at_limit) == "image/png"
    with pytest.raises(InvalidInput):
        check_attachment("big.png", "image/png", at_limit + b"\x00")


@pytest.mark.parametrize(
    "filename",
    ["../etc/passwd", "a/b.png", "C:\\temp\\x.png", "dir\\x.png", "/x.png", "", "x" * 256],
)
def test_filename_must_be_a_plain_name(filename: str) -> None:
    with pytest.raises(InvalidInput):
        check_attachment(filename, "image/png", PNG)


def test_filename_at_limit_and_unicode_are_fine() -> None:
    assert check_attachment("x" * 255, "image/png", PNG) == "image/png"
    assert check_attachment("漏水 照片.png", "image/png", PNG) == "image/png"


# ---------------------------------------------------------------------------------------
# Protobuf enum codes
# ---------------------------------------------------------------------------------------

_ENUMS: list[tuple[object, str, type[Status | Role | Kind | Channel | Action]]] = [
    (pb.TicketStatus, "TICKET_STATUS_", Status),
    (pb.Role, "ROLE_", Role),
    (pb.TicketKind, "TICKET_KIND_", Kind),
    (pb.Channel, "CHANNEL_", Channel),
    (pb.Action, "ACTION_", Action),
]


def test_code_of_and_number_of_examples() -> None:
    assert code_of(pb.TicketStatus, "TICKET_STATUS_", 4) == "in_progress"
    assert number_of(pb.TicketStatus, "TICKET_STATUS_", "in_progress") == 4
    assert code_of(pb.TicketStatus, "TICKET_STATUS_", pb.TICKET_STATUS_AWAITING_RATING) == (
        "awaiting_rating"
    )
    assert code_of(pb.Priority, "PRIORITY_", pb.PRIORITY_P1, upper=True) == "P1"
    assert code_of(pb.Priority, "PRIORITY_", pb.PRIORITY_P1) == "p1"
    assert number_of(pb.Priority, "PRIORITY_", "P3") == pb.PRIORITY_P3
    assert number_of(pb.Priority, "PRIORITY_", "p3") == pb.PRIORITY_P3
    assert number_of(pb.Role, "ROLE_", "system") == pb.ROLE_SYSTEM


@pytest.mark.parametrize(("enum_pb", "prefix", "domain"), _ENUMS)
def test_every_domain_code_round_trips(
    enum_pb: object, prefix: str, domain: type[Status | Role | Kind | Channel | Action]
) -> None:
    for member in domain:
        number = number_of(enum_pb, prefix, member.value)
        if member is Action.RATE:  # rating has its own call, not an Action number
            assert number == 0
            continue
        assert number > 0, member
        assert code_of(enum_pb, prefix, number) == member.value


def test_every_priority_round_trips() -> None:
    for prio in Priority:
        number = number_of(pb.Priority, "PRIORITY_", prio.value)
        assert number > 0
        assert code_of(pb.Priority, "PRIORITY_", number, upper=True) == prio.value


@pytest.mark.parametrize(("enum_pb", "prefix", "domain"), _ENUMS)
def test_unspecified_and_unknown(
    enum_pb: object, prefix: str, domain: type[Status | Role | Kind | Channel | Action]
) -> None:
    assert code_of(enum_pb, prefix, 0) == ""
    assert code_of(enum_pb, prefix, 999) == ""
    assert code_of(enum_pb, prefix, -1) == ""
    assert number_of(enum_pb, prefix, "") == 0
    assert number_of(enum_pb, prefix, "no_such_code") == 0
    assert number_of(enum_pb, prefix, "unspecified") == 0
    assert len(domain) > 0


# ---------------------------------------------------------------------------------------
# Event log cursors
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tx_id", "event_id"), [(0, 0), (1, 1), (745, 12), (2**63 - 1, 2**62), (10**12, 3)]
)
def test_cursor_round_trip(tx_id: int, event_id: int) -> None:
    cursor = format_cursor(tx_id, event_id)
    assert cursor == f"{tx_id}.{event_id}"
    assert parse_cursor(cursor) == (tx_id, event_id)


def test_empty_cursor_is_the_start() -> None:
    assert parse_cursor("") == (0, 0)


@pytest.mark.parametrize(
    "cursor",
    ["abc", "1", "1.", ".1", "-1.2", "1.-2", "1.2.3", " 1.2", "1.2 ", "1,2", "0x1.2", "1.e3"],
)
def test_bad_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(ValueError, match="not a cursor"):
        parse_cursor(cursor)


def test_domain_errors_share_a_base() -> None:
    for error in (Forbidden, IllegalTransition, InvalidInput):
        assert issubclass(error, DomainError)
