"""Dispatch's translation between protobuf and its domain, and its reading of intake events."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from maintenance.dispatch.v1 import dispatch_pb2 as pb
from maintenance.intake.v1 import intake_pb2 as ipb

from services.dispatch.adapters.intake_client import snapshot_from_pb
from services.dispatch.domain.errors import InvalidInput
from services.dispatch.domain.model import Decision, Mode, Team, Technician, TicketFacts
from services.dispatch.domain.roster import make_roster
from services.dispatch.entrypoint import messages as m
from services.dispatch.handlers.events import log_event_from_pb

AT = datetime(2031, 1, 6, 4, 0, tzinfo=UTC)


def test_a_roster_round_trips() -> None:
    roster = pb.Roster(
        site="demo",
        shifts=[pb.Shift(username="tech1", days=["Monday", "fri"], start="22:00", end="06:00",
                         timezone="Asia/Shanghai")],
        overrides=[pb.DutyOverride(username="tech2", starts_at=m.ts(AT), ends_at=m.ts(AT.replace(
            hour=9)), on_duty=True, note=" standby ")],
    )  # fmt: skip
    shifts, overrides = m.shifts_from_pb(roster.shifts), m.overrides_from_pb(roster.overrides)
    assert overrides[0].note == "standby" and overrides[0].starts_at == AT
    back = m.roster_to_pb(make_roster("demo", shifts, overrides))
    assert list(back.shifts[0].days) == ["mon", "fri"] and back.shifts[0].end == "06:00"
    assert back.overrides[0].ends_at.ToDatetime(tzinfo=UTC) == AT.replace(hour=9)


def test_an_override_without_times_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"override 1 \(tech2\): starts_at and ends_at"):
        m.overrides_from_pb([pb.DutyOverride(username="tech2", on_duty=True)])


def test_bad_json_rules_are_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="not valid JSON"):
        m.document_from_json("{rules: [}")
    assert m.document_from_json('{"rules": []}') == {"rules": []}


def test_teams_technicians_and_decisions_translate() -> None:
    team = Team("demo", "maint", "M", ("boss",))
    assert m.team_from_pb(m.team_to_pb(team)) == team
    tech = Technician("tech1", "demo", "maint", frozenset({"hvac", "plumbing"}), frozenset({"A"}))
    assert m.technician_from_pb(m.technician_to_pb(tech)) == tech
    facts = TicketFacts("repair", "hvac", "P2", "sensor", "demo", "B", "3")
    assert m.facts_from_pb(m.facts_to_pb(facts)) == facts
    d = m.decision_to_pb(Decision("r", Mode.CLAIM_POOL, "maint", offered_to=("a", "b"),
                                  offer_window_s=60, explanation="why"))  # fmt: skip
    assert (d.mode, d.assignee, list(d.offered_to), d.offer_window_s) == (
        "claim_pool",
        "",
        ["a", "b"],
        60,
    )


def test_intake_tickets_become_snapshots() -> None:
    ticket = ipb.Ticket(
        id="t-1", number="T1", title="x", kind=ipb.TICKET_KIND_COMPLAINT, category="noise",
        status=ipb.TICKET_STATUS_ACCEPTED, priority=ipb.PRIORITY_P1, source="sensor",
        location=ipb.Location(site="demo", building="B", floor="5"),
    )  # fmt: skip
    snap = snapshot_from_pb(ticket)
    assert snap.facts == TicketFacts("complaint", "noise", "P1", "sensor", "demo", "B", "5")
    assert snap.routable and snap.status == "accepted"
    assert snap.summary()["priority"] == "P1"
    ticket.assignee = "tech1"
    assert not snapshot_from_pb(ticket).routable
    ticket.assignee, ticket.status = "", ipb.TICKET_STATUS_CANCELLED
    assert not snapshot_from_pb(ticket).routable


@pytest.mark.parametrize("raw", ["", "not json", "[1, 2]", '"text"'])
def test_events_with_odd_payloads_read_as_empty(raw: str) -> None:
    event = log_event_from_pb(ipb.TicketEvent(ticket_id="t", type="declined", payload_json=raw,
                                              to_status=ipb.TICKET_STATUS_ACCEPTED, cursor="1.2"))  # fmt: skip
    assert (event.payload, event.to_status, event.cursor) == ({}, "accepted", "1.2")
    assert log_event_from_pb(ipb.TicketEvent(payload_json='{"a": 1}')).payload == {"a": 1}
