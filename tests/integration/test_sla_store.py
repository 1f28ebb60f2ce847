"""The SLA service against real PostgreSQL: following events, timers, workers, recomputation.

The schema lives in a database of its own (only the `sla` migrations), emptied before each
test; intake is the in-memory double `services.sla.testing.FakeIntake`. Time comes from a
settable clock.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
import pytest_asyncio
from prometheus_client import REGISTRY
from psycopg_pool import AsyncConnectionPool

from services.common.business_time import Calendar, WorkingInterval
from services.common.db import create_pool
from services.sla.adapters.intake_client import DeliveryFailed
from services.sla.adapters.tickets_repo import TicketRepository
from services.sla.adapters.timers_repo import CLAIM_SELECT, TimerRepository
from services.sla.defaults import DEFAULT_CALENDARS, seed_defaults
from services.sla.domain.errors import Forbidden, InvalidInput, NotFound
from services.sla.domain.planning import PlannedTimer, TimerKind
from services.sla.domain.policy import EscalationLevel, Policy, Target
from services.sla.domain.state import EventFact, TicketFacts
from services.sla.handlers.admin import SlaAdmin
from services.sla.handlers.timers import TimerWorker, activity_of
from services.sla.handlers.tracking import IncomingEvent, Tracker
from services.sla.testing import FakeIntake
from tests.integration.conftest import (
    Clock,
    migrated_database,
)

T0 = datetime(2031, 3, 3, 1, 0, tzinfo=UTC)  # a Monday, 09:00 in Beijing
M, H = timedelta(minutes=1), timedelta(hours=1)
TABLES = "sla.tickets, sla.ticket_events, sla.timers, sla.policies, sla.calendars"


@pytest.fixture(scope="module")
def sla_database() -> Iterator[str]:
    with migrated_database(["sla"]) as url:
        yield url


@pytest_asyncio.fixture
async def pool(sla_database: str) -> AsyncIterator[AsyncConnectionPool]:
    with psycopg.connect(sla_database, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {TABLES}")
    pool = create_pool(sla_database, min_size=1, max_size=8)
    await pool.open(wait=True, timeout=10)
    await seed_defaults(pool)
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def intake() -> FakeIntake:
    return FakeIntake()


@pytest.fixture
def tracker(pool: AsyncConnectionPool, intake: FakeIntake, clock: Clock) -> Tracker:
    return Tracker(pool, intake, clock)


def worker(pool: AsyncConnectionPool, intake: FakeIntake, clock: Clock, **kw: Any) -> TimerWorker:
    return TimerWorker(pool, intake, clock, **kw)


class Ticket:
    """Feeds one ticket's events to the tracker, each in its own transaction."""

    def __init__(self, tracker: Tracker, pool: AsyncConnectionPool, priority: str = "P1") -> None:
        self.id = str(uuid.uuid4())
        self._tracker, self._pool = tracker, pool
        self.priority, self.status, self.seq = priority, "submitted", 0

    async def _send(self, event_type: str, at: datetime, to: str, **payload: str) -> None:
        self.seq += 1
        start = "" if event_type == "created" else self.status
        event = EventFact(self.seq, event_type, at, start, to,
                          payload.get("reason", ""), payload.get("assignee", ""))  # fmt: skip
        hints = {k: v for k, v in payload.items() if k not in ("reason", "assignee")}
        async with self._pool.connection() as conn, conn.transaction():
            await self._tracker.handle(conn, IncomingEvent(self.id, event, hints))
        self.status = to

    async def create(self, at: datetime = T0, site: str = "demo") -> Ticket:
        await self._send("created", at, "submitted", kind="repair", category="plumbing",
                         priority=self.priority, site=site)  # fmt: skip
        return self

    async def move(self, event_type: str, at: datetime, to: str, **payload: str) -> None:
        await self._send(event_type, at, to, **payload)

    async def activity(self, event_type: str, at: datetime, **payload: str) -> None:
        await self._send(event_type, at, self.status, **payload)


async def pending(
    pool: AsyncConnectionPool, ticket_id: str
) -> dict[tuple[str, str, int], datetime]:
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT kind, target, level, deadline FROM sla.timers"
            " WHERE ticket_id = %s AND fired_at IS NULL",
            (ticket_id,),
        )
        return {(k, t, lv): d for k, t, lv, d in await cur.fetchall()}


async def scalar(pool: AsyncConnectionPool, query: str, *params: Any) -> Any:
    async with pool.connection() as conn:
        row = await (await conn.execute(query, params)).fetchone()
    assert row is not None
    return row[0]


async def test_following_a_ticket_plans_and_replaces_its_timers(
    pool: AsyncConnectionPool, tracker: Tracker
) -> None:
    ticket = await Ticket(tracker, pool).create()
    timers = await pending(pool, ticket.id)
    assert timers[("escalation", "respond", 1)] == T0 + 15 * M
    assert timers[("reminder", "respond", 0)] == T0 + 12 * M
    assert timers[("breach", "resolve", 0)] == T0 + 4 * H
    await ticket.move("accepted", T0 + 5 * M, "accepted")
    assert {k[1] for k in await pending(pool, ticket.id)} == {"resolve"}
    await ticket.activity("paused", T0 + H, reason="waiting_parts")
    assert await pending(pool, ticket.id) == {}
    await ticket.activity("resumed", T0 + 3 * H)
    assert (await pending(pool, ticket.id))[("breach", "resolve", 0)] == T0 + 6 * H
    await ticket.move("resolved", T0 + 4 * H, "resolved")
    assert await pending(pool, ticket.id) == {}
    pauses = await scalar(pool, "SELECT pauses FROM sla.tickets WHERE ticket_id = %s", ticket.id)
    assert [p["reason"] for p in pauses] == ["waiting_parts"]


async def test_sla_events_and_comments_change_nothing(
    pool: AsyncConnectionPool, tracker: Tracker
) -> None:
    ticket = await Ticket(tracker, pool).create()
    before = await pending(pool, ticket.id)
    await ticket.activity("sla_escalated", T0 + 16 * M)
    await ticket.activity("comment", T0 + 17 * M)
    assert await pending(pool, ticket.id) == before
    assert await scalar(pool, "SELECT count(*) FROM sla.ticket_events") == 1


async def test_a_ticket_first_seen_mid_life_gets_its_facts_from_intake(
    pool: AsyncConnectionPool, tracker: Tracker, intake: FakeIntake
) -> None:
    ticket = Ticket(tracker, pool)
    intake.tickets[ticket.id] = TicketFacts(ticket.id, "repair", "hvac", "P2", "demo", T0)
    await ticket.move("accepted", T0 + M, "accepted")
    assert (await pending(pool, ticket.id))[("breach", "resolve", 0)] == T0 + 24 * H
    unknown = Ticket(tracker, pool)
    await unknown.move("accepted", T0, "accepted")
    assert (
        await scalar(pool, "SELECT count(*) FROM sla.tickets WHERE ticket_id = %s", unknown.id) == 0
    )


async def test_timers_fire_once_with_two_concurrent_workers(
    pool: AsyncConnectionPool, sla_database: str, intake: FakeIntake, clock: Clock
) -> None:
    tickets = [str(uuid.uuid4()) for _ in range(150)]
    async with pool.connection() as conn:
        repo = TimerRepository(conn)
        for n, ticket_id in enumerate(tickets):
            planned = [PlannedTimer(kind, Target.RESPOND, 0, T0 - timedelta(seconds=n), ("tech1",), "x")
                       for kind in (TimerKind.REMINDER, TimerKind.BREACH)]  # fmt: skip
            await repo.replace_pending(ticket_id, planned, "p1")
    intake.delay_s = 0.005
    other_pool = create_pool(sla_database, min_size=1, max_size=4)
    await other_pool.open(wait=True)
    try:
        first, second = (worker(p, intake, clock, batch=40) for p in (pool, other_pool))

        async def drain(w: TimerWorker) -> int:
            total = 0
            while fired := await w.check():
                total += fired
            return total

        counts = await asyncio.gather(drain(first), drain(second))
    finally:
        await other_pool.close()
    ids = Counter(r.payload["timer_id"] for r in intake.recorded)
    assert len(ids) == 300 and set(ids.values()) == {1}
    assert sum(counts) == 300 and min(counts) > 0  # both took part
    assert await scalar(pool, "SELECT count(*) FROM sla.timers WHERE fired_at IS NULL") == 0
    assert await worker(pool, intake, clock).check() == 0


async def test_a_worker_that_dies_before_recording_loses_nothing(
    pool: AsyncConnectionPool, tracker: Tracker, intake: FakeIntake, clock: Clock
) -> None:
    ticket = await Ticket(tracker, pool).create()
    clock.set(T0 + 13 * M)
    async with pool.connection() as conn:  # a worker claims the reminder, then dies
        claimed = await TimerRepository(conn).claim_due(clock(), 10, 30.0)
    assert [t.kind for t in claimed] == [TimerKind.REMINDER]
    survivor = worker(pool, intake, clock, lease_s=30.0)
    assert await survivor.check() == 0  # leased to the dead worker
    clock.advance(timedelta(seconds=31))
    assert await survivor.check() == 1
    assert [r.type for r in intake.recorded] == ["sla_reminder"]
    assert intake.recorded[0].ticket_id == ticket.id


async def test_a_worker_that_dies_after_recording_does_not_record_twice(
    pool: AsyncConnectionPool, tracker: Tracker, intake: FakeIntake, clock: Clock
) -> None:
    await Ticket(tracker, pool).create()
    clock.set(T0 + 13 * M)
    async with pool.connection() as conn:
        (timer,) = await TimerRepository(conn).claim_due(clock(), 10, 30.0)
    await intake.record(timer.ticket_id, *activity_of(timer))  # recorded, then the worker died
    clock.advance(timedelta(seconds=31))
    assert await worker(pool, intake, clock).check() == 1
    assert len(intake.recorded) == 1 and intake.calls == 1
    assert await scalar(pool, "SELECT fired_at FROM sla.timers WHERE id = %s", timer.id) == clock()


async def test_failed_deliveries_are_retried_or_given_up(
    pool: AsyncConnectionPool, tracker: Tracker, intake: FakeIntake, clock: Clock
) -> None:
    await Ticket(tracker, pool).create()
    clock.set(T0 + 13 * M)
    w = worker(pool, intake, clock)
    intake.fail_with = DeliveryFailed("UNAVAILABLE", "intake is restarting", permanent=False)
    assert await w.check() == 0
    error = await scalar(
        pool, "SELECT last_error FROM sla.timers WHERE kind = 'reminder' AND target = 'respond'"
    )
    assert "UNAVAILABLE" in error
    intake.fail_with = None
    assert await w.check() == 0  # backing off
    clock.advance(timedelta(seconds=2))
    assert await w.check() == 1
    clock.set(T0 + 16 * M)
    intake.fail_with = DeliveryFailed("NOT_FOUND", "no ticket", permanent=True)
    assert await w.check() == 0
    given_up = await scalar(
        pool, "SELECT count(*) FROM sla.timers WHERE last_error LIKE 'given up%%'"
        " AND fired_at IS NOT NULL",
    )  # fmt: skip
    assert given_up == 2  # the respond breach and escalation


def _sample(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_p1_not_accepted_in_time_escalates_once_and_is_counted(
    pool: AsyncConnectionPool, tracker: Tracker, intake: FakeIntake, clock: Clock
) -> None:
    escalations = _sample("sla_escalations_total", {"target": "respond", "level": "1"})
    breaches = _sample("sla_breaches_total", {"target": "respond"})
    ticket = await Ticket(tracker, pool).create()
    w = worker(pool, intake, clock)
    clock.set(T0 + 15 * M + timedelta(milliseconds=300))
    assert await w.check() == 3  # reminder, breach, escalation
    escalated = intake.of_type("sla_escalated", ticket.id)
    assert len(escalated) == 1
    assert escalated[0].payload["notify_roles"] == ["supervisor"]
    assert escalated[0].payload["due_at"] == (T0 + 15 * M).isoformat()
    assert _sample("sla_escalations_total", {"target": "respond", "level": "1"}) == escalations + 1
    assert _sample("sla_breaches_total", {"target": "respond"}) == breaches + 1
    # Accepting afterwards re-plans; what fired stays fired and never fires again.
    await ticket.move("accepted", T0 + 20 * M, "accepted")
    await ticket.move("reopened", T0 + 21 * M, "accepted")
    clock.set(T0 + 20 * H)
    await w.check()
    assert len(intake.of_type("sla_escalated", ticket.id)) == 2  # + the resolve escalation
    admin = SlaAdmin(pool, clock)
    (report,), _ = await admin.states([ticket.id, str(uuid.uuid4()), "not-a-uuid"])
    assert report.respond.breached and report.breached
    assert report.view.respond.ended_at == T0 + 20 * M
    assert report.respond.remaining == -5 * M


async def test_a_policy_change_recomputes_open_tickets(
    pool: AsyncConnectionPool, tracker: Tracker, clock: Clock
) -> None:
    open_ = [await Ticket(tracker, pool, "P2").create() for _ in range(3)]
    done = await Ticket(tracker, pool, "P2").create()
    await done.move("cancelled", T0 + M, "cancelled")
    admin = SlaAdmin(pool, clock)
    policy = Policy(
        "p2-urgent", 30 * M, 8 * H, "24x7", priority="P2", reminder_share=0.5,
        remind=("assignee",),
        escalations=(EscalationLevel(Target.RESPOND, ("duty1",), "call", after=20 * M),),
    )  # fmt: skip
    _, created, scheduled = await admin.put_policy(policy)
    assert not created and scheduled == 3
    assert await tracker.recompute_all_stale(batch=2) == 3
    for ticket in open_:
        timers = await pending(pool, ticket.id)
        assert timers[("breach", "respond", 0)] == T0 + 30 * M
        assert timers[("escalation", "respond", 1)] == T0 + 20 * M
        assert timers[("reminder", "resolve", 0)] == T0 + 4 * H
    assert await pending(pool, done.id) == {}
    reports, _ = await admin.states([t.id for t in open_])
    assert {r.view.respond.due_at for r in reports} == {T0 + 30 * M}


async def test_a_calendar_change_moves_business_hours_deadlines(
    pool: AsyncConnectionPool, tracker: Tracker, clock: Clock
) -> None:
    ticket = await Ticket(tracker, pool, "P3").create()  # Monday 09:00 Beijing
    assert (await pending(pool, ticket.id))[("breach", "respond", 0)] == T0 + 5.5 * H  # 14:30
    admin = SlaAdmin(pool, clock)
    shifts = tuple(WorkingInterval(d, 9 * 60, 17 * 60) for d in range(1, 6))
    demo = Calendar("demo", "Asia/Shanghai", shifts, frozenset({T0.date()}), "Demo", "demo")
    _, created, scheduled = await admin.put_calendar(demo)
    assert not created and scheduled == 1
    await tracker.recompute_all_stale()
    # Monday is now a holiday: Tuesday 09:00 + 4 h = 13:00 Beijing.
    assert (await pending(pool, ticket.id))[("breach", "respond", 0)] == T0 + 28 * H


async def test_a_sites_own_policy_and_calendar_time_its_tickets_before_the_defaults(
    pool: AsyncConnectionPool, tracker: Tracker, clock: Clock
) -> None:
    admin = SlaAdmin(pool, clock)
    shifts = tuple(WorkingInterval(d, 9 * 60, 17 * 60) for d in range(1, 6))
    north_hours = Calendar("north", "Asia/Shanghai", shifts, frozenset(), "North", "north")
    await admin.put_calendar(north_hours, acting_site="north")
    at_demo, at_north = [
        await Ticket(tracker, pool, "P3").create(site=site) for site in ("demo", "north")
    ]
    # The default P3 policy counts 4 h in the site's calendar: demo breaks for lunch
    # (14:30 Beijing), north does not (13:00).
    assert (await pending(pool, at_demo.id))[("breach", "respond", 0)] == T0 + 5.5 * H
    assert (await pending(pool, at_north.id))[("breach", "respond", 0)] == T0 + 4 * H
    fast = Policy("north-fast", 30 * M, 8 * H, "24x7", site="north")  # matches any ticket
    _, created, scheduled = await admin.put_policy(fast, acting_site="north")
    assert created and scheduled == 1
    await tracker.recompute_all_stale()
    assert (await pending(pool, at_north.id))[("breach", "respond", 0)] == T0 + 30 * M
    assert (await pending(pool, at_demo.id))[("breach", "respond", 0)] == T0 + 5.5 * H
    (north_report,), _ = await admin.states([at_north.id])
    assert north_report.view.policy_id == "north-fast"


async def test_site_staff_read_the_defaults_and_change_only_their_sites_things(
    pool: AsyncConnectionPool, tracker: Tracker, clock: Clock
) -> None:
    admin = SlaAdmin(pool, clock)
    hours = (WorkingInterval(1, 9 * 60, 17 * 60),)
    for site in ("north", "south"):
        await admin.put_policy(Policy(f"{site}-p2", H, 8 * H, "24x7", priority="P2", site=site))
        await admin.put_calendar(Calendar(site, "Asia/Shanghai", hours, frozenset(), "", site))
        await Ticket(tracker, pool).create(site=site)
    listed = {p.id for p, _ in await admin.list_policies("north")}
    assert "north-p2" in listed and "p1-emergency" in listed and "south-p2" not in listed
    assert {c.id for c, _ in await admin.list_calendars("north")} == {"default", "north"}
    assert {"south-p2", "north-p2"} <= {p.id for p, _ in await admin.list_policies()}
    mine = Policy("north-p2", 2 * H, 8 * H, "24x7", priority="P2", site="north")
    taking_south = replace(DEFAULT_CALENDARS[1], id="south", site="north")
    refused = [
        (Forbidden, admin.put_policy(replace(mine, id="p1-emergency"), "north")),
        (Forbidden, admin.put_policy(replace(mine, id="new-default", site=""), "north")),
        (Forbidden, admin.put_policy(replace(mine, id="new-south", site="south"), "north")),
        (NotFound, admin.put_policy(replace(mine, id="south-p2"), "north")),
        (NotFound, admin.put_calendar(taking_south, "north")),
        (Forbidden, admin.put_calendar(replace(DEFAULT_CALENDARS[0], site="north"), "north")),
        (InvalidInput, admin.put_policy(replace(mine, calendar="south"), "north")),
    ]
    for error, attempt in refused:
        with pytest.raises(error):
            await attempt
    assert (await admin.put_policy(mine, "north"))[1:] == (False, 1)
    assert await admin.recompute([], "south") == 1
    assert await admin.recompute([], "") == 2
    stored = {p.id: p for p, _ in await admin.list_policies()}
    assert stored["north-p2"].respond == 2 * H and stored["south-p2"].respond == H


async def test_a_check_reads_due_timers_only_however_many_tickets_are_open(
    pool: AsyncConnectionPool, sla_database: str, clock: Clock
) -> None:
    async def buffers_for(open_tickets: int) -> tuple[int, str]:
        with psycopg.connect(sla_database, autocommit=True) as conn:
            conn.execute("TRUNCATE sla.timers")
            with conn.cursor().copy(
                "COPY sla.timers (ticket_id, kind, target, level, deadline, due_at) FROM STDIN"
            ) as copy:
                for n in range(open_tickets):
                    due = T0 + timedelta(hours=1, seconds=n) if n >= 10 else T0 - M
                    for kind in ("reminder", "breach", "escalation"):
                        copy.write_row((uuid.uuid4(), kind, "resolve", 1, due, due))
            conn.execute("ANALYZE sla.timers")
            plan = conn.execute(
                "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) "
                + CLAIM_SELECT.replace("%(now)s", "%s").replace("%(limit)s", "%s"),
                (T0, 200),
            ).fetchone()
        assert plan is not None
        text = json.dumps(plan[0])
        node = plan[0][0]["Plan"]
        return int(node["Shared Hit Blocks"]) + int(node.get("Shared Read Blocks", 0)), text

    small, _ = await buffers_for(1_000)
    large, plan = await buffers_for(30_000)
    assert "timers_due_idx" in plan
    assert large <= small + 5, (small, large)


async def test_gauges_count_tickets_at_risk_and_breached(
    pool: AsyncConnectionPool, tracker: Tracker
) -> None:
    await Ticket(tracker, pool).create()
    await Ticket(tracker, pool).create(T0 + 5 * M)
    async with pool.connection() as conn:
        repo = TicketRepository(conn)
        assert await repo.risk_counts(T0 + 10 * M) == (0, 0)
        assert await repo.risk_counts(T0 + 13 * M) == (1, 0)
        assert await repo.risk_counts(T0 + 18 * M) == (1, 1)


async def test_defaults_are_seeded_once(pool: AsyncConnectionPool, clock: Clock) -> None:
    assert not await seed_defaults(pool)
    admin = SlaAdmin(pool, clock)
    assert [p.id for p, _ in await admin.list_policies()] == [
        "maintenance-planned", "p1-emergency", "p2-urgent", "p3-normal", "p4-low",
    ]  # fmt: skip
    assert {c.id for c, _ in await admin.list_calendars()} == {"default", "demo"}
    base = replace(
        next(p for p, _ in await admin.list_policies() if p.id == "p1-emergency"), id="another"
    )
    with pytest.raises(InvalidInput, match="'p1-emergency' already matches"):
        await admin.put_policy(base)
    clash = Calendar("other", "Asia/Shanghai", (WorkingInterval(1, 0, 60),), site="demo")
    with pytest.raises(InvalidInput, match="site 'demo' already has a calendar"):
        await admin.put_calendar(clash)
    assert await admin.recompute([]) == 0
