"""What a ticket's history makes of it, on hand-made histories: every per-ticket formula
the figures rest on (response, dispatch, handling with pauses and reopenings, resolve time,
first-time fix, SLA outcomes, alert latencies, open spans)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from services.analytics.domain.ticket import (
    Event,
    Facts,
    Outcome,
    TicketState,
    apply_event,
    corrected_history,
    open_ticket,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FACTS = Facts("T1", "demo", "A", "3", "A-301", "", "repair", "plumbing", "P2", "tenant")


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


class History:
    """Builds a ticket event by event; minutes count from T0."""

    def __init__(self, facts: Facts = FACTS, imported: bool = False) -> None:
        self.next_id = 1
        self.imported = imported
        self.ticket = open_ticket("t-1", facts, self._event("created", 0, "submitted"))

    def _event(
        self, kind: str, minutes: float, status: str = "", system: bool = False, **payload: Any
    ) -> Event:
        event = Event(self.next_id, kind, at(minutes), status, system, self.imported, payload)
        self.next_id += 1
        return event

    def __call__(
        self, kind: str, minutes: float, status: str = "", system: bool = False, **payload: Any
    ) -> History:
        self.ticket = apply_event(
            self.ticket, self._event(kind, minutes, status, system, **payload)
        )
        return self


def worked_straight() -> TicketState:
    h = History()
    h("accepted", 10, "accepted")("assigned", 15, "assigned", assignee="tech1")
    h("started", 60, "in_progress")("resolved", 180, "resolved")
    h("awaiting_rating", 180, "awaiting_rating", system=True)("rated", 200, "closed", stars=5)
    return h.ticket


def test_a_straight_history() -> None:
    t = worked_straight()
    assert (t.response_s, t.dispatch_s) == (600, 900)
    assert t.handling_s == (180 - 10) * 60
    assert t.resolve_s == 180 * 60
    assert t.first_time_fix is True
    assert t.technician == "tech1"
    assert (t.stars, t.rated_at, t.status) == (5, at(200), "closed")
    assert t.spans == ((at(0), at(180)),)
    assert not t.is_open
    assert t.last_at == at(180)
    assert (t.sla_respond, t.sla_resolve) == (Outcome.MET, Outcome.MET)


def test_an_automatic_assignment_is_not_a_response() -> None:
    h = History()("assigned", 2, "assigned", system=True, assignee="tech1")
    assert (h.ticket.dispatch_s, h.ticket.response_s) == (120, None)
    assert h.ticket.sla_respond is None
    h("started", 30, "in_progress")("resolved", 90, "resolved")
    assert (h.ticket.response_s, h.ticket.handling_s) == (30 * 60, 60 * 60)


def test_pauses_do_not_count_as_handling_and_waiting_for_parts_is_a_second_visit() -> None:
    h = History()("accepted", 0, "accepted")("assigned", 0, "assigned", assignee="tech1")
    h("started", 0, "in_progress")("paused", 60, reason="waiting_parts")
    h("resumed", 300)("resolved", 360, "resolved")
    assert h.ticket.handling_s == 120 * 60
    assert h.ticket.resolve_s == 360 * 60
    assert h.ticket.first_time_fix is False
    h2 = History()("accepted", 0, "accepted")("assigned", 0, "assigned", assignee="tech1")
    h2("paused", 10, reason="waiting_tenant")("resumed", 70)("resolved", 100, "resolved")
    assert h2.ticket.handling_s == 40 * 60
    assert h2.ticket.first_time_fix is True  # the tenant was away; one visit


def test_resolving_while_paused_ends_the_pause() -> None:
    h = History()("accepted", 0, "accepted")("assigned", 0, "assigned", assignee="tech1")
    h("paused", 30, reason="waiting_tenant")("resolved", 90, "resolved")
    assert h.ticket.handling_s == 30 * 60
    assert not h.ticket.paused


def test_a_reopening_withdraws_the_resolution_and_opens_a_new_span() -> None:
    h = History()("accepted", 0, "accepted")("assigned", 0, "assigned", assignee="tech1")
    h("started", 10, "in_progress")("resolved", 60, "resolved")
    h("reopened", 120, "assigned")
    t = h.ticket
    assert (t.resolved_at, t.handling_s, t.resolve_s, t.first_time_fix) == (None, None, None, None)
    assert t.is_open and t.last_at is None
    assert (t.reopens, t.first_reopened_at) == (1, at(120))
    assert t.sla_resolve is None
    h("resolved", 150, "resolved")("reopened", 200, "assigned")("resolved", 210, "resolved")
    t = h.ticket
    assert t.resolved_at == at(210)
    assert t.handling_s == (60 + 30 + 10) * 60  # time spent resolved does not count
    assert t.resolve_s == 210 * 60
    assert t.spans == ((at(0), at(60)), (at(120), at(150)), (at(200), at(210)))
    assert (t.reopens, t.first_reopened_at, t.first_time_fix) == (2, at(120), False)
    assert t.last_at == at(210)


def test_a_second_start_is_not_a_first_time_fix() -> None:
    h = History()("accepted", 0, "accepted")("assigned", 1, "assigned", assignee="tech1")
    h("started", 5, "in_progress")
    h("declined", 20, "accepted", reason="no ladder")
    assert h.ticket.technician == ""
    h("assigned", 30, "assigned", assignee="tech2")("started", 40, "in_progress")
    h("resolved", 50, "resolved")
    assert h.ticket.technician == "tech2"
    assert h.ticket.dispatch_s == 60  # the first assignment
    assert h.ticket.first_time_fix is False
    assert h.ticket.handling_s == 50 * 60  # a declined ticket is still in work


def test_cancelled() -> None:
    h = History()("cancelled", 45, "cancelled")
    t = h.ticket
    assert (t.cancelled_at, t.spans, t.last_at) == (at(45), ((at(0), at(45)),), at(45))
    assert (t.sla_respond, t.sla_resolve, t.response_s, t.first_time_fix) == (None,) * 4


def test_sla_events_say_what_breached_escalated_and_came_near() -> None:
    h = History()("sla_reminder", 12, target="respond")("sla_breached", 15, target="respond")
    h("sla_escalated", 15, target="respond", level=1)("sla_breached", 16, target="respond")
    h("accepted", 30, "accepted")("sla_reminder", 90, target="resolve")
    t = h.ticket
    assert (t.respond_reminded, t.respond_escalated, t.respond_breached_at) == (True, True, at(15))
    assert (t.resolve_reminded, t.resolve_escalated, t.resolve_breached_at) == (True, False, None)
    assert t.sla_respond is Outcome.BREACHED
    assert t.sla_resolve is None
    h("assigned", 31, "assigned", assignee="tech1")("resolved", 100, "resolved")
    assert h.ticket.sla_resolve is Outcome.MET
    h("sla_breached", 101, target="nonsense")
    assert h.ticket.sla_resolve is Outcome.MET


def test_imported_history_has_no_sla_outcome() -> None:
    h = History(imported=True)("accepted", 10, "accepted")
    h("assigned", 10, "assigned", assignee="x")("resolved", 20, "resolved")
    assert h.ticket.imported
    assert (h.ticket.sla_respond, h.ticket.sla_resolve) == (None, None)
    assert h.ticket.response_s == 600


def test_alert_latencies_of_a_sensor_ticket() -> None:
    facts = Facts("T2", "demo", "A", "3", "", "", "repair", "plumbing", "P1", "sensor",
                  "leak-1", alerted_at=at(-2))  # fmt: skip
    h = History(facts)("assigned", 3, "assigned", system=True, assignee="tech1")
    assert (h.ticket.alert_to_ticket_s, h.ticket.alert_to_assignment_s) == (120, 300)
    assert History().ticket.alert_to_ticket_s is None


def test_comments_and_other_activity_change_nothing() -> None:
    t = History()("comment", 5)("attachment_added", 6)("sensor_repeat", 7).ticket
    assert t.spans == ((at(0), None),)
    assert t.status == "submitted"


def test_a_corrected_work_order_is_replayed_from_the_times_it_gives() -> None:
    payload = {"opened_at": at(0).isoformat(), "accepted_at": at(30).isoformat(),
               "resolved_at": at(90).isoformat(), "closed_at": at(100).isoformat(),
               "stars": 4, "imported": True}  # fmt: skip
    correction = Event(40, "import_corrected", at(500), "closed", imported=True, payload=payload)
    t = corrected_history("t-9", FACTS, "tech1", correction)
    assert t is not None
    assert (t.created_at, t.accepted_at, t.assigned_at, t.resolved_at) == (
        at(0),
        at(30),
        at(30),
        at(90),
    )
    assert (t.stars, t.technician, t.status) == (4, "tech1", "closed")
    assert (t.handling_s, t.imported) == (60 * 60, True)
    cancelled = Event(41, "import_corrected", at(500), "cancelled", imported=True,
                      payload={"opened_at": at(0).isoformat(), "closed_at": at(7).isoformat()})  # fmt: skip
    t = corrected_history("t-9", FACTS, "", cancelled)
    assert t is not None
    assert (t.cancelled_at, t.resolved_at, t.spans) == (at(7), None, ((at(0), at(7)),))
    assert corrected_history("t-9", FACTS, "", Event(42, "import_corrected", at(1))) is None
