"""Dispatch's configuration, event projection and work queues against real PostgreSQL
(no intake needed): each change validated against the rest of the site's configuration."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from psycopg_pool import AsyncConnectionPool

from services.common.db import create_pool
from services.common.migrate import migrate
from services.dispatch.adapters.offers_repo import OffersRepository
from services.dispatch.adapters.work_repo import WorkRepository
from services.dispatch.demo import DEMO_RULES_FILE, DEMO_TECHNICIANS, seed_demo
from services.dispatch.domain.errors import Forbidden, InvalidInput, NotFound
from services.dispatch.domain.model import Caller, Team, Technician
from services.dispatch.domain.roster import make_override, make_shift
from services.dispatch.handlers.config import ConfigHandlers, load_context
from services.dispatch.handlers.events import EventProjector, LogEvent
from tests.integration.conftest import Clock, drop_database, new_database_name, url_for

DESK = Caller("dispatcher1", "dispatcher", "demo")
ADMIN = Caller("admin", "admin", "demo")
MONDAY_NOON = datetime(2031, 1, 6, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    name = new_database_name()
    url = url_for(name)
    try:
        migrate(url, ["dispatch"])
        seed_demo(url)
        seed_demo(url)  # a second run changes nothing
        yield url
    finally:
        drop_database(name)


@pytest_asyncio.fixture(scope="module")
async def pool(database_url: str) -> AsyncIterator[AsyncConnectionPool]:
    pool = create_pool(database_url, min_size=1, max_size=6)
    await pool.open(wait=True, timeout=10)
    yield pool
    await pool.close()


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_NOON)


@pytest.fixture
def config(pool: AsyncConnectionPool, clock: Clock) -> ConfigHandlers:
    return ConfigHandlers(pool, clock)


async def test_the_demo_is_seeded_once_and_routes(
    config: ConfigHandlers, pool: AsyncConnectionPool
) -> None:
    assert [t.code for t in await config.list_teams("demo")] == ["maintenance", "service"]
    assert await config.list_technicians("demo") == sorted(
        DEMO_TECHNICIANS, key=lambda t: t.username
    )
    roster, on_duty = await config.get_roster("demo")
    assert len(roster.shifts) == 3 and on_duty == ["supervisor1", "tech1", "tech2"]
    rules = await config.get_rules("demo")
    assert rules.version == 1 and rules.document["rules"][-1]["name"] == "default"
    async with pool.connection() as conn:
        ctx = await load_context(conn, "demo")
        assert await load_context(conn, "elsewhere") is None
    assert ctx is not None and set(ctx.teams) == {"maintenance", "service"}


async def test_writers_only_and_only_their_site(config: ConfigHandlers) -> None:
    teams = await config.list_teams("demo")
    for who in (Caller("tech1", "technician", "demo"), Caller("p", "planner", "demo"),
                Caller("x", "", "demo")):  # fmt: skip
        with pytest.raises(Forbidden):
            await config.put_teams(who, "demo", teams)
    with pytest.raises(Forbidden, match="only site 'demo'"):
        await config.put_teams(DESK, "other", [])
    assert await config.put_teams(ADMIN, "other", [Team("other", "crew")]) == [
        Team("other", "crew", "", ())
    ]
    assert await config.put_teams(ADMIN, "other", []) == []


async def test_a_team_in_use_cannot_go(config: ConfigHandlers) -> None:
    teams = await config.list_teams("demo")
    maintenance = [t for t in teams if t.code == "maintenance"]
    service = [t for t in teams if t.code == "service"]
    with pytest.raises(InvalidInput, match=r"teams still have technicians: tech1 \(maintenance\)"):
        await config.put_teams(DESK, "demo", service)
    with pytest.raises(
        InvalidInput, match=r"the site's rules would break: rule 6 .* team 'service'"
    ):
        await config.put_teams(DESK, "demo", maintenance)
    renamed = [Team("demo", "maintenance", "维修 Maintenance", ("supervisor1", "admin")), *service]
    out = await config.put_teams(DESK, "demo", [*renamed, Team("demo", "night", "Night crew")])
    assert [t.code for t in out] == ["maintenance", "night", "service"]
    assert out[0].supervisors == ("supervisor1", "admin")
    assert [t.code for t in await config.put_teams(DESK, "demo", renamed)] == [
        "maintenance",
        "service",
    ]


async def test_technicians_are_replaced_as_a_whole(config: ConfigHandlers) -> None:
    before = await config.list_technicians("demo")
    extra = Technician("tech3", "demo", "maintenance", frozenset({"elevator"}), frozenset({"B"}))
    out = await config.put_technicians(DESK, "demo", [*before, extra])
    assert [t.username for t in out] == ["tech1", "tech2", "tech3"]
    assert [t.username for t in await config.list_technicians("demo", "service")] == []
    with pytest.raises(InvalidInput, match=r"technician 3 \(tech3\): team 'lift' does not exist"):
        await config.put_technicians(DESK, "demo", [*before, Technician(
            "tech3", "demo", "lift", frozenset({"elevator"}))])  # fmt: skip
    await config.put_teams(ADMIN, "other", [Team("other", "crew")])
    with pytest.raises(InvalidInput, match="tech1 already works at site 'demo'"):
        await config.put_technicians(ADMIN, "other", [Technician("tech1", "other", "crew",
                                                                 frozenset({"plumbing"}))])  # fmt: skip
    assert await config.put_technicians(DESK, "demo", before) == before
    await config.put_teams(ADMIN, "other", [])


async def test_the_roster_names_known_people_and_says_who_is_on_duty(
    config: ConfigHandlers, clock: Clock
) -> None:
    roster, _ = await config.get_roster("demo")
    day = make_shift(1, "tech1", ["mon", "tue"], "08:00", "20:00", "Asia/Shanghai")
    night = make_shift(2, "tech2", ["mon"], "20:00", "08:00", "Asia/Shanghai")
    boss = make_shift(3, "supervisor1", ["mon"], "00:00", "00:00", "UTC")
    leave = make_override(1, "tech1", MONDAY_NOON, MONDAY_NOON + timedelta(hours=1), False, "lunch")
    stored = await config.put_roster(DESK, "demo", [day, night, boss], [leave])
    assert stored.shifts == (day, night, boss) and stored.overrides == (leave,)
    assert (await config.get_roster("demo"))[1] == ["supervisor1"]  # tech1 at lunch
    clock.advance(timedelta(hours=1))
    assert (await config.get_roster("demo"))[1] == ["supervisor1", "tech1"]
    clock.advance(timedelta(hours=8))  # 21:00 Shanghai
    assert (await config.get_roster("demo"))[1] == ["supervisor1", "tech2"]
    stranger = make_shift(1, "stranger", ["mon"], "08:00", "20:00", "Asia/Shanghai")
    with pytest.raises(InvalidInput, match="names stranger"):
        await config.put_roster(DESK, "demo", [stranger], [])
    await config.put_roster(DESK, "demo", list(roster.shifts), list(roster.overrides))


async def test_rules_are_validated_and_versioned(config: ConfigHandlers) -> None:
    current = await config.get_rules("demo")
    doc = json.loads(json.dumps(current.document))
    doc["rules"][0]["match"]["categories"] = ["plumbin"]
    with pytest.raises(InvalidInput, match=r"rule 1 \('emergencies'\): unknown category 'plumbin'"):
        await config.put_rules(DESK, "demo", doc)
    assert (await config.get_rules("demo")).version == current.version
    saved = await config.put_rules(DESK, "demo", current.document)
    assert (saved.version, saved.updated_by) == (current.version + 1, "dispatcher1")
    with pytest.raises(NotFound, match="no dispatch rules"):
        await config.get_rules("elsewhere")
    with pytest.raises(InvalidInput, match="teams: none yet"):
        await config.put_rules(ADMIN, "elsewhere", current.document)


async def test_a_rules_file_loads_or_says_what_is_wrong(
    config: ConfigHandlers, tmp_path: Path
) -> None:
    toml = tmp_path / "rules.toml"
    toml.write_text('site = "demo"\n[[rules]]\nname = "all to maintenance"\n'
                    'match = {}\naction = { mode = "team", team = "maintenance" }\n')  # fmt: skip
    stored = await config.load_rules_file(toml)
    assert (
        stored.site == "demo"
        and stored.timezone == "Asia/Shanghai"
        and stored.updated_by == "dispatch"
    )
    bad = tmp_path / "rules.json"
    bad.write_text(json.dumps({"site": "demo", "rules": [{"name": "x", "action": {"mode": "team",
                                                                                "team": "nope"}}]}))  # fmt: skip
    with pytest.raises(InvalidInput, match=r"rules file .*rules.json: rule 1 \('x'\): team 'nope'"):
        await config.load_rules_file(bad)
    (tmp_path / "nosite.json").write_text("{}")
    with pytest.raises(InvalidInput, match="needs a top-level"):
        await config.load_rules_file(tmp_path / "nosite.json")
    with pytest.raises(InvalidInput, match="rules file"):
        await config.load_rules_file(tmp_path / "missing.toml")
    await config.load_rules_file(DEMO_RULES_FILE)


def event(ticket: str, kind: str, status: str, n: int, **payload: Any) -> LogEvent:
    return LogEvent(ticket, kind, status, "someone", payload, f"999.{n}")


async def test_the_projection_follows_the_log_and_queues_routing_once(
    pool: AsyncConnectionPool, clock: Clock
) -> None:
    projector = EventProjector(clock)
    steps = [
        event("p-1", "created", "submitted", 1),
        event("p-1", "assigned", "assigned", 2, assignee="tech1"),
        event("p-1", "declined", "accepted", 3, technician="tech1", reason="busy"),
        event("p-1", "claimed", "assigned", 4, assignee="tech2"),
        event("p-1", "started", "in_progress", 5),
        event("p-2", "created", "submitted", 6),
        event("p-2", "assigned", "assigned", 7, assignee="tech2"),
        event("p-2", "resolved", "resolved", 8),
        event("p-2", "reopened", "assigned", 9),
    ]
    for step in [*steps, *steps]:  # a replay changes nothing
        async with pool.connection() as conn, conn.transaction():
            await projector.apply(conn, step)
    async with pool.connection() as conn:
        work = WorkRepository(conn)
        assert await work.open_counts(["tech1", "tech2"]) == {"tech2": 2}
        assert await work.declined_by("p-1") == ["tech1"]
        jobs = await work.claim_route_jobs(clock(), 10, 30)
        for job in jobs:
            await work.finish_route_job(job.id, clock())
    mine = [(j.ticket_id, j.reason, j.exclude) for j in jobs if j.ticket_id.startswith("p-")]
    assert mine == [("p-1", "created", ()), ("p-1", "declined", ("tech1",)), ("p-2", "created", ())]


async def test_two_claims_of_one_offer_in_the_database_have_one_winner(
    pool: AsyncConnectionPool, clock: Clock
) -> None:
    now = clock()
    async with pool.connection() as conn:
        await OffersRepository(conn).put("o-1", "demo", "maintenance", ["tech1", "tech2"], {},
                                         now, now + timedelta(minutes=5))  # fmt: skip

    async def claim(who: str) -> Any:
        async with pool.connection() as conn, conn.transaction():
            return await OffersRepository(conn).begin_claim(
                "o-1", who, now, now + timedelta(seconds=30)
            )

    for _ in range(5):
        results = await asyncio.gather(claim("tech1"), claim("tech2"), claim("tech3"))
        assert sum(r is not None for r in results) == 1
        async with pool.connection() as conn:
            await OffersRepository(conn).end_claim(
                "o-1", next(r for r in results if r).claimant, False
            )
    async with pool.connection() as conn:
        repo = OffersRepository(conn)
        assert [o.ticket_id for o in await repo.open_offers("demo", "tech2", now)] == ["o-1"]
        assert await repo.open_offers("demo", "tech3", now) == []
        assert await repo.expire_due(now, 10) == []
        expired = await repo.expire_due(now + timedelta(minutes=5), 10)
        assert [o.ticket_id for o in expired] == ["o-1"] and expired[0].state == "expired"


async def test_leased_jobs_go_to_one_worker_and_come_back_when_the_lease_ends(
    pool: AsyncConnectionPool, clock: Clock
) -> None:
    now = clock() + timedelta(days=1)
    async with pool.connection() as conn:
        work = WorkRepository(conn)
        for n in range(10):
            assert await work.add_route_job(f"q-{n}", "created", f"lease-test-{n}", now)
        assert not await work.add_route_job("q-0", "created", "lease-test-0", now)

    async def take() -> list[str]:
        async with pool.connection() as conn, conn.transaction():
            jobs = await WorkRepository(conn).claim_route_jobs(now, 7, 30)
            await asyncio.sleep(0.05)  # hold the rows while the other worker looks
            return [j.ticket_id for j in jobs if j.ticket_id.startswith("q-")]

    first, second = await asyncio.gather(take(), take())
    assert len(first) + len(second) == 10 and not set(first) & set(second)
    async with pool.connection() as conn:
        work = WorkRepository(conn)
        assert await work.claim_route_jobs(now + timedelta(seconds=29), 20, 30) == []
        again = await work.claim_route_jobs(now + timedelta(seconds=31), 20, 30)
        assert sorted(j.ticket_id for j in again) == sorted(f"q-{n}" for n in range(10))
        assert {j.attempts for j in again} == {2}
        for job in again:
            await work.finish_route_job(job.id, now)
        assert await work.claim_route_jobs(now + timedelta(hours=1), 20, 30) == []
