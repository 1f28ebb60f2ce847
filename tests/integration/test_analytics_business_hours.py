"""Business-hours durations on real PostgreSQL: the follower stores them per ticket from the
SLA calendar its policy picks, the trigger's summaries and the per-ticket facts both report
them beside the wall-clock ones, and tickets counted while the SLA service did not answer
(or that no policy times) are left out of them, not counted wrong. Berlin, across the night
its clocks go forward (2026-03-29)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from services.analytics.adapters.sla_client import SlaConfig
from services.analytics.domain.periods import Bucketing
from services.analytics.handlers.reports import Scope
from services.common.business_time import Calendar, WorkingInterval
from services.common.db import create_pool
from services.common.policy_choice import PolicyScope
from tests.integration.analytics_feed import ADMIN, Feed, analytics_database, z

#: Weekdays 09:00-17:00 in Berlin, the calendar of site "berlin"; repairs are timed by it.
OFFICE = Calendar("office", "Europe/Berlin", tuple(WorkingInterval(d, 540, 1020)
                                                  for d in range(1, 6)), site="berlin")  # fmt: skip
SLA = SlaConfig((PolicyScope("repairs", kind="repair", calendar="site"),), {"office": OFFICE})
H = 3600.0
#: The one ticket with business hours (the Friday repair), its durations in them.
EXPECTED = {
    "response_time_business_hours": 1.5 * H,
    "dispatch_time_business_hours": 1.5 * H,
    "handling_time_business_hours": 1.5 * H,
    "resolve_time_business_hours": 3 * H,
}


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with analytics_database() as found:
        yield found


@pytest_asyncio.fixture
async def feed(url: str) -> AsyncIterator[Feed]:
    pool = create_pool(url, min_size=1, max_size=2)
    await pool.open(wait=True, timeout=10)
    try:
        yield Feed(pool, {"berlin": "Europe/Berlin"})
    finally:
        await pool.close()


async def worked(
    feed: Feed, raised: str, accepted: str, resolved: str, kind: str = "repair",
    category: str = "plumbing",
) -> str:  # fmt: skip
    ticket = await feed.raise_ticket(z(raised), site="berlin", kind=kind, category=category)
    await feed.event(ticket, "accepted", z(accepted), "accepted")
    await feed.event(ticket, "assigned", z(accepted), "assigned", assignee="tech1")
    await feed.event(ticket, "started", z(accepted), "in_progress")
    await feed.event(ticket, "resolved", z(resolved), "resolved")
    return ticket


async def test_business_hours_in_reports_from_summaries_and_facts(feed: Feed) -> None:
    # The SLA service does not answer yet: this repair gets no business-hours durations.
    await worked(feed, "2026-03-10 08:00", "2026-03-10 08:30", "2026-03-10 09:00")
    feed.sla.known = SLA
    await feed.hours.refresh()
    # Friday 16:00 CET to Monday 09:30 CEST (one hour on Friday, half an hour on Monday);
    # resolved Monday 11:00: three business hours in all, 1.5 of them handling.
    await worked(feed, "2026-03-27 15:00", "2026-03-30 07:30", "2026-03-30 09:00")
    # A complaint: no SLA policy times it, so no business hours either.
    await worked(feed, "2026-03-27 15:00", "2026-03-30 07:30", "2026-03-30 09:00",
                 kind="complaint", category="noise")  # fmt: skip

    march = Scope("berlin", "2026-03-01", "2026-04-01")
    by_summaries = await feed.reports.kpis(ADMIN, march, [], Bucketing.NONE)
    by_facts = await feed.reports.kpis(ADMIN, Scope("berlin", "2026-03-02", "2026-04-01"), [],
                                       Bucketing.NONE)  # fmt: skip
    assert (by_summaries.read_from, by_facts.read_from) == ("summaries", "tickets")
    for report in (by_summaries, by_facts):
        (row,) = report.rows
        f = row.figures
        assert (f.response_time.count, f.resolve_time.count) == (3, 3)
        for name, seconds in EXPECTED.items():
            stats = getattr(f, name)
            assert (stats.count, stats.mean_s) == (1, seconds), name
            assert stats.p50_s == pytest.approx(seconds, rel=0.13)
            assert stats.p90_s == pytest.approx(seconds, rel=0.13)
        # The wall clock counts the whole weekend: 66 hours, twice, and the hour of March 10.
        assert f.resolve_time.mean_s == (1 * H + 2 * 66 * H) / 3
