"""Routing rules as data: parsed and validated on load, then matched in order.

A rule set is one document per site:

    {"timezone": "Asia/Shanghai",
     "rules": [
       {"name": "emergencies", "match": {"priorities": ["P1"]},
        "action": {"mode": "best_technician", "team": "maintenance"}},
       {"name": "small jobs", "match": {"categories": ["doors_windows"], "hours": ["08:00-20:00"]},
        "action": {"mode": "claim_pool", "team": "maintenance", "window_s": 300}},
       {"name": "default", "match": {},
        "action": {"mode": "team", "team": "maintenance", "notify": ["dispatcher1"]}}]}

`match` conditions (each a list; a ticket must satisfy every condition given, and any value
within one): kinds, categories, priorities, sources, buildings, floors, days ("mon".."sun",
the day a time window starts) and hours ("HH:MM-HH:MM" in the rule set's time zone; an end
at or before the start runs past midnight). `action`: mode ("team", "best_technician",
"claim_pool"), team, notify (extra usernames) and, for claim pools, window_s (how long the
offer waits for a claim). The first matching rule wins, and the last rule must match every
ticket: it is the default rule.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.dispatch.domain.errors import InvalidInput
from services.dispatch.domain.model import CATEGORIES, KINDS, PRIORITIES, SOURCES, Mode, TicketFacts
from services.dispatch.domain.windows import ALL_DAYS, WeeklyWindow, parse_days, parse_range, zone

__all__ = [
    "MATCH_FIELDS",
    "Match",
    "Rule",
    "RuleAction",
    "RuleSet",
    "parse_rule_set",
    "route",
]

_FACT_FIELDS: dict[str, frozenset[str] | None] = {
    "kinds": KINDS,
    "categories": CATEGORIES,
    "priorities": PRIORITIES,
    "sources": SOURCES,
    "buildings": None,
    "floors": None,
}
_SINGULAR = {"kinds": "kind", "categories": "category", "priorities": "priority",
             "sources": "source"}  # fmt: skip
#: Every condition a rule's `match` may hold.
MATCH_FIELDS = (*_FACT_FIELDS, "days", "hours")
_ACTION_FIELDS = ("mode", "team", "notify", "window_s")
_RULE_FIELDS = ("name", "match", "action")
_MAX_RULES = 500
_MIN_WINDOW_S, _MAX_WINDOW_S = 10, 24 * 3600


@dataclass(frozen=True, slots=True)
class Match:
    """Conditions on the ticket; an empty set (or no windows) places no condition."""

    kinds: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    priorities: frozenset[str] = frozenset()
    sources: frozenset[str] = frozenset()
    buildings: frozenset[str] = frozenset()
    floors: frozenset[str] = frozenset()
    windows: tuple[WeeklyWindow, ...] = ()
    days: tuple[str, ...] = ()
    hours: tuple[str, ...] = ()

    @property
    def is_catch_all(self) -> bool:
        return not (
            self.kinds or self.categories or self.priorities or self.sources
            or self.buildings or self.floors or self.windows
        )  # fmt: skip

    def matches(self, facts: TicketFacts, local: datetime) -> bool:
        """Whether the ticket satisfies every condition; `local` is now in the rules' zone."""
        return (
            (not self.kinds or facts.kind in self.kinds)
            and (not self.categories or facts.category in self.categories)
            and (not self.priorities or facts.priority in self.priorities)
            and (not self.sources or facts.source in self.sources)
            and (not self.buildings or facts.building in self.buildings)
            and (not self.floors or facts.floor in self.floors)
            and (not self.windows or any(w.contains(local) for w in self.windows))
        )

    def to_document(self) -> dict[str, list[str]]:
        doc = {name: sorted(getattr(self, name)) for name in _FACT_FIELDS if getattr(self, name)}
        if self.days:
            doc["days"] = list(self.days)
        if self.hours:
            doc["hours"] = list(self.hours)
        return doc


@dataclass(frozen=True, slots=True)
class RuleAction:
    mode: Mode
    team: str
    notify: tuple[str, ...] = ()
    #: For claim pools: seconds an offer waits for a claim; None takes the service's setting.
    window_s: int | None = None

    def to_document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"mode": self.mode.value, "team": self.team}
        if self.notify:
            doc["notify"] = list(self.notify)
        if self.window_s is not None:
            doc["window_s"] = self.window_s
        return doc


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    match: Match
    action: RuleAction

    def to_document(self) -> dict[str, Any]:
        return {"name": self.name, "match": self.match.to_document(),
                "action": self.action.to_document()}  # fmt: skip


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A site's rules in order; the last one matches every ticket."""

    site: str
    timezone: str
    rules: tuple[Rule, ...]

    def to_document(self) -> dict[str, Any]:
        return {"timezone": self.timezone, "rules": [r.to_document() for r in self.rules]}

    def teams(self) -> frozenset[str]:
        """The teams the rules send tickets to."""
        return frozenset(rule.action.team for rule in self.rules)


def route(facts: TicketFacts, rules: RuleSet, now: datetime) -> Rule:
    """The first rule that matches the ticket at the instant `now`."""
    local = now.astimezone(zone(rules.timezone))
    for rule in rules.rules:
        if rule.match.matches(facts, local):
            return rule
    return rules.rules[-1]  # validation guarantees the last rule matches everything


# ---------------------------------------------------------------------------------------
# Parsing and validation: every error names the rule (its position and name).
# ---------------------------------------------------------------------------------------


def _strings(value: Any, where: str, max_items: int = 100) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"{where} must be a list of strings")
    if len(value) > max_items:
        raise InvalidInput(f"{where} has more than {max_items} entries")
    items = [v.strip() for v in value]
    if any(not v or len(v) > 64 for v in items):
        raise InvalidInput(f"{where} has an empty entry or one longer than 64 characters")
    return items


def _unknown_keys(given: Mapping[str, Any], known: Collection[str], where: str) -> None:
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise InvalidInput(f"{where}: unknown field {unknown[0][:40]!r}; known: {', '.join(known)}")


def _parse_match(raw: Any, where: str) -> Match:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise InvalidInput(f"{where}: match must be an object")
    _unknown_keys(raw, MATCH_FIELDS, f"{where}: match")
    sets: dict[str, frozenset[str]] = {}
    for name, allowed in _FACT_FIELDS.items():
        values = _strings(raw.get(name, []), f"{where}: match.{name}")
        if allowed is not None:
            bad = [v for v in values if v not in allowed]
            if bad:
                raise InvalidInput(
                    f"{where}: unknown {_SINGULAR[name]} {bad[0][:40]!r} in match.{name};"
                    f" known: {', '.join(sorted(allowed))}"
                )
        sets[name] = frozenset(values)
    days = _strings(raw.get("days", []), f"{where}: match.days", 7)
    hours = _strings(raw.get("hours", []), f"{where}: match.hours", 24)
    try:
        day_set = parse_days(days) if days else ALL_DAYS
        ranges = [parse_range(h) for h in hours] if hours else []
    except ValueError as exc:
        raise InvalidInput(f"{where}: {exc}") from None
    windows: tuple[WeeklyWindow, ...] = ()
    if ranges:
        windows = tuple(WeeklyWindow(day_set, start, end) for start, end in ranges)
    elif days:
        windows = (WeeklyWindow(day_set, *parse_range("00:00-00:00")),)
    return Match(**sets, windows=windows, days=tuple(days), hours=tuple(hours))


def _parse_action(raw: Any, where: str, teams: Collection[str], site: str) -> RuleAction:
    if not isinstance(raw, Mapping):
        raise InvalidInput(f"{where}: action must be an object with mode and team")
    _unknown_keys(raw, _ACTION_FIELDS, f"{where}: action")
    modes = ", ".join(m.value for m in Mode)
    try:
        mode = Mode(str(raw.get("mode")))
    except ValueError:
        raise InvalidInput(
            f"{where}: action.mode {str(raw.get('mode'))[:40]!r} is unknown; known: {modes}"
        ) from None
    team = raw.get("team")
    if not isinstance(team, str) or not team:
        raise InvalidInput(f"{where}: action.team is required")
    if team not in teams:
        known = ", ".join(sorted(teams)) or "none yet"
        raise InvalidInput(
            f"{where}: team {team[:40]!r} does not exist at site {site!r}; teams: {known}"
        )
    notify = tuple(_strings(raw.get("notify", []), f"{where}: action.notify", 20))
    window = raw.get("window_s")
    if window is not None:
        if mode is not Mode.CLAIM_POOL:
            raise InvalidInput(f"{where}: action.window_s applies only to mode claim_pool")
        if isinstance(window, bool) or not isinstance(window, int):
            raise InvalidInput(f"{where}: action.window_s must be a whole number of seconds")
        if not _MIN_WINDOW_S <= window <= _MAX_WINDOW_S:
            raise InvalidInput(
                f"{where}: action.window_s must be between {_MIN_WINDOW_S} and {_MAX_WINDOW_S}"
            )
    return RuleAction(mode, team, notify, window)


def _parse_rule(index: int, raw: Any, teams: Collection[str], site: str) -> Rule:
    if not isinstance(raw, Mapping):
        raise InvalidInput(f"rule {index}: must be an object with name, match and action")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 64:
        raise InvalidInput(f"rule {index}: name is required (at most 64 characters)")
    where = f"rule {index} ({name.strip()!r})"
    _unknown_keys(raw, _RULE_FIELDS, where)
    match = _parse_match(raw.get("match"), where)
    return Rule(name.strip(), match, _parse_action(raw.get("action"), where, teams, site))


def parse_rule_set(
    site: str, document: Any, teams: Collection[str], default_timezone: str = "Asia/Shanghai"
) -> RuleSet:
    """Validate a rule set document against the site's team codes; InvalidInput names the
    first problem and the rule it is in."""
    if not isinstance(document, Mapping):
        raise InvalidInput("the rule set must be an object with timezone and rules")
    _unknown_keys(document, ("site", "timezone", "rules"), "rule set")
    if document.get("site") not in (None, site):
        raise InvalidInput(f"the rule set is for site {document['site']!r}, not {site!r}")
    timezone = document.get("timezone", default_timezone)
    try:
        zone(str(timezone))
    except ValueError as exc:
        raise InvalidInput(f"rule set: {exc}") from None
    raw_rules = document.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise InvalidInput("rule set: rules must be a non-empty list ending with a default rule")
    if len(raw_rules) > _MAX_RULES:
        raise InvalidInput(f"rule set: at most {_MAX_RULES} rules")
    rules = [_parse_rule(i, raw, teams, site) for i, raw in enumerate(raw_rules, start=1)]
    seen: dict[str, int] = {}
    for i, rule in enumerate(rules, start=1):
        if rule.name in seen:
            raise InvalidInput(f"rule {i} ({rule.name!r}): rule {seen[rule.name]} has that name")
        seen[rule.name] = i
    for i, rule in enumerate(rules[:-1], start=1):
        if rule.match.is_catch_all:
            raise InvalidInput(
                f"rule {i + 1} ({rules[i].name!r}) can never match: rule {i} ({rule.name!r})"
                " before it matches every ticket"
            )
    last = rules[-1]
    if not last.match.is_catch_all:
        raise InvalidInput(
            f"rule {len(rules)} ({last.name!r}): the last rule must match every ticket (an"
            " empty match); it is the default rule"
        )
    return RuleSet(site, str(timezone), tuple(rules))
