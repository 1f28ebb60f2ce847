"""Dispatch against real PostgreSQL and a real intake process, with the demo site's data.

Dispatch's handlers run in this process with a settable clock; intake runs as its own
process. The tests raise tickets as tenant1 and look at what intake then shows.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import psycopg
import pytest
import pytest_asyncio
from maintenance.intake.v1 import intake_pb2 as pb
from psycopg_pool import AsyncConnectionPool

from services.common.db import create_pool
from services.dispatch.domain.errors import Conflict, Forbidden, NotFound
from services.dispatch.domain.model import Caller
from tests.integration.conftest import Clock
from tests.integration.test_dispatch_support import (
    Harness,
    create_ticket,
    dispatch_database,
    events_of,
    intake_process,
    intake_stub,
    payload,
    ticket_of,
)

TECH1 = Caller("tech1", "technician", "demo")
TECH2 = Caller("tech2", "technician", "demo")


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with dispatch_database() as url:
        yield url


@pytest.fixture(scope="module")
def intake_target(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("dispatch") / "intake.log"
    with log.open("w") as sink, intake_process(database_url, sink) as target:
        yield target


@pytest_asyncio.fixture(scope="module")
async def stub(intake_target: str) -> AsyncIterator[Any]:
    channel, stub = intake_stub(intake_target)
    yield stub
    await channel.close(None)


@pytest_asyncio.fixture(scope="module")
async def pool(database_url: str) -> AsyncIterator[AsyncConnectionPool]:
    pool = create_pool(database_url, min_size=1, max_size=8)
    await pool.open(wait=True, timeout=10)
    yield pool
    await pool.close()


@pytest.fixture(scope="module")
def clock() -> Clock:
    """Dispatch's clock for the module: tests move it on, never back."""
    return Clock(datetime.now(UTC))


@pytest_asyncio.fixture
async def dispatch(pool: AsyncConnectionPool, stub: Any, clock: Clock) -> Harness:
    clock.set(max(clock.now, datetime.now(UTC)))
    harness = Harness(pool, stub, clock)
    await harness.settle()  # earlier tests' leftovers are done with
    return harness


def rows(database_url: str, query: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(query, params).fetchall()


async def test_a_tenant_plumbing_ticket_goes_to_the_plumber(dispatch: Harness, stub: Any,
                                                            database_url: str) -> None:  # fmt: skip
    ticket_id = await create_ticket(stub, "plumbing", title="水龙头滴水 dripping tap")
    [assigned] = await dispatch.settled_events(ticket_id, "assigned")
    assert (assigned.actor, assigned.actor_role) == ("dispatch", pb.ROLE_SYSTEM)
    assert payload(assigned)["assignee"] == "tech1"
    assert "rule 'repairs'" in assigned.note
    ticket = await ticket_of(stub, ticket_id)
    assert (ticket.assignee, ticket.status) == ("tech1", pb.TICKET_STATUS_ASSIGNED)
    [decision] = rows(database_url, "SELECT rule, mode, assignee, reason FROM dispatch.decisions"
                      " WHERE ticket_id = %s", ticket_id)  # fmt: skip
    assert decision == ("repairs", "best_technician", "tech1", "created")
    await dispatch.settle()
    assert [e.type for e in await events_of(stub, ticket_id)] == ["created", "assigned"]


async def test_a_p1_pages_the_on_duty_supervisor_and_is_assigned(
    dispatch: Harness, stub: Any
) -> None:
    ticket_id = await create_ticket(
        stub, "electrical", priority=pb.PRIORITY_P1, title="停电 outage"
    )
    [page] = await dispatch.settled_events(ticket_id, "dispatch_paged")
    [assigned] = await dispatch.settled_events(ticket_id, "assigned")
    body = payload(page)
    assert (body["notify"], body["reason"], body["team"]) == (["supervisor1"], "p1", "maintenance")
    assert page.id < assigned.id  # paged first, at once
    assert payload(assigned)["assignee"] == "tech2"


async def test_a_complaint_is_queued_for_the_service_team(dispatch: Harness, stub: Any) -> None:
    ticket_id = await create_ticket(stub, "noise", kind=pb.TICKET_KIND_COMPLAINT)
    pages = await dispatch.settled_events(ticket_id, "dispatch_paged", count=2)
    reasons = {payload(p)["reason"]: payload(p)["notify"] for p in pages}
    assert reasons == {"team_queue": ["supervisor1"], "rule": ["dispatcher1"]}
    assert not (await ticket_of(stub, ticket_id)).assignee


async def offered(dispatch: Harness, stub: Any) -> str:
    ticket_id = await create_ticket(stub, "doors_windows", title="窗户关不上 window stuck")
    [offer] = await dispatch.settled_events(ticket_id, "claim_offered")
    assert payload(offer)["offered_to"] == ["tech1", "tech2"]
    return ticket_id


async def test_two_simultaneous_claims_have_one_winner(dispatch: Harness, stub: Any) -> None:
    for _ in range(3):
        ticket_id = await offered(dispatch, stub)
        mine = [o.ticket_id for o in await dispatch.offers.list_offers("demo", "tech2")]
        assert ticket_id in mine
        results = await asyncio.gather(
            dispatch.offers.claim(TECH1, ticket_id),
            dispatch.offers.claim(TECH2, ticket_id),
            return_exceptions=True,
        )
        winners = [r for r in results if not isinstance(r, BaseException)]
        losers = [r for r in results if isinstance(r, BaseException)]
        assert len(winners) == 1 and len(losers) == 1, results
        assert isinstance(losers[0], Conflict)
        winner = winners[0].claimed_by
        assert winners[0].state == "claimed"
        ticket = await ticket_of(stub, ticket_id)
        assert ticket.assignee == winner and ticket.status == pb.TICKET_STATUS_ASSIGNED
        claims = [e for e in await events_of(stub, ticket_id) if e.type == "claimed"]
        assert len(claims) == 1 and claims[0].actor == winner
        assert ticket_id not in [o.ticket_id for o in await dispatch.offers.list_offers("demo")]
        again = await dispatch.offers.claim(Caller(winner or "", "technician", "demo"), ticket_id)
        assert again.claimed_by == winner  # a retry by the winner is answered, not refused


async def test_claims_through_intake_itself_also_have_one_winner(
    dispatch: Harness, stub: Any
) -> None:
    ticket_id = await offered(dispatch, stub)

    async def claim(who: str) -> Any:
        actor = pb.Actor(username=who, role=pb.ROLE_TECHNICIAN, site="demo")
        return await stub.TransitionTicket(
            pb.TransitionTicketRequest(actor=actor, ticket_id=ticket_id, action=pb.ACTION_CLAIM)
        )

    results = await asyncio.gather(claim("tech1"), claim("tech2"), return_exceptions=True)
    failed = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(failed) == 1 and failed[0].code() is grpc.StatusCode.FAILED_PRECONDITION
    winner = (await ticket_of(stub, ticket_id)).assignee

    async def offer_settled() -> bool:
        return ticket_id not in [o.ticket_id for o in await dispatch.offers.list_offers("demo")]

    await dispatch.settle(offer_settled)  # dispatch saw the claim in the log
    loser = TECH2 if winner == "tech1" else TECH1
    with pytest.raises(Conflict, match="someone else claimed"):
        await dispatch.offers.claim(loser, ticket_id)


async def test_who_may_claim(dispatch: Harness, stub: Any) -> None:
    ticket_id = await offered(dispatch, stub)
    with pytest.raises(Forbidden, match="only technicians"):
        await dispatch.offers.claim(Caller("dispatcher1", "dispatcher", "demo"), ticket_id)
    with pytest.raises(Forbidden, match="not offered to you"):
        await dispatch.offers.claim(Caller("tech9", "technician", "demo"), ticket_id)
    with pytest.raises(NotFound):
        await dispatch.offers.claim(TECH1, "no-such-ticket")
    assert (await dispatch.offers.claim(TECH2, ticket_id)).claimed_by == "tech2"


async def test_an_unclaimed_offer_falls_back_to_assignment(
    dispatch: Harness, stub: Any, database_url: str
) -> None:
    ticket_id = await offered(dispatch, stub)
    dispatch.clock.advance(timedelta(seconds=59))
    await dispatch.settle()
    assert not (await ticket_of(stub, ticket_id)).assignee  # the window is still open
    dispatch.clock.advance(timedelta(seconds=2))
    [assigned] = await dispatch.settled_events(ticket_id, "assigned")
    assert payload(assigned)["assignee"] in ("tech1", "tech2")
    assert "(offer_expired)" in assigned.note
    with pytest.raises(Conflict, match="expired"):
        await dispatch.offers.claim(TECH1, ticket_id)
    reasons = rows(database_url, "SELECT reason FROM dispatch.decisions WHERE ticket_id = %s"
                   " ORDER BY id", ticket_id)  # fmt: skip
    assert reasons == [("created",), ("offer_expired",)]


async def decline(stub: Any, ticket_id: str, who: str, reason: str) -> None:
    actor = pb.Actor(username=who, role=pb.ROLE_TECHNICIAN, site="demo")
    await stub.TransitionTicket(
        pb.TransitionTicketRequest(actor=actor, ticket_id=ticket_id, action=pb.ACTION_DECLINE,
                                   reason=reason)
    )  # fmt: skip


async def test_a_declined_ticket_goes_to_someone_else_then_to_the_supervisor(
    dispatch: Harness, stub: Any
) -> None:
    ticket_id = await create_ticket(stub, "other", title="something odd")
    [first] = await dispatch.settled_events(ticket_id, "assigned")
    first_tech = payload(first)["assignee"]
    await decline(stub, ticket_id, first_tech, "不在这栋楼 not my building today")
    second = (await dispatch.settled_events(ticket_id, "assigned", count=2))[1]
    second_tech = payload(second)["assignee"]
    assert {first_tech, second_tech} == {"tech1", "tech2"}
    await decline(stub, ticket_id, second_tech, "no parts")
    [page] = await dispatch.settled_events(ticket_id, "dispatch_paged")
    assert payload(page)["reason"] == "no_technician" and payload(page)["notify"] == ["supervisor1"]
    ticket = await ticket_of(stub, ticket_id)
    assert not ticket.assignee and ticket.status == pb.TICKET_STATUS_ACCEPTED


async def test_a_dispatchers_assignment_is_never_overwritten(dispatch: Harness, stub: Any) -> None:
    ticket_id = await create_ticket(stub, "plumbing")
    await dispatch.catch_up()  # the routing job is queued, not yet run
    desk = pb.Actor(username="dispatcher1", role=pb.ROLE_DISPATCHER, site="demo")
    await stub.TransitionTicket(pb.TransitionTicketRequest(
        actor=desk, ticket_id=ticket_id, action=pb.ACTION_ASSIGN, assignee="tech2"))  # fmt: skip
    await dispatch.settle()
    assigned = [e for e in await events_of(stub, ticket_id) if e.type == "assigned"]
    assert [e.actor for e in assigned] == ["dispatcher1"]
    assert (await ticket_of(stub, ticket_id)).assignee == "tech2"


class DeskAssignsFirst:
    """Passes calls to intake, but just before dispatch's first assignment reaches intake a
    dispatcher assigns the ticket by hand: dispatch's lookup is stale when it assigns."""

    def __init__(self, stub: Any, assignee: str) -> None:
        self._stub = stub
        self._assignee = assignee
        self.done = False

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._stub, name)
        if name != "TransitionTicket":
            return real

        async def call(request: Any, **kwargs: Any) -> Any:
            if not self.done and request.action == pb.ACTION_ASSIGN:
                self.done = True
                desk = pb.Actor(username="dispatcher1", role=pb.ROLE_DISPATCHER, site="demo")
                await real(pb.TransitionTicketRequest(
                    actor=desk, ticket_id=request.ticket_id, action=pb.ACTION_ASSIGN,
                    assignee=self._assignee))  # fmt: skip
            return await real(request, **kwargs)

        return call


async def test_an_assignment_made_while_dispatch_decides_wins(dispatch: Harness, stub: Any) -> None:
    racing = Harness(dispatch.pool, DeskAssignsFirst(stub, "tech2"), dispatch.clock)
    await racing.settle()
    ticket_id = await create_ticket(stub, "plumbing")  # dispatch would choose tech1
    await racing.settle(lambda: _assigned(stub, ticket_id))
    await racing.settle()
    assigned = [e for e in await events_of(stub, ticket_id) if e.type == "assigned"]
    assert [(e.actor, json.loads(e.payload_json)["assignee"]) for e in assigned] == [
        ("dispatcher1", "tech2")
    ]


class CrashAfter:
    """Passes calls to intake, then "crashes" (raises SystemExit) once `method` succeeded."""

    def __init__(self, stub: Any, method: str) -> None:
        self._stub = stub
        self._method = method
        self.crashed = False

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._stub, name)
        if name != self._method:
            return real

        async def call(*args: Any, **kwargs: Any) -> Any:
            result = await real(*args, **kwargs)
            if not self.crashed:
                self.crashed = True
                raise SystemExit("crash right after intake answered")
            return result

        return call


@pytest.mark.parametrize(("category", "priority", "method", "kind"), [
    ("plumbing", pb.PRIORITY_UNSPECIFIED, "TransitionTicket", "assigned"),
    ("electrical", pb.PRIORITY_P1, "RecordActivity", "dispatch_paged"),
])  # fmt: skip
async def test_a_crash_after_intake_answered_does_nothing_twice(
    dispatch: Harness,
    stub: Any,
    category: str,
    priority: pb.Priority.ValueType,
    method: str,
    kind: str,
) -> None:
    crashing = Harness(dispatch.pool, CrashAfter(stub, method), dispatch.clock, lease_s=5)
    await crashing.settle()
    ticket_id = await create_ticket(stub, category, priority=priority)
    with pytest.raises(SystemExit):
        await crashing.settle(lambda: _assigned(stub, ticket_id), timeout_s=10)
    assert [e.type for e in await events_of(stub, ticket_id)].count(kind) == 1
    restarted = Harness(dispatch.pool, stub, dispatch.clock)  # a new process, same database
    await restarted.settle()
    assert [e.type for e in await events_of(stub, ticket_id)].count(kind) == 1  # leased
    restarted.clock.advance(timedelta(seconds=6))  # the dead worker's lease runs out
    await restarted.settle(lambda: _assigned(stub, ticket_id))
    await restarted.settle()
    types = [e.type for e in await events_of(stub, ticket_id)]
    assert types.count(kind) == 1 and types.count("assigned") == 1, types


async def test_has_activity_matches_the_kind_and_the_key(dispatch: Harness, stub: Any) -> None:
    ticket_id = await create_ticket(stub, "plumbing", title="looked up in its history")
    intake = dispatch.intake
    await intake.record_activity(ticket_id, "dispatch_paged", "paged", {"dispatch_key": "p:1"})
    await intake.record_activity(ticket_id, "claim_offered", "offered", {"dispatch_key": "o:1"})
    assert await intake.has_activity(ticket_id, "dispatch_paged", "p:1")
    assert await intake.has_activity(ticket_id, "claim_offered", "o:1")
    assert not await intake.has_activity(ticket_id, "dispatch_paged", "o:1")
    assert not await intake.has_activity(ticket_id, "dispatch_paged", "p:2")
    with pytest.raises(NotFound):
        await intake.has_activity(str(uuid.uuid4()), "dispatch_paged", "p:1")


async def _assigned(stub: Any, ticket_id: str) -> bool:
    return bool((await ticket_of(stub, ticket_id)).assignee)


async def test_history_replayed_from_the_start_routes_nothing_again(
    dispatch: Harness, stub: Any, database_url: str
) -> None:
    ticket_id = await create_ticket(stub, "plumbing")
    await dispatch.settled_events(ticket_id, "assigned")
    await dispatch.settle()
    fresh = Harness(dispatch.pool, stub, dispatch.clock)
    before = rows(database_url, "SELECT count(*) FROM dispatch.decisions")[0][0]
    calls = rows(database_url, "SELECT count(*) FROM dispatch.intake_calls")[0][0]
    with psycopg.connect(database_url) as conn:  # forget the cursor: replay the whole log
        conn.execute("DELETE FROM dispatch.event_cursor")
    assert await fresh.catch_up() >= 2
    await fresh.settle()
    assert rows(database_url, "SELECT count(*) FROM dispatch.decisions")[0][0] == before
    assert rows(database_url, "SELECT count(*) FROM dispatch.intake_calls")[0][0] == calls


async def test_decide_is_a_dry_run(dispatch: Harness, stub: Any, database_url: str) -> None:
    ticket_id = await create_ticket(stub, "hvac")
    await dispatch.settle()
    decisions = rows(database_url, "SELECT count(*) FROM dispatch.decisions")[0][0]
    decision, facts = await dispatch.router.dry_run(ticket_id, None, None, ["tech1"])
    assert facts.category == "hvac" and facts.source == "tenant" and facts.building == "A"
    assert decision.rule == "repairs" and decision.assignee == "tech2"
    assert rows(database_url, "SELECT count(*) FROM dispatch.decisions")[0][0] == decisions
    with pytest.raises(NotFound):
        await dispatch.router.dry_run("00000000-0000-0000-0000-000000000000", None, None, [])


async def test_open_work_is_counted_from_the_log(dispatch: Harness, database_url: str) -> None:
    await dispatch.settle()
    counted = dict(rows(database_url, "SELECT assignee, count(*) FROM dispatch.tickets WHERE"
                        " assignee IS NOT NULL AND status = 'assigned' GROUP BY assignee"))  # fmt: skip
    with psycopg.connect(database_url) as conn:
        truth: dict[str, int] = dict(conn.execute("SELECT assignee, count(*) FROM intake.tickets WHERE"
                                  " status = 'assigned' GROUP BY assignee").fetchall())  # fmt: skip
    assert counted == truth
