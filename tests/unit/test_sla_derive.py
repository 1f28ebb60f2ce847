"""Deriving a ticket's SLA clocks from its event history alone.

Times are Beijing wall times in November 2026 (the 23rd is a Monday); the business-hours
calendar works 08:30-12:00 and 13:30-18:00 on weekdays and has Wednesday the 25th off.
Expected deadlines are worked out by hand.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from services.common.business_time import Calendar
from services.sla.domain.policy import Policy, Target
from services.sla.domain.state import ClockStatus, EventFact, Pause, TicketFacts, derive
from services.sla.domain.views import view_of
from tests.unit.test_sla_calendar import OFFICE, H, M, sh

P1 = Policy("p1", 15 * M, 4 * H, "24x7", priority="P1")
P3 = Policy("p3", 4 * H, 24 * H, "site", priority="P3")
FACTS = TicketFacts("t-1", "repair", "plumbing", "P3", "demo", sh(23, 9))


class History:
    """Builds a ticket's events with increasing ids."""

    def __init__(self) -> None:
        self.events: list[EventFact] = [EventFact(1, "created", sh(23, 9), "", "submitted")]
        self.status = "submitted"

    def move(self, kind: str, at: datetime, to: str, **extra: Any) -> History:
        self.events.append(EventFact(len(self.events) + 1, kind, at, self.status, to, **extra))
        self.status = to
        return self

    def activity(self, kind: str, at: datetime, reason: str = "") -> History:
        self.events.append(
            EventFact(len(self.events) + 1, kind, at, self.status, self.status, reason=reason)
        )
        return self


def test_a_new_ticket_runs_both_clocks_in_business_hours() -> None:
    state = derive(FACTS, History().events, P3, OFFICE)
    assert state.respond.status is ClockStatus.RUNNING
    assert state.respond.due_at == sh(23, 14, 30)
    assert state.resolve.due_at == sh(27, 9)  # three business days, Wednesday off
    assert state.calendar_id == "office" and state.policy_id == "p3"
    assert state.open and not state.paused
    assert not state.breached(sh(23, 14, 29))
    assert state.breached(sh(23, 14, 30))


def test_round_the_clock_targets() -> None:
    state = derive(replace(FACTS, priority="P1"), History().events, P1, None)
    assert state.respond.due_at == sh(23, 9, 15)
    assert state.resolve.due_at == sh(23, 13)
    assert state.calendar_id == ""


def test_acceptance_meets_the_respond_clock() -> None:
    state = derive(FACTS, History().move("accepted", sh(23, 10), "accepted").events, P3, OFFICE)
    assert state.respond.status is ClockStatus.MET
    assert state.respond.ended_at == sh(23, 10)
    assert state.respond.due_at == sh(23, 14, 30)
    assert not state.respond.breached(sh(30, 0))
    assert state.resolve.status is ClockStatus.RUNNING


def test_late_acceptance_stays_breached() -> None:
    state = derive(FACTS, History().move("accepted", sh(23, 15), "accepted").events, P3, OFFICE)
    assert state.respond.breached(sh(23, 15))
    assert state.breached(sh(23, 15))


def test_assigning_straight_from_submitted_counts_as_response() -> None:
    h = History().move("assigned", sh(23, 9, 30), "assigned", assignee="tech1")
    state = derive(FACTS, h.events, P3, OFFICE)
    assert state.respond.status is ClockStatus.MET
    assert state.assignee == "tech1"


def test_an_automatic_assignment_is_not_a_response_but_starting_is() -> None:
    h = History().move("assigned", sh(23, 9, 1), "assigned", assignee="tech1", by_system=True)
    state = derive(replace(FACTS, priority="P1"), h.events, P1, None)
    assert state.respond.status is ClockStatus.RUNNING and state.assignee == "tech1"
    assert state.respond.breached(sh(23, 9, 15))
    h.move("started", sh(23, 9, 20), "in_progress")
    state = derive(replace(FACTS, priority="P1"), h.events, P1, None)
    assert state.respond.status is ClockStatus.MET and state.respond.ended_at == sh(23, 9, 20)


def test_a_dispatcher_reassigning_an_automatic_assignment_is_a_response() -> None:
    h = (History().move("assigned", sh(23, 9, 1), "assigned", assignee="tech1", by_system=True)
         .move("assigned", sh(23, 9, 5), "assigned", assignee="tech2"))  # fmt: skip
    state = derive(replace(FACTS, priority="P1"), h.events, P1, None)
    assert state.respond.status is ClockStatus.MET and state.respond.ended_at == sh(23, 9, 5)


def test_declining_is_not_a_response() -> None:
    h = (History().move("assigned", sh(23, 9, 1), "assigned", assignee="tech1", by_system=True)
         .move("declined", sh(23, 9, 2), "accepted"))  # fmt: skip
    state = derive(replace(FACTS, priority="P1"), h.events, P1, None)
    assert state.respond.status is ClockStatus.RUNNING


def test_a_pause_stops_the_clock_and_is_kept() -> None:
    h = (History().move("accepted", sh(23, 9, 5), "accepted")
         .move("assigned", sh(23, 9, 10), "assigned", assignee="tech1")
         .activity("paused", sh(23, 10), "waiting_parts")
         .activity("resumed", sh(23, 11, 30)))  # fmt: skip
    state = derive(replace(FACTS, priority="P1"), h.events, P1, None)
    # 1 h ran before the pause; 3 h are left from 11:30.
    assert state.resolve.due_at == sh(23, 14, 30)
    assert state.pauses == (Pause("waiting_parts", sh(23, 10), sh(23, 11, 30)),)
    assert state.resolve.status is ClockStatus.RUNNING and not state.paused


def test_while_paused_there_is_no_deadline_and_no_breach() -> None:
    h = (History().move("accepted", sh(23, 9, 5), "accepted")
         .activity("paused", sh(23, 10), "waiting_tenant"))  # fmt: skip
    state = derive(replace(FACTS, priority="P1"), h.events, P1, None)
    assert state.paused and state.resolve.status is ClockStatus.PAUSED
    assert state.resolve.due_at is None
    assert not state.breached(sh(30, 0))
    view = view_of(state)
    assert view.resolve.paused_left == 3 * H
    assert view.resolve.remaining(None, sh(30, 0)) == 3 * H


def test_pauses_in_business_hours_count_only_working_time() -> None:
    h = (History().move("accepted", sh(23, 9, 30), "accepted")
         .activity("paused", sh(23, 11), "waiting_parts")
         .activity("resumed", sh(24, 9)))  # fmt: skip
    state = derive(FACTS, h.events, P3, OFFICE)
    # 2 h ran Monday; 22 h left from Tue 09:00: Tue 7.5 h, Thu 8 h, Fri 6.5 h -> Fri 16:30.
    assert state.resolve.due_at == sh(27, 16, 30)


def test_several_pauses_are_all_kept_and_a_second_pause_event_changes_nothing() -> None:
    h = (History().move("accepted", sh(23, 9, 5), "accepted")
         .activity("paused", sh(23, 10), "waiting_parts")
         .activity("paused", sh(23, 10, 30), "waiting_tenant")
         .activity("resumed", sh(23, 11))
         .activity("paused", sh(23, 12), "waiting_tenant")
         .activity("resumed", sh(23, 12, 30)))  # fmt: skip
    state = derive(replace(FACTS, priority="P1"), h.events, P1, None)
    assert [p.reason for p in state.pauses] == ["waiting_parts", "waiting_tenant"]
    assert state.resolve.due_at == sh(23, 14, 30)  # 1.5 h of pauses


def test_a_pause_after_the_deadline_keeps_the_breach() -> None:
    h = History().move("accepted", sh(23, 9, 5), "accepted").activity("paused", sh(23, 14))
    state = derive(replace(FACTS, priority="P1"), h.events, P1, None)
    assert state.resolve.due_at == sh(23, 13)  # when it crossed
    assert state.breached(sh(23, 14))


def test_resolving_stops_the_resolve_clock_and_ends_a_pause() -> None:
    h = (History().move("accepted", sh(23, 9, 5), "accepted")
         .move("assigned", sh(23, 9, 6), "assigned")
         .activity("paused", sh(23, 10))
         .move("resolved", sh(23, 11), "resolved")
         .move("awaiting_rating", sh(23, 11), "awaiting_rating"))  # fmt: skip
    state = derive(replace(FACTS, priority="P1"), h.events, P1, None)
    assert state.resolve.status is ClockStatus.MET
    assert state.resolve.ended_at == sh(23, 11)
    assert state.pauses[-1].ended_at == sh(23, 11)
    assert state.open and not state.breached(sh(30, 0))


def test_reopening_runs_the_resolve_clock_on_from_where_it_stopped() -> None:
    h = (History().move("accepted", sh(23, 9, 5), "accepted")
         .move("resolved", sh(23, 10), "resolved")
         .move("reopened", sh(23, 12), "accepted"))  # fmt: skip
    state = derive(replace(FACTS, priority="P1"), h.events, P1, None)
    assert state.resolve.status is ClockStatus.RUNNING
    assert state.resolve.ended_at is None
    assert state.resolve.due_at == sh(23, 15)  # 1 h used, 3 h left from 12:00
    assert state.respond.status is ClockStatus.MET


def test_reopening_a_closed_ticket_opens_it_again() -> None:
    h = (History().move("accepted", sh(23, 9, 5), "accepted")
         .move("resolved", sh(23, 10), "resolved")
         .move("closed", sh(23, 11), "closed"))  # fmt: skip
    closed = derive(replace(FACTS, priority="P1"), h.events, P1, None)
    assert not closed.open and closed.resolve.status is ClockStatus.MET
    reopened = derive(
        replace(FACTS, priority="P1"), h.move("reopened", sh(23, 12), "assigned").events, P1, None
    )
    assert reopened.open and reopened.resolve.status is ClockStatus.RUNNING


def test_cancelling_stops_everything() -> None:
    h = History().move("cancelled", sh(23, 9, 30), "cancelled")
    state = derive(FACTS, h.events, P3, OFFICE)
    assert not state.open
    assert {c.status for c in state.clocks} == {ClockStatus.CANCELLED}
    assert not state.breached(sh(30, 0))


def test_cancelling_after_a_breach_keeps_it() -> None:
    h = History().move("cancelled", sh(23, 15), "cancelled")
    assert derive(FACTS, h.events, P3, OFFICE).respond.breached(sh(30, 0))


def test_events_are_replayed_by_id_whatever_the_order_given() -> None:
    h = (History().move("accepted", sh(23, 9, 5), "accepted")
         .activity("paused", sh(23, 10)).activity("resumed", sh(23, 11)))  # fmt: skip
    forward = derive(FACTS, h.events, P3, OFFICE)
    assert derive(FACTS, list(reversed(h.events)), P3, OFFICE) == forward


def test_a_clock_never_runs_backwards() -> None:
    h = (History().activity("paused", sh(23, 10))
         .activity("resumed", sh(23, 9, 30)))  # recorded with an earlier time  # fmt: skip
    state = derive(replace(FACTS, priority="P1"), h.events, P1, None)
    assert state.pauses[0].ended_at == sh(23, 10)
    assert state.respond.due_at == sh(23, 9, 15)


def test_comments_and_other_activity_change_nothing() -> None:
    h = History().activity("comment", sh(23, 9, 10)).activity("attachment_added", sh(23, 9, 20))
    assert derive(FACTS, h.events, P3, OFFICE) == derive(FACTS, History().events, P3, OFFICE)


@pytest.mark.parametrize(
    ("policy", "calendar", "respond_by"),
    [
        (P3, OFFICE, sh(23, 14, 30)),
        (replace(P3, respond=2 * H), OFFICE, sh(23, 11)),
        (P3, None, sh(23, 13)),
        (P3, replace(OFFICE, holidays=frozenset({date(2026, 11, 23)})), sh(24, 14)),
    ],
)
def test_a_changed_policy_or_calendar_gives_new_deadlines(
    policy: Policy, calendar: Calendar | None, respond_by: datetime
) -> None:
    state = derive(FACTS, History().events, policy, calendar)
    assert state.respond.due_at == respond_by


def test_views_tell_the_time_left() -> None:
    state = derive(FACTS, History().events, P3, OFFICE)
    view = view_of(state)
    assert view.respond.remaining(OFFICE, sh(23, 12, 30)) == 1 * H
    assert view.respond.remaining(OFFICE, sh(23, 15)) == -30 * M
    assert view.breached(sh(23, 15)) and not view.paused
    accepted = view_of(
        derive(FACTS, History().move("accepted", sh(23, 10), "accepted").events, P3, OFFICE)
    )
    assert accepted.respond.remaining(OFFICE, sh(30, 0)) == 3 * H
    assert accepted.respond.breached(sh(30, 0)) is False
    assert Target.RESPOND.value == "respond"
    assert timedelta(0) < accepted.resolve.remaining(OFFICE, sh(23, 10))
