"""Historical tickets: valid under intake's own lifecycle rules, deterministic, seasonal."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, timedelta

from maintenance.intake.v1 import intake_pb2 as pb

from sensors_sim.failures import SITE_TZ
from sensors_sim.fleet import build_fleet
from sensors_sim.tickets import ALERT_CATEGORY, sensor_tickets, tenant_tickets
from sensors_sim.world import World
from services.intake.domain.history import replay
from services.intake.domain.model import Actor, Role, Source, Status
from services.intake.domain.model import Ticket as DomainTicket
from services.intake.entrypoint.messages import imported_from_pb

FLEET = build_fleet()
BY_ID = {d.device_id: d for d in FLEET}
END = datetime(2026, 11, 1, tzinfo=SITE_TZ)
START = END - timedelta(days=365)
IMPORTER = Actor("sensors_sim", Role.SYSTEM)
HAN = re.compile(r"[\u4e00-\u9fff]")


def replayed(ticket: pb.HistoricalTicket) -> DomainTicket:
    """The ticket as intake's import would leave it; raises if a step breaks the rules."""
    item = imported_from_pb(ticket)
    result, _ = replay(
        IMPORTER, item.ticket_id, item.request, item.requester, item.created_at, item.steps
    )
    return result


def year_of_tenant_tickets(seed: int) -> list[pb.HistoricalTicket]:
    first = START.date()
    days = [first + timedelta(days=n) for n in range(365)]
    return [t for day in days for t in tenant_tickets(seed, "demo", day, END)]


def year_of_sensor_tickets(seed: int) -> list[pb.HistoricalTicket]:
    return sensor_tickets(seed, FLEET, World(FLEET, seed).alerts(START, END), END)


def test_sensor_tickets_replay_and_end_closed() -> None:
    tickets = year_of_sensor_tickets(seed=1)
    assert len(tickets) > 50
    for pb_ticket in tickets:
        alert_type = pb_ticket.attributes["alert_type"]
        assert pb_ticket.category == ALERT_CATEGORY[alert_type][0]
        assert pb_ticket.priority == ALERT_CATEGORY[alert_type][1]
        ticket = replayed(pb_ticket)
        assert ticket.source is Source.SENSOR and ticket.requester == "ingestor"
        assert ticket.device_id and ticket.device_id in BY_ID
        assert ticket.location.asset or ticket.location.unit
        assert ticket.assignee in {"tech1", "tech2"}
        assert ticket.status in {Status.CLOSED, Status.IN_PROGRESS}
    assert Counter(replayed(t).status for t in tickets)[Status.CLOSED] > 0.9 * len(tickets)


def test_a_failure_ticket_is_resolved_when_its_failure_is_repaired() -> None:
    world = World(FLEET, seed=1)
    repaired = {(g.device_id, int(g.failure.timestamp())): g for g in world.failures(START, END)}
    tickets = year_of_sensor_tickets(seed=1)
    failures = [t for t in tickets if t.attributes["alert_type"] in {"leak", "power_outage",
                                                                     "elevator_fault"}]  # fmt: skip
    assert len(failures) > 30
    for ticket in failures:
        truth = repaired[ticket.device_id, ticket.created_at.seconds]
        resolve = [s for s in ticket.steps if s.action == pb.ACTION_RESOLVE]
        if truth.cleared < END:
            assert [s.at.seconds for s in resolve] == [int(truth.cleared.timestamp())]


def test_tenant_tickets_replay_in_both_languages_with_ratings() -> None:
    tickets = year_of_tenant_tickets(seed=2)
    assert 300 < len(tickets) < 900
    statuses: Counter[Status] = Counter()
    stars: Counter[int] = Counter()
    for pb_ticket in tickets:
        ticket = replayed(pb_ticket)
        assert ticket.source is Source.TENANT and ticket.requester in {"tenant1", "tenant2"}
        statuses[ticket.status] += 1
        if ticket.rating is not None:
            stars[ticket.rating.stars] += 1
        if ticket.status not in {Status.CLOSED, Status.CANCELLED}:  # still open at the end
            assert ticket.created_at > END - timedelta(days=10)
    assert statuses[Status.CLOSED] > 0.8 * len(tickets) and statuses[Status.CANCELLED]
    assert set(stars) <= {1, 2, 3, 4, 5} and len(stars) >= 3
    chinese = sum(bool(HAN.search(t.title)) for t in tickets)
    assert 0.2 * len(tickets) < chinese < 0.8 * len(tickets)
    assert {t.kind for t in tickets} == {
        pb.TICKET_KIND_REPAIR, pb.TICKET_KIND_COMPLAINT, pb.TICKET_KIND_INQUIRY,
    }  # fmt: skip


def test_tenants_report_more_hvac_in_summer_and_more_plumbing_in_winter() -> None:
    tickets = year_of_tenant_tickets(seed=3) + year_of_tenant_tickets(seed=4)
    by_season: Counter[tuple[str, str]] = Counter()
    for t in tickets:
        month = datetime.fromtimestamp(t.created_at.seconds, SITE_TZ).month
        season = "summer" if month in (6, 7, 8) else "winter" if month in (12, 1, 2) else ""
        by_season[t.category, season] += 1
    assert by_season["hvac", "summer"] > 1.5 * by_season["hvac", "winter"]
    assert by_season["plumbing", "winter"] > 1.5 * by_season["plumbing", "summer"]


def test_ticket_ids_are_deterministic_and_unique() -> None:
    first, again = year_of_tenant_tickets(seed=5), year_of_tenant_tickets(seed=5)
    assert first == again
    assert len({t.id for t in first}) == len(first)
    assert {t.id for t in year_of_tenant_tickets(seed=6)}.isdisjoint(t.id for t in first)
    assert year_of_sensor_tickets(seed=5) == year_of_sensor_tickets(seed=5)


def test_steps_after_the_end_are_left_out() -> None:
    day = date(2026, 6, 1)
    end = datetime(2026, 6, 2, tzinfo=SITE_TZ)
    cut = [t for d in (day, day + timedelta(days=1)) for t in tenant_tickets(7, "demo", d, end)]
    full = tenant_tickets(7, "demo", day, END)
    assert [t.id for t in cut] == [t.id for t in full]
    assert all(s.at.seconds < end.timestamp() for t in cut for s in t.steps)
    assert sum(len(t.steps) for t in cut) < sum(len(t.steps) for t in full)
    assert any(replayed(t).status is not Status.CLOSED for t in cut)
