"""Dispatch routing rules: parsing, validation (every error names its rule) and matching."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.dispatch.domain.errors import InvalidInput
from services.dispatch.domain.model import CATEGORIES, Mode, TicketFacts
from services.dispatch.domain.rules import MATCH_FIELDS, RuleSet, parse_rule_set, route
from services.intake.domain.model import CATEGORIES as INTAKE_CATEGORIES

TEAMS = ("maintenance", "service")
SHANGHAI_NOON_MONDAY = datetime(2031, 1, 6, 4, 0, tzinfo=UTC)  # 12:00 in Asia/Shanghai


def facts(**over: str) -> TicketFacts:
    base = {"kind": "repair", "category": "plumbing", "priority": "P3", "source": "tenant",
            "site": "demo", "building": "A", "floor": "3"}  # fmt: skip
    base.update(over)
    return TicketFacts(**base)


def rule(name: str, match: dict[str, Any] | None = None, **action: Any) -> dict[str, Any]:
    act = {"mode": "best_technician", "team": "maintenance", **action}
    return {"name": name, "match": match or {}, "action": act}


def doc(*rules: dict[str, Any], timezone: str = "Asia/Shanghai") -> dict[str, Any]:
    return {"timezone": timezone, "rules": list(rules)}


def parse(document: Any) -> RuleSet:
    return parse_rule_set("demo", document, TEAMS)


def problem(document: Any) -> str:
    with pytest.raises(InvalidInput) as caught:
        parse(document)
    return str(caught.value)


DEFAULT = rule("default", {}, mode="team")


# --- valid rule sets ---------------------------------------------------------------------


def test_a_full_rule_set_parses_and_round_trips() -> None:
    document = doc(
        rule("p1", {"priorities": ["P1"]}, notify=["dispatcher1"]),
        rule("night", {"hours": ["22:00-06:00"], "days": ["fri", "saturday"]}),
        rule("pool", {"categories": ["doors_windows"], "buildings": ["A"], "floors": ["1"]},
             mode="claim_pool", window_s=60),
        rule("sensors", {"sources": ["sensor"], "kinds": ["repair"]}),
        DEFAULT,
    )  # fmt: skip
    rules = parse(document)
    assert [r.name for r in rules.rules] == ["p1", "night", "pool", "sensors", "default"]
    assert rules.rules[0].action.notify == ("dispatcher1",)
    assert rules.rules[2].action.mode is Mode.CLAIM_POOL and rules.rules[2].action.window_s == 60
    assert rules.teams() == frozenset({"maintenance"})
    again = parse(rules.to_document())
    assert again == rules


def test_the_timezone_defaults_and_a_matching_site_is_accepted() -> None:
    rules = parse_rule_set("demo", {"site": "demo", "rules": [DEFAULT]}, TEAMS, "Europe/Berlin")
    assert rules.timezone == "Europe/Berlin"


# --- invalid rule sets: the message names the rule and the problem -------------------------


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ([], "must be an object"),
        ({"rules": []}, "non-empty list"),
        ({"rules": "x"}, "non-empty list"),
        ({"rules": [DEFAULT], "colour": 1}, "unknown field 'colour'"),
        ({"rules": [DEFAULT], "site": "other"}, "for site 'other'"),
        ({"rules": [DEFAULT], "timezone": "Mars/Olympus"}, "'Mars/Olympus' is not a time zone"),
        ({"rules": ["nope"]}, "rule 1: must be an object"),
        (doc({"match": {}, "action": {}}), "rule 1: name is required"),
        (doc({"name": "x" * 65, "action": {}}), "rule 1: name is required"),
        (doc({**DEFAULT, "when": 1}), "rule 1 ('default'): unknown field 'when'"),
        (doc(rule("a", {"colour": ["red"]}), DEFAULT), "rule 1 ('a'): match: unknown field 'colour'"),
        (doc(rule("a", {"categories": ["plumbin"]}), DEFAULT),
         "rule 1 ('a'): unknown category 'plumbin' in match.categories"),
        (doc(rule("a", {"kinds": ["fix"]}), DEFAULT), "unknown kind 'fix'"),
        (doc(rule("a", {"priorities": ["P0"]}), DEFAULT), "unknown priority 'P0'"),
        (doc(rule("a", {"sources": ["robot"]}), DEFAULT), "unknown source 'robot'"),
        (doc(rule("a", {"categories": "plumbing"}), DEFAULT), "match.categories must be a list"),
        (doc(rule("a", {"buildings": [""]}), DEFAULT), "empty entry"),
        (doc(rule("a", {"hours": ["8-20"]}), DEFAULT), "rule 1 ('a'): '8' is not a time HH:MM"),
        (doc(rule("a", {"hours": ["08:00"]}), DEFAULT), "not a range"),
        (doc(rule("a", {"hours": ["24:00-08:00"]}), DEFAULT), "not a time"),
        (doc(rule("a", {"days": ["funday"]}), DEFAULT), "'funday' is not a day"),
        (doc(rule("a", {}, team="plumbers"), DEFAULT),
         "rule 1 ('a'): team 'plumbers' does not exist at site 'demo'; teams: maintenance, service"),
        (doc({"name": "a", "match": {}, "action": {"team": "service"}}), "action.mode 'None' is unknown"),
        (doc(rule("a", {}, mode="random")), "action.mode 'random' is unknown"),
        (doc({"name": "a", "action": {"mode": "team"}}), "action.team is required"),
        (doc({"name": "a", "action": "team"}), "action must be an object"),
        (doc(rule("a", {}, colour="red")), "action: unknown field 'colour'"),
        (doc(rule("a", {}, window_s=60)), "window_s applies only to mode claim_pool"),
        (doc(rule("a", {}, mode="claim_pool", window_s=5)), "between 10 and 86400"),
        (doc(rule("a", {}, mode="claim_pool", window_s="60")), "whole number"),
        (doc(rule("a", {}, mode="claim_pool", window_s=True)), "whole number"),
        (doc(rule("a", {}, notify="boss")), "action.notify must be a list"),
        (doc(rule("a", {"priorities": ["P1"]}), rule("a", {})), "rule 2 ('a'): rule 1 has that name"),
        (doc(rule("all", {}), rule("late", {"priorities": ["P1"]}), DEFAULT),
         "rule 2 ('late') can never match: rule 1 ('all') before it matches every ticket"),
        (doc(rule("only p1", {"priorities": ["P1"]})),
         "rule 1 ('only p1'): the last rule must match every ticket"),
    ],
)  # fmt: skip
def test_invalid_rule_sets_say_which_rule_and_why(document: Any, expected: str) -> None:
    assert expected in problem(document)


def test_every_match_field_is_known_and_documented() -> None:
    assert set(MATCH_FIELDS) == {"kinds", "categories", "priorities", "sources", "buildings",
                                 "floors", "days", "hours"}  # fmt: skip


def test_a_rule_with_no_team_defined_yet_lists_none() -> None:
    with pytest.raises(InvalidInput, match="teams: none yet"):
        parse_rule_set("demo", doc(DEFAULT), ())


# --- matching ------------------------------------------------------------------------------


def test_first_matching_rule_wins_and_the_default_catches_the_rest() -> None:
    rules = parse(doc(rule("p1", {"priorities": ["P1"]}), rule("plumbing", {"categories": ["plumbing"]}),
                      DEFAULT))  # fmt: skip
    at = SHANGHAI_NOON_MONDAY
    assert route(facts(priority="P1"), rules, at).name == "p1"
    assert route(facts(priority="P1", category="noise"), rules, at).name == "p1"
    assert route(facts(), rules, at).name == "plumbing"
    assert route(facts(category="noise"), rules, at).name == "default"


@pytest.mark.parametrize(
    ("field", "value", "matching", "other"),
    [
        ("kinds", "complaint", {"kind": "complaint"}, {"kind": "repair"}),
        ("categories", "hvac", {"category": "hvac"}, {"category": "plumbing"}),
        ("priorities", "P2", {"priority": "P2"}, {"priority": "P3"}),
        ("sources", "sensor", {"source": "sensor"}, {"source": "tenant"}),
        ("buildings", "B", {"building": "B"}, {"building": "A"}),
        ("floors", "10", {"floor": "10"}, {"floor": "1"}),
    ],
)
def test_each_condition_matches_its_fact(
    field: str, value: str, matching: dict[str, str], other: dict[str, str]
) -> None:
    rules = parse(doc(rule("r", {field: [value]}), DEFAULT))
    assert route(facts(**matching), rules, SHANGHAI_NOON_MONDAY).name == "r"
    assert route(facts(**other), rules, SHANGHAI_NOON_MONDAY).name == "default"


def test_conditions_combine_with_and_values_with_or() -> None:
    rules = parse(doc(rule("r", {"categories": ["plumbing", "hvac"], "buildings": ["A"]}), DEFAULT))
    at = SHANGHAI_NOON_MONDAY
    assert route(facts(category="hvac", building="A"), rules, at).name == "r"
    assert route(facts(category="plumbing", building="A"), rules, at).name == "r"
    assert route(facts(category="hvac", building="B"), rules, at).name == "default"


def shanghai(day: int, hour: int, minute: int = 0) -> datetime:
    """A local time in January 2031 (the 6th is a Monday)."""
    return datetime(2031, 1, day, hour, minute, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize(
    ("local_day", "hour", "minute", "expected"),
    [
        (10, 21, 59, "default"),  # Friday, before the window
        (10, 22, 0, "night"),  # Friday: the start is inclusive
        (11, 3, 0, "night"),  # Saturday morning, inside Friday's window
        (11, 5, 59, "night"),
        (11, 6, 0, "default"),  # the end is exclusive
        (11, 22, 30, "night"),  # Saturday starts a window too
        (12, 5, 0, "night"),  # ... which runs into Sunday morning
        (12, 23, 0, "default"),  # Sunday night: no window starts on Sunday
        (13, 2, 0, "default"),  # Monday morning
    ],
)
def test_time_windows_run_past_midnight_in_the_rules_time_zone(
    local_day: int, hour: int, minute: int, expected: str
) -> None:
    rules = parse(doc(rule("night", {"hours": ["22:00-06:00"], "days": ["fri", "sat"]}), DEFAULT))
    assert route(facts(), rules, shanghai(local_day, hour, minute)).name == expected


def test_days_without_hours_cover_the_whole_day() -> None:
    rules = parse(doc(rule("weekend", {"days": ["sat", "sun"]}), DEFAULT))
    assert route(facts(), rules, shanghai(11, 0, 0)).name == "weekend"
    assert route(facts(), rules, shanghai(12, 23, 59)).name == "weekend"
    assert route(facts(), rules, shanghai(13, 0, 0)).name == "default"
    assert route(facts(), rules, shanghai(10, 23, 59)).name == "default"


def test_the_same_instant_matches_differently_in_another_time_zone() -> None:
    at = datetime(2031, 1, 6, 13, 0, tzinfo=UTC)  # 21:00 Shanghai, 14:00 Berlin
    night = rule("evening", {"hours": ["20:00-23:00"]})
    assert route(facts(), parse(doc(night, DEFAULT)), at).name == "evening"
    berlin = parse(doc(night, DEFAULT, timezone="Europe/Berlin"))
    assert route(facts(), berlin, at).name == "default"


def test_parsing_does_not_change_the_document() -> None:
    document = doc(rule("p1", {"priorities": ["P1"]}), DEFAULT)
    before = copy.deepcopy(document)
    parse(document)
    assert document == before


def test_dispatch_knows_exactly_the_categories_intake_knows() -> None:
    assert set(INTAKE_CATEGORIES) == CATEGORIES
