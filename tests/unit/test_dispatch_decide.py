"""Choosing technicians and whole routing decisions, pure: no database, no intake."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.dispatch.bench import decisions_per_second, sample_context, sample_facts
from services.dispatch.domain.choose import (
    Candidate,
    candidates,
    choose_technician,
    claim_pool,
    eligible,
    supervisors_to_page,
)
from services.dispatch.domain.decide import Override, SiteContext, decide
from services.dispatch.domain.model import Mode, Team, Technician, TicketFacts
from services.dispatch.domain.roster import Roster, make_override, make_roster, make_shift
from services.dispatch.domain.rules import parse_rule_set

SH = ZoneInfo("Asia/Shanghai")
NOON = datetime(2031, 1, 6, 12, 0, tzinfo=SH)  # Monday
NIGHT = datetime(2031, 1, 6, 23, 0, tzinfo=SH)


def facts(**over: str) -> TicketFacts:
    base = {"kind": "repair", "category": "plumbing", "priority": "P3", "source": "tenant",
            "site": "demo", "building": "A", "floor": "3"}  # fmt: skip
    base.update(over)
    return TicketFacts(**base)


def cand(name: str, skills: str = "plumbing", buildings: str = "", on: bool = True,
         open_count: int = 0) -> Candidate:  # fmt: skip
    return Candidate(name, frozenset(skills.split()), frozenset(buildings.split()), on, open_count)


# --- choose_technician -------------------------------------------------------------------


def test_eligible_means_skill_zone_and_shift() -> None:
    pool = [
        cand("a"),
        cand("b", skills="electrical"),
        cand("c", buildings="B"),
        cand("d", on=False),
        cand("e", buildings="A B"),
    ]
    assert [c.username for c in eligible(pool, facts())] == ["a", "e"]
    assert [c.username for c in eligible(pool, facts(building="B"))] == ["a", "c", "e"]
    assert [c.username for c in eligible(pool, facts(category="electrical"))] == ["b"]


def test_least_open_work_wins_and_ties_go_by_username() -> None:
    pool = [cand("zoe", open_count=1), cand("amy", open_count=3), cand("bob", open_count=1)]
    assert choose_technician(pool, facts()) == "bob"
    assert choose_technician([cand("b"), cand("a")], facts()) == "a"
    assert choose_technician(pool, facts(), exclude={"bob"}) == "zoe"
    assert choose_technician(pool, facts(), exclude={"bob", "zoe", "amy"}) is None
    assert choose_technician([], facts()) is None


def test_a_claim_pool_is_everyone_eligible_by_name() -> None:
    pool = [cand("zoe", open_count=0), cand("amy", open_count=5), cand("off", on=False)]
    assert claim_pool(pool, facts()) == ("amy", "zoe")
    assert claim_pool(pool, facts(), exclude=["amy"]) == ("zoe",)
    assert claim_pool(pool, facts(category="noise")) == ()


def test_candidates_come_from_the_team_with_duty_and_open_work() -> None:
    techs = [
        Technician("t1", "demo", "maint", frozenset({"plumbing"})),
        Technician("t2", "demo", "other", frozenset({"plumbing"})),
    ]
    roster = make_roster(
        "demo", [make_shift(1, "t1", ["mon"], "08:00", "20:00", "Asia/Shanghai")], []
    )
    found = candidates(techs, "maint", roster, {"t1": 4}, NOON)
    assert found == [Candidate("t1", frozenset({"plumbing"}), frozenset(), True, 4)]
    assert not candidates(techs, "maint", roster, {}, NIGHT)[0].on_duty


def test_supervisors_on_duty_are_paged_else_all_of_them() -> None:
    team = Team("demo", "maint", "", ("boss1", "boss2"))
    roster = make_roster(
        "demo", [make_shift(1, "boss2", ["mon"], "08:00", "20:00", "Asia/Shanghai")], []
    )
    assert supervisors_to_page(team, roster, NOON) == ("boss2",)
    assert supervisors_to_page(team, roster, NIGHT) == ("boss1", "boss2")
    assert supervisors_to_page(Team("demo", "x"), roster, NOON) == ()


# --- decide ------------------------------------------------------------------------------

RULES: dict[str, Any] = {
    "timezone": "Asia/Shanghai",
    "rules": [
        {"name": "small jobs", "match": {"categories": ["doors_windows"]},
         "action": {"mode": "claim_pool", "team": "maint", "window_s": 120}},
        {"name": "complaints", "match": {"kinds": ["complaint"]},
         "action": {"mode": "team", "team": "desk", "notify": ["dispatcher1"]}},
        {"name": "repairs", "match": {"kinds": ["repair"]},
         "action": {"mode": "best_technician", "team": "maint", "notify": ["planner1"]}},
        {"name": "default", "match": {}, "action": {"mode": "team", "team": "maint"}},
    ],
}  # fmt: skip


def context(
    roster: Roster | None = None,
    counts: dict[str, int] | None = None,
    extra: Technician | None = None,
) -> SiteContext:
    teams = {
        "maint": Team("demo", "maint", "", ("boss",)),
        "desk": Team("demo", "desk", "", ("front",)),
    }
    techs = (
        Technician("tech1", "demo", "maint", frozenset({"plumbing", "doors_windows"}), frozenset({"A"})),
        Technician("tech2", "demo", "maint", frozenset({"electrical", "doors_windows"})),
        Technician("tech3", "demo", "maint", frozenset({"plumbing"}), frozenset({"B"})),
        *([extra] if extra else []),
    )  # fmt: skip
    if roster is None:
        names = [*(t.username for t in techs), "boss", "front"]
        shifts = [make_shift(i, n, ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "00:00",
                             "00:00", "Asia/Shanghai")
                  for i, n in enumerate(names, 1)]  # fmt: skip
        roster = make_roster("demo", shifts, [])
    rules = parse_rule_set("demo", RULES, list(teams))
    return SiteContext(rules, teams, techs, roster, counts or {})


def test_best_technician_is_assigned_with_a_reason() -> None:
    d = decide(facts(), context(), NOON)
    assert (d.rule, d.mode, d.team, d.assignee) == (
        "repairs",
        Mode.BEST_TECHNICIAN,
        "maint",
        "tech1",
    )
    assert d.paged == () and d.notify == ("planner1",)
    assert "tech1 has the least open work (0) of 1 eligible" in d.explanation
    assert decide(facts(building="B"), context(), NOON).assignee == "tech3"


def test_open_work_decides_between_eligible_technicians() -> None:
    extra = Technician("tech0", "demo", "maint", frozenset({"plumbing"}))
    assert decide(
        facts(), context(counts={"tech1": 2, "tech0": 1}, extra=extra), NOON
    ).assignee == ("tech0")
    d = decide(facts(), context(counts={"tech0": 3}, extra=extra), NOON)
    assert d.assignee == "tech1" and "least open work (0) of 2 eligible" in d.explanation
    tie = decide(facts(), context(counts={"tech0": 1, "tech1": 1}, extra=extra), NOON)
    assert tie.assignee == "tech0"


def test_p1_pages_the_on_duty_supervisor_at_once_whatever_the_rule() -> None:
    d = decide(facts(priority="P1"), context(), NOON)
    assert (d.assignee, d.paged, d.page_reason) == ("tech1", ("boss",), "p1")
    pool = decide(facts(priority="P1", category="doors_windows"), context(), NOON)
    assert pool.mode is Mode.CLAIM_POOL and pool.paged == ("boss",)
    quiet = decide(facts(priority="P1"), context(), NOON, announce=False)
    assert quiet.paged == () and quiet.notify == ()


def test_nobody_eligible_queues_for_the_team_and_pages_its_supervisors() -> None:
    d = decide(facts(category="elevator"), context(), NOON)
    assert (d.mode, d.assignee, d.paged, d.page_reason) == (
        Mode.TEAM,
        None,
        ("boss",),
        "no_technician",
    )
    assert "no technician is eligible by skill 'elevator'" in d.explanation
    assert d.rule == "repairs" and d.notify == ("planner1",)
    p1 = decide(facts(category="elevator", priority="P1"), context(), NOON)
    assert p1.paged == ("boss",) and p1.page_reason == "no_technician"


def test_off_duty_technicians_are_not_eligible() -> None:
    day_only = make_roster(
        "demo", [make_shift(1, "tech1", ["mon"], "08:00", "20:00", "Asia/Shanghai")], []
    )
    assert decide(facts(), context(day_only), NOON).assignee == "tech1"
    night = decide(facts(), context(day_only), NIGHT)
    assert night.assignee is None and night.page_reason == "no_technician"
    assert night.paged == ("boss",)  # nobody on duty: every supervisor
    sick = make_override(1, "tech1", NOON.replace(hour=11), NOON.replace(hour=13), False, "")
    with_leave = make_roster("demo", list(day_only.shifts), [sick])
    assert decide(facts(), context(with_leave), NOON).assignee is None


def test_claim_pool_offers_everyone_eligible_for_the_rules_window() -> None:
    d = decide(facts(category="doors_windows"), context(), NOON)
    assert (d.mode, d.offered_to, d.offer_window_s) == (Mode.CLAIM_POOL, ("tech1", "tech2"), 120)
    assert d.assignee is None and "offered to 2 eligible for 120s" in d.explanation
    only = decide(facts(category="doors_windows"), context(), NOON, exclude=["tech1"])
    assert only.offered_to == ("tech2",)
    none = decide(facts(category="doors_windows"), context(), NOON, exclude=["tech1", "tech2"])
    assert none.mode is Mode.TEAM and none.page_reason == "no_technician"


def test_claim_pool_without_a_window_takes_the_services_default() -> None:
    ctx = context()
    doc = {
        "rules": [{"name": "pool", "match": {}, "action": {"mode": "claim_pool", "team": "maint"}}]
    }
    rules = parse_rule_set("demo", doc, list(ctx.teams))
    ctx = SiteContext(rules, ctx.teams, ctx.technicians, ctx.roster, {})
    assert decide(facts(), ctx, NOON, default_window_s=45).offer_window_s == 45


def test_team_mode_queues_and_pages_the_teams_supervisors() -> None:
    d = decide(facts(kind="complaint", category="noise"), context(), NOON)
    assert (d.rule, d.mode, d.team, d.assignee) == ("complaints", Mode.TEAM, "desk", None)
    assert d.paged == ("front",) and d.page_reason == "team_queue" and d.notify == ("dispatcher1",)
    p1 = decide(facts(kind="complaint", priority="P1"), context(), NOON)
    assert p1.paged == ("front",) and p1.page_reason == "p1"


def test_an_override_skips_the_rules_and_announces_nothing() -> None:
    fallback = Override(Mode.BEST_TECHNICIAN, "maint", "offer_expired")
    d = decide(facts(category="doors_windows", priority="P1"), context(), NOON, override=fallback,
               announce=False)  # fmt: skip
    assert (d.rule, d.mode, d.assignee, d.paged, d.notify) == (
        "(offer_expired)", Mode.BEST_TECHNICIAN, "tech1", (), (),
    )  # fmt: skip
    unknown_team = decide(facts(), context(), NOON, override=Override(Mode.TEAM, "gone", "x"))
    assert unknown_team.paged == () and unknown_team.team == "gone"


def test_the_same_inputs_give_the_same_decision() -> None:
    ctx = context(counts={"tech1": 1, "tech3": 1})
    first = decide(facts(priority="P1"), ctx, NOON)
    assert all(decide(facts(priority="P1"), ctx, NOON) == first for _ in range(10))


# --- the figure bench-sla reports ----------------------------------------------------------


def test_the_sample_context_routes_and_decide_is_fast() -> None:
    ctx = sample_context()
    assert decide(sample_facts(0), ctx, NOON).rule
    started = time.perf_counter()
    rate = decisions_per_second(0.2)
    assert time.perf_counter() - started < 2
    assert rate > 1000, f"only {rate:.0f} decisions per second"


@pytest.mark.parametrize("i", range(8))
def test_sample_facts_vary_and_stay_valid(i: int) -> None:
    f = sample_facts(i)
    assert f.site == "demo" and f.priority in {"P1", "P2", "P3", "P4"}
