"""Policy matching and validation, and the translation of SLA messages and intake events."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import given
from hypothesis import strategies as st
from maintenance.intake.v1 import intake_pb2 as intake_pb
from maintenance.sla.v1 import sla_pb2 as pb

from services.common.policy_choice import calendar_for, choose_policy
from services.sla.defaults import DEFAULT_CALENDARS, DEFAULT_POLICIES
from services.sla.domain.calendar import validate_calendar
from services.sla.domain.errors import InvalidInput
from services.sla.domain.policy import (
    EscalationLevel,
    Policy,
    Target,
    escalation_points,
    validate_policy,
)
from services.sla.entrypoint import messages as m
from services.sla.entrypoint.events import incoming_from_pb
from tests.unit.test_sla_calendar import OFFICE, H, M

R, S = Target.RESPOND, Target.RESOLVE
BASE = Policy("base", 2 * H, 24 * H, "24x7")
NORTH = replace(OFFICE, id="north", site="north")


def test_the_most_specific_matching_policy_wins() -> None:
    policies = [
        replace(BASE, id="any"),
        replace(BASE, id="p2", priority="P2"),
        replace(BASE, id="p2-plumbing", priority="P2", category="plumbing"),
        replace(BASE, id="complaints", kind="complaint"),
        replace(BASE, id="complaints-b", kind="complaint"),
    ]
    assert choose_policy(policies, "demo", "repair", "plumbing", "P2").id == "p2-plumbing"  # type: ignore[union-attr]
    assert choose_policy(policies, "demo", "repair", "hvac", "P2").id == "p2"  # type: ignore[union-attr]
    assert choose_policy(policies, "demo", "repair", "hvac", "P3").id == "any"  # type: ignore[union-attr]
    assert choose_policy(policies, "demo", "complaint", "noise", "P3").id == "complaints"  # type: ignore[union-attr]
    assert choose_policy(policies[1:3], "demo", "repair", "hvac", "P3") is None


def test_a_sites_own_policy_goes_before_the_defaults_and_applies_only_there() -> None:
    policies = [
        replace(BASE, id="p2-plumbing", priority="P2", category="plumbing"),
        replace(BASE, id="north-any", site="north"),
        replace(BASE, id="south-p2", site="south", priority="P2"),
    ]
    assert choose_policy(policies, "north", "repair", "plumbing", "P2").id == "north-any"  # type: ignore[union-attr]
    assert choose_policy(policies, "south", "repair", "plumbing", "P2").id == "south-p2"  # type: ignore[union-attr]
    assert choose_policy(policies, "south", "repair", "hvac", "P3") is None
    assert choose_policy(policies, "demo", "repair", "plumbing", "P2").id == "p2-plumbing"  # type: ignore[union-attr]
    assert choose_policy(policies, "", "repair", "hvac", "P4") is None


_SITES = st.sampled_from(["", "north", "south"])
_POLICIES = st.lists(
    st.builds(
        lambda n, site, kind, priority: replace(BASE, id=f"p{n}", site=site, kind=kind,
                                                priority=priority),
        st.integers(0, 99), _SITES, st.sampled_from(["", "repair", "complaint"]),
        st.sampled_from(["", "P1", "P2"]),
    ),
    max_size=8,
)  # fmt: skip


@given(_POLICIES, _SITES, st.sampled_from(["repair", "complaint"]), st.sampled_from(["P1", "P2"]))
def test_a_ticket_gets_its_own_sites_policy_when_one_matches_and_never_another_sites(
    policies: list[Policy], site: str, kind: str, priority: str
) -> None:
    chosen = choose_policy(policies, site, kind, "plumbing", priority)
    matching = [
        p for p in policies
        if p.site in ("", site) and p.kind in ("", kind) and p.priority in ("", priority)
    ]  # fmt: skip
    assert (chosen is None) == (not matching)
    if chosen is not None:
        assert chosen.site in ("", site)
        assert bool(chosen.site) == any(p.site for p in matching)


def test_calendar_choice() -> None:
    calendars = {c.id: c for c in DEFAULT_CALENDARS} | {"office": OFFICE}
    assert calendar_for(BASE, "demo", calendars) is None
    assert calendar_for(replace(BASE, calendar="office"), "demo", calendars) is OFFICE
    assert calendar_for(replace(BASE, calendar="site"), "demo", calendars) == calendars["demo"]
    assert calendar_for(replace(BASE, calendar="site"), "x", calendars) == calendars["default"]
    assert calendar_for(replace(BASE, calendar="site"), "x", {}) is None
    assert calendar_for(replace(BASE, calendar="gone"), "demo", calendars) is None


def test_escalation_levels_are_numbered_in_firing_order() -> None:
    policy = replace(BASE, escalations=(
        EscalationLevel(R, ("b",), "late", after_share=1.5),
        EscalationLevel(R, ("a",), "early", after=30 * M),
        EscalationLevel(S, ("c",), "other", after_share=1.0),
    ))  # fmt: skip
    assert [(n, lv.action) for n, lv in escalation_points(policy, R)] == [(1, "early"), (2, "late")]
    assert [(n, lv.action) for n, lv in escalation_points(policy, S)] == [(1, "other")]


def _level(**changes: Any) -> EscalationLevel:
    level = EscalationLevel(R, ("role:supervisor",), "escalate", after_share=1.0)
    return replace(level, **changes)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"id": "P 1"}, "policy id"),
        ({"kind": "request"}, "kind must be"),
        ({"priority": "P5"}, "priority must be"),
        ({"category": "Plumbing!"}, "category must be"),
        ({"respond": timedelta(0)}, "respond_target_s must be more than 0"),
        ({"resolve": timedelta(days=400)}, "resolve_target_s must be"),
        ({"respond": 30 * H}, "must not be longer than resolve_target_s"),
        ({"calendar": "nowhere"}, "there is no such calendar 'nowhere'"),
        ({"calendar": "north"}, "there is no such calendar 'north'"),
        ({"calendar": "north", "site": "south"}, "there is no such calendar 'north'"),
        ({"site": "North Site"}, "site must be"),
        ({"reminder_share": 1.0}, "reminder_share"),
        ({"reminder_share": -0.5}, "reminder_share"),
        ({"remind": ("not a name",)}, "remind: 'not a name' is not a username"),
        ({"escalations": (_level(after=H),)}, "exactly one of after_share and after_s"),
        ({"escalations": (_level(after_share=None),)}, "exactly one of after_share and after_s"),
        ({"escalations": (_level(after_share=11.0),)}, "after_share must be above 0"),
        ({"escalations": (_level(after_share=None, after=timedelta(days=400)),)}, "after_s"),
        ({"escalations": (_level(notify=()),)}, "name at least one recipient"),
        ({"escalations": (_level(action="Major Issue"),)}, "action must be"),
        (
            {"escalations": (_level(), _level(after_share=None, after=2 * H))},
            "fires at the same time as another respond level",
        ),
        ({"escalations": tuple(_level(after_share=0.1 * n) for n in range(1, 12))}, "at most 10"),
    ],
)
def test_policy_validation(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        validate_policy(replace(BASE, **changes), [OFFICE, NORTH])


def test_valid_policies_pass() -> None:
    policy = replace(BASE, calendar="office", remind=("assignee", "role:dispatcher", "w.li@x"))
    assert validate_policy(policy, [OFFICE]) is policy
    at_north = replace(BASE, site="north", calendar="north")
    assert validate_policy(at_north, [NORTH]) is at_north
    assert validate_policy(replace(at_north, calendar="office"), [OFFICE]).site == "north"
    for default in DEFAULT_POLICIES:
        assert validate_policy(default, DEFAULT_CALENDARS) is default
    for calendar in DEFAULT_CALENDARS:
        assert validate_calendar(calendar) is calendar


def test_policies_and_calendars_survive_the_round_trip_through_protobuf() -> None:
    for policy in [*DEFAULT_POLICIES, replace(BASE, site="north")]:
        assert m.policy_from_pb(m.policy_to_pb(policy)) == policy
    for calendar in [*DEFAULT_CALENDARS, OFFICE]:
        assert m.calendar_from_pb(m.calendar_to_pb(calendar)) == calendar


def test_bad_protobuf_input_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="target must be respond or resolve"):
        m.policy_from_pb(pb.Policy(id="x", escalations=[pb.EscalationLevel(after_share=1)]))
    with pytest.raises(InvalidInput, match="HH:MM"):
        m.calendar_from_pb(pb.Calendar(hours=[pb.WorkingInterval(weekday=1, start="9", end="10")]))
    with pytest.raises(InvalidInput, match="YYYY-MM-DD"):
        m.calendar_from_pb(pb.Calendar(holidays=["2026-13-01"]))
    assert m.policy_from_pb(pb.Policy(id="x")).calendar == "24x7"
    assert m.calendar_from_pb(pb.Calendar(holidays=["2026-10-01"])).holidays == {date(2026, 10, 1)}


def _event(**fields: Any) -> intake_pb.TicketEvent:
    stamp = Timestamp()
    stamp.FromDatetime(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
    return intake_pb.TicketEvent(ticket_id="t-1", occurred_at=stamp, **fields)


def test_intake_events_become_incoming_events() -> None:
    created = incoming_from_pb(_event(
        id=7, type="created", to_status=intake_pb.TICKET_STATUS_SUBMITTED,
        payload_json=json.dumps({"priority": "P1", "category": "plumbing", "kind": "repair",
                                 "site": "demo", "other": 3}),
    ))  # fmt: skip
    assert created.event.id == 7 and created.event.to_status == "submitted"
    assert created.event.from_status == ""
    assert created.hints == {"priority": "P1", "category": "plumbing", "kind": "repair",
                             "site": "demo"}  # fmt: skip
    assert created.relevant and not created.own
    assert created.event.occurred_at == datetime(2026, 11, 23, 1, 0, tzinfo=UTC)

    paused = incoming_from_pb(_event(
        type="paused", from_status=intake_pb.TICKET_STATUS_IN_PROGRESS,
        to_status=intake_pb.TICKET_STATUS_IN_PROGRESS, payload_json='{"reason": "waiting_parts"}',
    ))  # fmt: skip
    assert paused.event.reason == "waiting_parts" and paused.relevant

    assigned = incoming_from_pb(_event(
        type="assigned", from_status=intake_pb.TICKET_STATUS_ASSIGNED,
        to_status=intake_pb.TICKET_STATUS_ASSIGNED, payload_json='{"assignee": "tech2"}',
    ))  # fmt: skip
    assert assigned.event.assignee == "tech2" and assigned.relevant

    comment = incoming_from_pb(_event(
        type="comment", from_status=intake_pb.TICKET_STATUS_ASSIGNED,
        to_status=intake_pb.TICKET_STATUS_ASSIGNED, payload_json="not json",
    ))  # fmt: skip
    assert not comment.relevant and comment.hints == {}

    own = incoming_from_pb(_event(type="sla_escalated", payload_json='{"level": 1}'))
    assert own.own
