"""Business-hours durations of hand-made histories (services/analytics/domain/business.py)
and the choice of a ticket's clock from the SLA service's configuration, with the SLA
service as an in-memory double (services/analytics/handlers/hours.py)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date

from services.analytics.adapters.sla_client import SlaConfig, calendar_from_pb
from services.analytics.domain.business import UNKNOWN, Clock, business_durations
from services.analytics.handlers.hours import BusinessHours
from services.analytics.testing import FakeSla
from services.common.business_time import Calendar, WorkingInterval
from services.common.policy_choice import PolicyScope
from services.sla.entrypoint.messages import calendar_to_pb
from tests.unit.test_analytics_ticket import FACTS, History

#: 09:00-17:00 UTC on weekdays; the histories start on Monday 2026-03-02 09:00 UTC.
OFFICE = Calendar("office", "UTC", tuple(WorkingInterval(d, 540, 1020) for d in range(1, 6)),
                  site="demo")  # fmt: skip
MIN = 60.0


def paused_overnight() -> History:
    """Accepted at 09:10, paused 16:00-20:00 Monday, resolved 10:00 Tuesday."""
    h = History()
    h("accepted", 10, "accepted")("assigned", 15, "assigned", assignee="tech1")
    h("started", 60, "in_progress")("paused", 420, "in_progress", reason="waiting_parts")
    return h("resumed", 660, "in_progress")("resolved", 1500, "resolved")


def test_durations_count_only_working_time() -> None:
    t = paused_overnight().ticket
    assert (t.handling_s, t.resolve_s) == (1250 * MIN, 1500 * MIN)
    b = business_durations(t, Clock(OFFICE))
    assert (b.response_bh_s, b.dispatch_bh_s) == (10 * MIN, 15 * MIN)
    # Working stretches 09:10-16:00 (410 min) and Monday 20:00 to Tuesday 10:00 (60 min).
    assert b.handling_bh_s == 470 * MIN
    # Monday 09:00-17:00 and Tuesday 09:00-10:00.
    assert b.resolve_bh_s == 540 * MIN


def test_round_the_clock_equals_the_wall_clock() -> None:
    t = paused_overnight().ticket
    b = business_durations(t, Clock(None))
    assert (b.response_bh_s, b.dispatch_bh_s, b.handling_bh_s, b.resolve_bh_s) == (
        t.response_s, t.dispatch_s, t.handling_s, t.resolve_s,
    )  # fmt: skip


def test_unknown_parts_stay_absent() -> None:
    assert business_durations(paused_overnight().ticket, None) is UNKNOWN
    open_one = History()("accepted", 10, "accepted").ticket
    b = business_durations(open_one, Clock(OFFICE))
    assert (b.response_bh_s, b.dispatch_bh_s, b.handling_bh_s, b.resolve_bh_s) == (
        10 * MIN, None, None, None,
    )  # fmt: skip
    # Counted before working stretches were kept: no business handling time, the rest known.
    old = replace(paused_overnight().ticket, work_spans=None)
    b = business_durations(old, Clock(OFFICE))
    assert (b.handling_bh_s, b.resolve_bh_s) == (None, 540 * MIN)


def test_holidays_and_calendars_without_working_time() -> None:
    t = paused_overnight().ticket
    monday_off = replace(OFFICE, holidays=frozenset({t.created_at.date()}))
    assert business_durations(t, Clock(monday_off)).resolve_bh_s == 60 * MIN
    assert business_durations(t, Clock(replace(OFFICE, hours=()))) is UNKNOWN


CONFIG = SlaConfig(
    policies=(PolicyScope("any"), PolicyScope("repairs", kind="repair", calendar="site"),
              PolicyScope("p1", kind="repair", priority="P1", calendar="24x7"),
              PolicyScope("north-repairs", site="north", kind="repair", calendar="office")),
    calendars={"office": OFFICE},
)  # fmt: skip


async def test_the_clock_follows_the_sla_rule() -> None:
    hours = BusinessHours(FakeSla(CONFIG))
    await hours.refresh()
    assert hours.clock_for(FACTS) == Clock(OFFICE)  # a repair at site demo: its calendar
    assert hours.clock_for(replace(FACTS, priority="P1")) == Clock(None)  # more specific
    assert hours.clock_for(replace(FACTS, kind="inquiry")) == Clock(None)  # "any", 24x7
    # another site's own policy goes before the defaults there, and never applies here
    assert hours.clock_for(replace(FACTS, site="north", priority="P1")) == Clock(OFFICE)
    no_catch_all = BusinessHours(FakeSla(replace(CONFIG, policies=CONFIG.policies[1:])))
    await no_catch_all.refresh()
    assert no_catch_all.clock_for(replace(FACTS, kind="inquiry")) is None  # not timed


async def test_without_the_sla_service_nothing_is_known_until_it_answers() -> None:
    sla = FakeSla()
    hours = BusinessHours(sla)
    await hours.refresh()
    assert hours.clock_for(FACTS) is None
    sla.known = CONFIG
    await hours.refresh()
    assert hours.clock_for(FACTS) == Clock(OFFICE)
    sla.known = None  # gone again: the last answer stays
    await hours.refresh()
    assert hours.clock_for(FACTS) == Clock(OFFICE)


async def test_the_refresher_retries_soon_while_nothing_is_known() -> None:
    sla = FakeSla()
    hours = BusinessHours(sla)
    running = asyncio.create_task(hours.run(every_s=3600, retry_s=0.01))
    try:
        await asyncio.sleep(0.05)
        sla.known = CONFIG  # the SLA service comes up after analytics
        for _ in range(100):
            if hours.clock_for(FACTS) is not None:
                break
            await asyncio.sleep(0.01)
        assert hours.clock_for(FACTS) == Clock(OFFICE)
    finally:
        running.cancel()


def test_calendars_arrive_as_the_sla_service_sends_them() -> None:
    sent = replace(OFFICE, holidays=frozenset({date(2026, 10, 1)}), name="办公时间 Office")
    assert calendar_from_pb(calendar_to_pb(sent)) == sent
