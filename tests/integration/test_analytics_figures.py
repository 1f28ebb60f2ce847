"""Figures on real PostgreSQL from hand-made histories: the follower's facts, the trigger's
summaries and the reports over both, in Europe/Berlin (with its daylight-saving change)
and Asia/Shanghai. Every ticket's times are chosen so that the two zones, and the two
sides of a change of clocks, put it on different days or months."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import date
from typing import Any

import grpc
import pytest
import pytest_asyncio
from maintenance.dispatch.v1 import dispatch_pb2_grpc

from services.analytics.adapters.dispatch_client import GrpcTeams
from services.analytics.domain.cells import Dimension, Filters
from services.analytics.domain.errors import Forbidden, InvalidInput, NotFound, Unavailable
from services.analytics.domain.histogram import BUCKETS, SLOTS
from services.analytics.domain.periods import Bucketing
from services.analytics.handlers.reports import KpiRow, Scope, Viewer
from services.common.db import create_pool
from services.launcher.stack import free_port
from tests.integration.analytics_feed import ADMIN, Feed, analytics_database, z

ZONES = {"berlin": "Europe/Berlin", "shanghai": "Asia/Shanghai"}


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with analytics_database() as found:
        yield found


@pytest_asyncio.fixture
async def feed(url: str) -> AsyncIterator[Feed]:
    pool = create_pool(url, min_size=1, max_size=4)
    await pool.open(wait=True, timeout=10)
    async with pool.connection() as conn:
        await conn.execute(
            "TRUNCATE analytics.tickets, analytics.kpi_cells, analytics.heat_cells,"
            " analytics.heat_floors, analytics.sites"
        )
    try:
        yield Feed(pool, ZONES)
    finally:
        await pool.close()


async def history(feed: Feed, site: str) -> dict[str, str]:
    """Five tickets at `site` (the same instants for every site)."""
    e = feed.event
    t1 = await feed.raise_ticket(z("2026-03-10 08:00"), site=site)
    await e(t1, "accepted", z("2026-03-10 08:10"), "accepted")
    await e(t1, "assigned", z("2026-03-10 08:15"), "assigned", assignee="tech1")
    await e(t1, "started", z("2026-03-10 09:00"), "in_progress")
    await e(t1, "resolved", z("2026-03-10 11:00"), "resolved")
    await e(t1, "awaiting_rating", z("2026-03-10 11:00"), "awaiting_rating", system=True)
    await e(t1, "rated", z("2026-03-10 12:00"), "closed", stars=5)
    # 23:30 in Berlin on 31 March; 05:30 on 1 April in Shanghai.
    t2 = await feed.raise_ticket(z("2026-03-31 21:30"), site=site, building="B")
    await e(t2, "accepted", z("2026-04-01 06:00"), "accepted")
    await e(t2, "assigned", z("2026-04-01 06:01"), "assigned", system=True, assignee="tech2")
    await e(t2, "sla_breached", z("2026-04-02 06:00"), target="resolve")
    await e(t2, "resolved", z("2026-04-03 10:00"), "resolved")
    await e(t2, "reopened", z("2026-04-04 10:00"), "assigned")
    # 00:30 on 1 April in Berlin.
    t3 = await feed.raise_ticket(z("2026-03-31 22:30"), site=site, kind="complaint",
                                 category="noise", source="staff")  # fmt: skip
    await e(t3, "cancelled", z("2026-04-01 06:00"), "cancelled")
    t4 = await feed.raise_ticket(z("2026-04-15 10:00"), site=site, source="sensor",
                                 priority="P1", alerted_at=z("2026-04-15 09:58"))  # fmt: skip
    await e(t4, "assigned", z("2026-04-15 10:05"), "assigned", system=True, assignee="tech1")
    await e(t4, "started", z("2026-04-15 10:30"), "in_progress")
    await e(t4, "paused", z("2026-04-15 11:00"), reason="waiting_parts")
    await e(t4, "resumed", z("2026-04-15 15:00"))
    await e(t4, "resolved", z("2026-04-15 16:00"), "resolved")
    t5 = await feed.raise_ticket(z("2026-02-10 08:00"), site=site, source="import", imported=True)
    for kind, at, status in (("accepted", "2026-02-10 08:30", "accepted"),
                             ("assigned", "2026-02-10 08:30", "assigned"),
                             ("resolved", "2026-03-05 10:00", "resolved")):  # fmt: skip
        await e(t5, kind, z(at), status, imported=True, assignee="legacy")
    return {"t1": t1, "t2": t2, "t3": t3, "t4": t4, "t5": t5}


def by_bucket(rows: list[KpiRow]) -> dict[date, KpiRow]:
    assert all(r.group == () for r in rows)
    return {r.bucket.start: r for r in rows}


MARCH_TO_MAY = Scope("berlin", "2026-03-01", "2026-05-01")


async def test_figures_of_hand_made_histories_in_berlin(feed: Feed) -> None:
    await history(feed, "berlin")
    report = await feed.reports.kpis(ADMIN, MARCH_TO_MAY, [], Bucketing.MONTH)
    assert (report.read_from, report.time_zone) == ("summaries", "Europe/Berlin")
    rows = by_bucket(report.rows)
    march, april = rows[date(2026, 3, 1)].figures, rows[date(2026, 4, 1)].figures
    assert (march.raised, march.resolved, march.cancelled, march.reopened) == (2, 2, 0, 0)
    assert march.backlog == 1  # t2, raised at 23:30 on the 31st
    assert march.backlog_age_mean_s == pytest.approx(1800)  # at midnight, 22:00 UTC
    assert march.response_time.count == 2
    assert march.response_time.mean_s == pytest.approx((600 + 8.5 * 3600) / 2)
    assert march.dispatch_time.mean_s == pytest.approx((900 + (8.5 * 3600 + 60)) / 2)
    assert (march.sla_respond_evaluated, march.sla_respond_met_share) == (2, 1.0)
    assert (march.sla_resolve_evaluated, march.sla_resolve_breached) == (2, 1)
    assert march.sla_resolve_met_share == 0.5
    assert march.handling_time.count == 2  # t1 and the imported t5
    assert (march.first_time_fixed, march.first_time_fix_share) == (2, 1.0)
    assert (march.rated, march.rating_share, march.satisfaction_mean) == (1, 1.0, 5.0)
    assert (april.raised, april.resolved, april.cancelled, april.reopened) == (2, 1, 1, 1)
    assert april.backlog == 1  # t2 again, reopened
    assert april.handling_time.mean_s == pytest.approx(1800 + 3600)  # parts wait left out
    assert april.resolve_time.mean_s == pytest.approx(6 * 3600)
    assert (april.first_time_fixed, april.first_time_fix_share) == (0, 0.0)
    assert april.response_time.mean_s == pytest.approx(1800)  # the start, not the auto-assign
    assert (april.alert_to_ticket.mean_s, april.alert_to_assignment.mean_s) == (120, 420)
    p50 = april.alert_to_assignment.p50_s
    assert p50 is not None and 420 / 1.13 < p50 < 420 * 1.13
    # The whole period in one bucket, and February's backlog carried in.
    whole = by_bucket((await feed.reports.kpis(ADMIN, MARCH_TO_MAY, [], Bucketing.NONE)).rows)
    assert whole[date(2026, 3, 1)].figures.raised == 4
    assert whole[date(2026, 3, 1)].bucket.end == date(2026, 5, 1)
    feb = by_bucket((await feed.reports.kpis(ADMIN, replace(MARCH_TO_MAY, start="2026-02-01",
                                                            end="2026-03-01"), [], Bucketing.MONTH)).rows)  # fmt: skip
    assert (feb[date(2026, 2, 1)].figures.raised, feb[date(2026, 2, 1)].figures.backlog) == (1, 1)
    assert feb[date(2026, 2, 1)].figures.sla_respond_evaluated == 0  # imported: never timed


async def test_the_same_instants_fall_elsewhere_in_shanghai(feed: Feed) -> None:
    await history(feed, "shanghai")
    rows = by_bucket((await feed.reports.kpis(
        ADMIN, replace(MARCH_TO_MAY, site="shanghai"), [], Bucketing.MONTH)).rows)  # fmt: skip
    assert rows[date(2026, 3, 1)].figures.raised == 1
    assert rows[date(2026, 3, 1)].figures.backlog == 0
    assert rows[date(2026, 4, 1)].figures.raised == 3


async def test_days_around_the_change_of_clocks(feed: Feed) -> None:
    # Berlin goes from UTC+1 to UTC+2 at 01:00 UTC on 29 March 2026.
    for at in ("2026-03-28 22:59", "2026-03-28 23:00", "2026-03-29 21:59", "2026-03-29 22:00"):
        await feed.raise_ticket(z(at))
    scope = Scope("berlin", "2026-03-28", "2026-03-31")
    report = await feed.reports.kpis(ADMIN, scope, [], Bucketing.DAY)
    assert report.read_from == "tickets"
    assert {r.bucket.start.day: r.figures.raised for r in report.rows} == {28: 1, 29: 2, 30: 1}
    assert [r.figures.backlog for r in report.rows] == [1, 3, 4]
    weeks = await feed.reports.kpis(ADMIN, scope, [], Bucketing.WEEK)
    assert [(r.bucket.start, r.bucket.end, r.figures.raised) for r in weeks.rows] == [
        (date(2026, 3, 28), date(2026, 3, 30), 3), (date(2026, 3, 30), date(2026, 3, 31), 1),
    ]  # fmt: skip


async def test_groups_teams_and_filters(feed: Feed) -> None:
    ids = await history(feed, "berlin")
    feed.teams.by_site["berlin"] = {"tech1": "plumbers", "tech2": "electricians"}
    buildings = await feed.reports.kpis(ADMIN, MARCH_TO_MAY, [Dimension.BUILDING], Bucketing.NONE)
    assert {r.group: r.figures.raised for r in buildings.rows} == {
        (("building", "A"),): 3, (("building", "B"),): 1,
    }  # fmt: skip
    teams = await feed.reports.kpis(ADMIN, MARCH_TO_MAY, [Dimension.TEAM], Bucketing.NONE)
    assert teams.read_from == "summaries"
    assert {r.group: r.figures.raised for r in teams.rows} == {
        (("team", "plumbers"),): 2, (("team", "electricians"),): 1, (("team", ""),): 1,
    }  # fmt: skip
    floors = await feed.reports.kpis(ADMIN, MARCH_TO_MAY, [Dimension.FLOOR, Dimension.SOURCE],
                                     Bucketing.MONTH)  # fmt: skip
    assert floors.read_from == "tickets"
    assert {(r.group, r.bucket.start.month): r.figures.raised for r in floors.rows} == {
        ((("building", "A"), ("floor", "1"), ("source", "tenant")), 3): 1,
        ((("building", "B"), ("floor", "1"), ("source", "tenant")), 3): 1,
        ((("building", "B"), ("floor", "1"), ("source", "tenant")), 4): 0,  # reopened in April
        ((("building", "A"), ("floor", "1"), ("source", "staff")), 4): 1,
        ((("building", "A"), ("floor", "1"), ("source", "sensor")), 4): 1,
        ((("building", "A"), ("floor", "1"), ("source", "import")), 3): 0,  # resolved in March
    }  # fmt: skip
    sensors = replace(MARCH_TO_MAY, filters=Filters(sources=("sensor",)))
    only = await feed.reports.kpis(ADMIN, sensors, [], Bucketing.NONE)
    assert [r.figures.raised for r in only.rows] == [1]
    listed, _, total = await feed.reports.cell_tickets(ADMIN, only.rows[0].cells["raised"], 10)
    assert (listed, total) == ([ids["t4"]], 1)


async def test_a_change_of_time_zone_counts_the_site_again(feed: Feed) -> None:
    await history(feed, "berlin")
    feed.intake.zones["berlin"] = "Asia/Shanghai"
    assert await feed.sites.refresh() == 1
    assert await feed.sites.refresh() == 0
    rows = by_bucket((await feed.reports.kpis(ADMIN, MARCH_TO_MAY, [], Bucketing.MONTH)).rows)
    assert rows[date(2026, 3, 1)].figures.raised == 1  # as in Shanghai


async def test_who_may_read_what(feed: Feed) -> None:
    await history(feed, "berlin")
    supervisor = Viewer("s", "supervisor", "berlin")
    assert (await feed.reports.kpis(supervisor, MARCH_TO_MAY, [], Bucketing.NONE)).rows
    for viewer in (Viewer("s", "supervisor", "shanghai"), Viewer("t", "technician", "berlin"),
                   Viewer("x", "tenant", "berlin")):  # fmt: skip
        with pytest.raises(Forbidden):
            await feed.reports.kpis(viewer, MARCH_TO_MAY, [], Bucketing.NONE)
    with pytest.raises(NotFound):
        await feed.reports.kpis(ADMIN, replace(MARCH_TO_MAY, site="atlantis"), [], Bucketing.NONE)
    with pytest.raises(InvalidInput):
        await feed.reports.kpis(ADMIN, replace(MARCH_TO_MAY, end="2026-02-01"), [], Bucketing.NONE)
    token = (
        (await feed.reports.kpis(ADMIN, MARCH_TO_MAY, [], Bucketing.NONE)).rows[0].cells["raised"]
    )
    with pytest.raises(Forbidden):
        await feed.reports.cell_tickets(Viewer("s", "planner", "shanghai"), token)


async def test_a_corrected_import_moves_its_figures(feed: Feed) -> None:
    ids = await history(feed, "berlin")
    t5 = ids["t5"]
    payload: dict[str, Any] = {"opened_at": "2026-03-20T08:00:00+00:00", "accepted_at": None,
               "resolved_at": "2026-04-20T08:00:00+00:00", "closed_at": None, "stars": 2}  # fmt: skip
    assert await feed.event(t5, "import_corrected", z("2026-06-01 00:00"), "resolved",
                            imported=True, **payload) == "corrected"  # fmt: skip
    rows = by_bucket((await feed.reports.kpis(ADMIN, MARCH_TO_MAY, [], Bucketing.MONTH)).rows)
    march = rows[date(2026, 3, 1)].figures
    assert (march.raised, march.resolved) == (3, 1)
    assert rows[date(2026, 4, 1)].figures.rated == 1
    assert rows[date(2026, 4, 1)].figures.satisfaction_mean == 2.0


async def test_sql_histograms_are_laid_out_as_the_domain_reads_them(feed: Feed) -> None:
    values = [0.0, 0.5, 1.5, 59.0, 3601.0, 86400 * 3.3, 10**7.6, 1e9]
    async with feed.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT m, s, analytics.hist_slot(m, s) FROM generate_series(0, 5) AS m,"
            " unnest(%s::float8[]) AS s",
            (values,),
        )
        for measure, seconds, slot in await cur.fetchall():
            bucket = (
                0 if seconds < 1 else min(BUCKETS - 1, 1 + math.floor(20 * math.log10(seconds)))
            )
            assert slot == measure * BUCKETS + bucket
        cur = await conn.execute(
            "SELECT cardinality(analytics.hist_from(ARRAY[0, 911], ARRAY[1, 1]))"
        )
        assert await cur.fetchone() == (SLOTS,)


async def test_teams_when_dispatch_is_away_are_unavailable() -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{free_port()}") as channel:
        teams = GrpcTeams(dispatch_pb2_grpc.DispatchServiceStub(channel), timeout_s=0.5)
        with pytest.raises(Unavailable):
            await teams.teams("berlin")
