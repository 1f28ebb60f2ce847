"""Which timers a state calls for, and what firing one records on the ticket."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from services.common.policy_choice import calendar_for
from services.sla.adapters.timers_repo import DueTimer
from services.sla.defaults import DEFAULT_CALENDARS, DEFAULT_POLICIES
from services.sla.domain.planning import (
    PlannedTimer,
    TimerKind,
    plan_timers,
    resolve_recipients,
    split_recipients,
    watch_points,
)
from services.sla.domain.policy import EscalationLevel, Policy, Target
from services.sla.domain.state import derive
from services.sla.handlers.timers import activity_of
from tests.unit.test_sla_calendar import OFFICE, H, M, sh
from tests.unit.test_sla_derive import FACTS, History

R, S = Target.RESPOND, Target.RESOLVE
P1 = Policy(
    "p1", 15 * M, 4 * H, "24x7", priority="P1", reminder_share=0.8,
    remind=("assignee", "role:dispatcher"),
    escalations=(
        EscalationLevel(S, ("role:admin",), "major_issue", after_share=1.0),
        EscalationLevel(R, ("supervisor1", "role:supervisor"), "escalate", after_share=1.0),
        EscalationLevel(R, ("duty_manager",), "call_duty_manager", after=10 * M),
    ),
)  # fmt: skip
P1_FACTS = replace(FACTS, priority="P1")


def _table(planned: list[PlannedTimer]) -> list[tuple[str, str, int, datetime, str]]:
    return [(t.kind.value, t.target.value, t.level, t.deadline, t.action) for t in planned]


def test_a_new_p1_ticket_gets_every_timer_in_deadline_order() -> None:
    state = derive(P1_FACTS, History().events, P1, None)
    planned = plan_timers(state, P1, None, sh(23, 9))
    assert _table(planned) == [
        ("escalation", "respond", 1, sh(23, 9, 10), "call_duty_manager"),
        ("reminder", "respond", 0, sh(23, 9, 12), "remind"),
        ("breach", "respond", 0, sh(23, 9, 15), "breach"),
        ("escalation", "respond", 2, sh(23, 9, 15), "escalate"),
        ("reminder", "resolve", 0, sh(23, 12, 12), "remind"),
        ("breach", "resolve", 0, sh(23, 13), "breach"),
        ("escalation", "resolve", 1, sh(23, 13), "major_issue"),
    ]
    by_key = {t.key: t for t in planned}
    assert by_key[("escalation", "respond", 2)].notify == ("supervisor1", "role:supervisor")
    assert by_key[("reminder", "respond", 0)].notify == ("role:dispatcher",)  # no assignee yet


def test_accepting_leaves_only_the_resolve_timers_and_names_the_technician() -> None:
    h = History().move("assigned", sh(23, 9, 5), "assigned", assignee="tech1")
    planned = plan_timers(derive(P1_FACTS, h.events, P1, None), P1, None, sh(23, 9, 5))
    assert {t.target for t in planned} == {S}
    assert {t.notify for t in planned if t.kind is TimerKind.REMINDER} == {
        ("tech1", "role:dispatcher")
    }


def test_a_paused_or_finished_ticket_has_no_timers() -> None:
    paused = History().move("accepted", sh(23, 9, 1), "accepted").activity("paused", sh(23, 10))
    assert plan_timers(derive(P1_FACTS, paused.events, P1, None), P1, None, sh(23, 10)) == []
    done = (
        History()
        .move("accepted", sh(23, 9, 1), "accepted")
        .move("resolved", sh(23, 10), "resolved")
    )
    assert plan_timers(derive(P1_FACTS, done.events, P1, None), P1, None, sh(23, 10)) == []


def test_resuming_plans_the_timers_after_the_pause() -> None:
    h = (History().move("accepted", sh(23, 9, 1), "accepted")
         .activity("paused", sh(23, 10)).activity("resumed", sh(23, 11)))  # fmt: skip
    planned = plan_timers(derive(P1_FACTS, h.events, P1, None), P1, None, sh(23, 11))
    breach = next(t for t in planned if t.kind is TimerKind.BREACH)
    assert breach.deadline == sh(23, 14)


def test_a_stale_reminder_is_left_out_but_past_escalations_stay() -> None:
    state = derive(P1_FACTS, History().events, P1, None)
    planned = plan_timers(state, P1, None, sh(23, 9, 20))
    keys = {t.key for t in planned}
    assert ("reminder", "respond", 0) not in keys
    assert {("breach", "respond", 0), ("escalation", "respond", 1)} <= keys
    assert ("reminder", "resolve", 0) in keys


def test_escalations_in_business_hours_fall_in_working_time() -> None:
    policy = Policy(
        "p3", 4 * H, 24 * H, "site", priority="P3",
        escalations=(EscalationLevel(S, ("role:admin",), "major_issue", after_share=1.5),),
    )  # fmt: skip
    planned = plan_timers(
        derive(FACTS, History().events, policy, OFFICE), policy, OFFICE, sh(23, 9)
    )
    major = next(t for t in planned if t.kind is TimerKind.ESCALATION)
    # 36 business hours from Mon 09:00: Mon 7.5, Tue 8, Thu 8, Fri 8, Mon 4.5 -> Mon 14:30.
    assert major.deadline == sh(30, 14, 30)


def test_watch_points() -> None:
    planned = plan_timers(derive(P1_FACTS, History().events, P1, None), P1, None, sh(23, 9))
    assert watch_points(planned) == (sh(23, 9, 12), sh(23, 9, 15))
    assert watch_points([]) == (None, None)
    no_reminder = [t for t in planned if t.kind is not TimerKind.REMINDER]
    assert watch_points(no_reminder) == (sh(23, 9, 15), sh(23, 9, 15))


def test_recipients() -> None:
    assert resolve_recipients(["assignee", "role:x", "tech1"], "tech1") == ("tech1", "role:x")
    assert resolve_recipients(["assignee"], "") == ()
    assert split_recipients(["tech1", "role:supervisor", "admin"]) == (
        ["tech1", "admin"],
        ["supervisor"],
    )


def test_firing_an_escalation_records_who_and_why() -> None:
    timer = DueTimer(
        id=42, ticket_id="t-1", kind=TimerKind.ESCALATION, target=R, level=2,
        deadline=datetime(2026, 11, 23, 1, 15, tzinfo=UTC), notify=("supervisor1", "role:supervisor"),
        action="escalate", policy_id="p1", attempts=1,
    )  # fmt: skip
    kind, note, payload = activity_of(timer)
    assert kind == "sla_escalated"
    assert "escalated (level 2: escalate)" in note
    assert payload == {
        "timer_id": 42, "level": 2, "notify": ["supervisor1"], "notify_roles": ["supervisor"],
        "target": "respond", "due_at": "2026-11-23T01:15:00+00:00", "action": "escalate",
        "policy_id": "p1",
    }  # fmt: skip
    assert activity_of(replace(timer, kind=TimerKind.BREACH))[0] == "sla_breached"
    assert activity_of(replace(timer, kind=TimerKind.REMINDER))[0] == "sla_reminder"


def _default(priority: str) -> Policy:
    return next(p for p in DEFAULT_POLICIES if p.priority == priority)


def test_the_defaults_follow_the_field_examples() -> None:
    calendars = {c.id: c for c in DEFAULT_CALENDARS}
    start = sh(23, 9)
    # A P1 not accepted in 15 minutes escalates.
    p1 = _default("P1")
    planned = plan_timers(derive(P1_FACTS, History().events, p1, None), p1, None, start)
    assert ("escalation", "respond", 1, start + 15 * M, "escalate") in _table(planned)
    # Not accepted in 2 hours: remind the supervisor; not resolved in 24 hours: major issue.
    p2 = _default("P2")
    state = derive(replace(FACTS, priority="P2"), History().events, p2, None)
    table = _table(plan_timers(state, p2, None, start))
    assert ("escalation", "respond", 1, start + 2 * H, "remind_supervisor") in table
    assert ("escalation", "resolve", 1, start + 24 * H, "major_issue") in table
    # P3 and P4 run in the site's business hours: 3 and 5 business days to resolve.
    p3, p4 = _default("P3"), _default("P4")
    cal = calendar_for(p3, "demo", calendars)
    assert cal is not None and cal.id == "demo"
    assert calendar_for(p3, "elsewhere", calendars) == calendars["default"]
    assert derive(FACTS, History().events, p3, cal).resolve.due_at == sh(26, 9)
    assert derive(FACTS, History().events, p4, cal).resolve.due_at == sh(30, 9)
    assert p4.respond == 8 * H and p3.respond == 4 * H
    assert all(p.reminder_share == 0.8 for p in DEFAULT_POLICIES)
    assert timedelta(0) < p1.respond < p1.resolve
