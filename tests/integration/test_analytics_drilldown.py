"""The drill-down property, on a generated data set: for every cell of every report, the
figure equals the number of tickets its cell lists, and the summaries and the per-ticket
facts give the same figures.

A few hundred tickets with random lifecycles (reopenings, pauses, cancellations, ratings,
SLA events, imported history) around Berlin's change of clocks, some raised exactly at
local midnight, go through the real follower into real PostgreSQL, their events in log
order in batches of 1 to 40 (as the follower takes them); then reports of many shapes are
read both ways and every one of their cells is resolved.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from services.analytics.domain.cells import FIGURES, Dimension, Filters
from services.analytics.domain.periods import Bucketing
from services.analytics.handlers.follow import IncomingEvent
from services.analytics.handlers.reports import KpiReport, Scope
from services.common.db import create_pool
from tests.integration.analytics_feed import ADMIN, Feed, analytics_database

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2026, 2, 20, tzinfo=BERLIN)
CUTOFF = datetime(2026, 5, 10, tzinfo=BERLIN)
TECHS = ("tech1", "tech2", "tech3", "tech4")
M, H = timedelta(minutes=1), timedelta(hours=1)


def _when(rng: random.Random) -> datetime:
    """Mostly any instant; now and then local midnight, or the hours round the change."""
    day = START + timedelta(days=rng.randrange(75))
    pick = rng.random()
    if pick < 0.1:
        return day.replace(hour=0, minute=0).astimezone(UTC)
    if pick < 0.2:
        return datetime(2026, 3, 28, 22, tzinfo=UTC) + timedelta(minutes=rng.randrange(0, 1800))
    return (day + timedelta(seconds=rng.randrange(86400))).astimezone(UTC)


Step = tuple[str, str, dict[str, object]]


def _plan(rng: random.Random) -> list[Step]:
    """A random lifecycle: (event type, status it leads to, payload) in order."""
    plan: list[Step] = []
    if rng.random() < 0.3:
        plan.append(("sla_reminder", "", {"target": "respond"}))
    if rng.random() < 0.1:
        return [*plan, ("cancelled", "cancelled", {})]
    if rng.random() < 0.5:
        plan.append(("accepted", "accepted", {}))
    plan.append(("assigned", "assigned",
                 {"assignee": rng.choice(TECHS), "system": rng.random() < 0.5}))  # fmt: skip
    if rng.random() < 0.2:
        plan.append(("sla_breached", "", {"target": rng.choice(("respond", "resolve"))}))
    if rng.random() < 0.2:
        plan.append(("sla_escalated", "", {"target": "resolve", "level": 1}))
    for visit in range(rng.choice((1, 1, 2))):
        if visit:
            plan.append(("reopened", "assigned", {}))
        plan.append(("started", "in_progress", {}))
        if rng.random() < 0.3:
            reason = rng.choice(("waiting_parts", "waiting_tenant"))
            plan += [("paused", "", {"reason": reason}), ("resumed", "", {})]
        plan.append(("resolved", "resolved", {}))
    if rng.random() < 0.6:
        plan.append(("rated", "closed", {"stars": rng.randint(1, 5)}))
    return plan


def _one_ticket(feed: Feed, rng: random.Random) -> list[IncomingEvent]:
    """A ticket's events up to the cutoff (its creation first)."""
    imported = rng.random() < 0.15
    at = _when(rng)
    ticket = feed.register(
        building=rng.choice("ABC"), floor=rng.choice(("1", "2", "B1")),
        unit=rng.choice(("", "", "U1", "U2")), asset=rng.choice(("", "", "", "pump-1")),
        kind=rng.choice(("repair", "complaint", "maintenance")),
        category=rng.choice(("plumbing", "electrical", "hvac")),
        priority=rng.choice(("P1", "P2", "P3")),
        source="import" if imported else rng.choice(("tenant", "staff", "sensor")),
        alerted_at=at - rng.randrange(0, 600) * timedelta(seconds=1) if rng.random() < 0.2 else None,
    )  # fmt: skip
    events = [feed.make(ticket, "created", at, "submitted", imported=imported)]
    for kind, status, payload in _plan(rng):
        at += rng.choice((0 * M, 5 * M, 2 * H, 20 * H, 3 * 24 * H))
        if at >= CUTOFF:
            break
        system = bool(payload.pop("system", False))
        events.append(feed.make(ticket, kind, at, status, system=system, imported=imported,
                                **payload))  # fmt: skip
    return events


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with analytics_database() as found:
        yield found


@pytest_asyncio.fixture(scope="module")
async def feed(url: str) -> AsyncIterator[Feed]:
    pool = create_pool(url, min_size=1, max_size=4)
    await pool.open(wait=True, timeout=10)
    fed = Feed(pool, {"berlin": "Europe/Berlin"})
    fed.teams.by_site["berlin"] = {"tech1": "wet", "tech2": "wet", "tech3": "dry"}
    rng = random.Random(20260329)
    log = sorted((e for _ in range(260) for e in _one_ticket(fed, rng)),
                 key=lambda i: (i.event.at, i.event.id))  # fmt: skip
    # The log in batches of 1 to 40 events, as the follower takes them (many tickets in one).
    while log:
        size = rng.choice((1, 1, 1, 5, 40))
        await fed.apply(log[:size])
        log = log[size:]
    try:
        yield fed
    finally:
        await pool.close()


async def _listed(feed: Feed, token: str, page_size: int = 1000) -> tuple[list[str], int]:
    ids: list[str] = []
    page = ""
    while True:
        found, page, total = await feed.reports.cell_tickets(ADMIN, token, page_size, page)
        ids += found
        if not page:
            return ids, total


async def _check_cells(feed: Feed, report: KpiReport) -> int:
    """Every figure of every row against its cell; returns how many cells were checked."""
    checked = 0
    for row in report.rows:
        for figure in FIGURES:
            count = getattr(row.figures, figure)
            ids, total = await _listed(feed, row.cells[figure])
            assert len(ids) == len(set(ids)) == total == count, (row.group, row.bucket, figure)
            checked += 1
    return checked


def _flat(figures: object) -> dict[str, object]:
    flat: dict[str, object] = {}
    for name, value in asdict(figures).items():  # type: ignore[call-overload]
        if isinstance(value, dict):
            flat.update({f"{name}.{k}": v for k, v in value.items()})
        else:
            flat[name] = value
    return flat


ALL = Filters(sources=("tenant", "staff", "sensor", "import"))
SHAPES = [
    (Scope("berlin", "2026-02-01", "2026-06-01"), [], Bucketing.MONTH),
    (Scope("berlin", "2026-03-01", "2026-05-01"), [Dimension.BUILDING], Bucketing.MONTH),
    (Scope("berlin", "2026-02-01", "2026-06-01"), [Dimension.TECHNICIAN], Bucketing.NONE),
    (Scope("berlin", "2026-03-01", "2026-06-01"), [Dimension.TEAM], Bucketing.MONTH),
    (Scope("berlin", "2026-03-01", "2026-04-01"), [Dimension.PRIORITY], Bucketing.NONE),
    (Scope("berlin", "2026-03-01", "2026-05-01"), [Dimension.SITE], Bucketing.MONTH),
]


@pytest.mark.parametrize(("scope", "dimensions", "bucketing"), SHAPES)
async def test_summaries_and_facts_agree_and_every_cell_lists_its_count(
    feed: Feed, scope: Scope, dimensions: list[Dimension], bucketing: Bucketing
) -> None:
    summary = await feed.reports.kpis(ADMIN, scope, dimensions, bucketing)
    facts = await feed.reports.kpis(ADMIN, replace(scope, filters=ALL), dimensions, bucketing)
    assert (summary.read_from, facts.read_from) == ("summaries", "tickets")
    assert len(summary.rows) == len(facts.rows) > 0
    for a, b in zip(summary.rows, facts.rows, strict=True):
        assert (a.group, a.bucket) == (b.group, b.bucket)
        assert _flat(a.figures) == pytest.approx(_flat(b.figures))
    assert await _check_cells(feed, summary) == len(summary.rows) * len(FIGURES)


@pytest.mark.parametrize(
    ("scope", "dimensions", "bucketing"),
    [
        (Scope("berlin", "2026-03-01", "2026-04-16"), [Dimension.FLOOR], Bucketing.WEEK),
        (Scope("berlin", "2026-03-27", "2026-04-02"), [Dimension.CATEGORY, Dimension.PRIORITY],
         Bucketing.DAY),
        (Scope("berlin", "2026-03-15", "2026-04-20", Filters(kinds=("repair",))),
         [Dimension.UNIT, Dimension.ASSET], Bucketing.MONTH),
        (Scope("berlin", "2026-02-01", "2026-06-01", Filters(categories=("hvac",))),
         [Dimension.TEAM, Dimension.KIND], Bucketing.NONE),
    ],
)  # fmt: skip
async def test_every_cell_of_reports_from_the_facts_lists_its_count(
    feed: Feed, scope: Scope, dimensions: list[Dimension], bucketing: Bucketing
) -> None:
    report = await feed.reports.kpis(ADMIN, scope, dimensions, bucketing)
    assert report.read_from == "tickets"
    assert report.rows
    await _check_cells(feed, report)


async def test_heat_map_and_recurring_problems_list_their_counts(feed: Feed) -> None:
    scope = Scope("berlin", "2026-03-01", "2026-05-01")
    summary = await feed.reports.heatmap(ADMIN, scope)
    facts = await feed.reports.heatmap(
        ADMIN, replace(scope, filters=Filters(priorities=("P1", "P2", "P3")))
    )
    assert [(c.building, c.floor, c.count) for c in summary.cells] == [
        (c.building, c.floor, c.count) for c in facts.cells
    ]
    inside = await feed.reports.heatmap(ADMIN, scope, building="A")
    assert {c.unit for c in inside.cells} >= {"", "U1"}
    for cell in summary.cells + inside.cells:
        ids, total = await _listed(feed, cell.cell)
        assert len(ids) == total == cell.count
    assert sum(c.count for c in inside.cells) == sum(
        c.count for c in summary.cells if c.building == "A"
    )
    problems = await feed.reports.problems(ADMIN, scope, min_count=2, limit=50)
    assert problems
    assert [p.problem.count for p in problems] == sorted(
        (p.problem.count for p in problems), reverse=True
    )
    for p in problems:
        ids, total = await _listed(feed, p.cell)
        assert len(ids) == total == p.problem.count
        assert ids[: len(p.problem.ticket_ids)] == p.problem.ticket_ids


async def test_pages_of_a_cell_are_newest_first_and_complete(feed: Feed) -> None:
    report = await feed.reports.kpis(ADMIN, Scope("berlin", "2026-02-01", "2026-06-01"), [],
                                     Bucketing.NONE)  # fmt: skip
    token = report.rows[0].cells["raised"]
    everything, total = await _listed(feed, token)
    paged, _ = await _listed(feed, token, page_size=7)
    assert paged == everything
    assert total == report.rows[0].figures.raised > 100
    assert date(2026, 2, 1) == report.rows[0].bucket.start
