"""How fast `decide()` routes: a realistic site, in memory, for benchmarks to time.

`decisions_per_second()` is the figure `bench-sla` reports as dispatch decisions per second;
`python -m services.dispatch.bench` prints it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from services.dispatch.domain.decide import SiteContext, decide
from services.dispatch.domain.model import CATEGORIES, Team, Technician, TicketFacts
from services.dispatch.domain.roster import make_override, make_roster, make_shift
from services.dispatch.domain.rules import parse_rule_set

__all__ = ["decisions_per_second", "sample_context", "sample_facts"]

_CATEGORIES = sorted(CATEGORIES)
_BUILDINGS = [f"B{i}" for i in range(10)]
_KINDS = ("repair", "repair", "repair", "complaint", "inquiry")
_SOURCES = ("tenant", "tenant", "sensor", "staff")


def sample_context(technicians: int = 60, teams: int = 4) -> SiteContext:
    """A site with `teams` teams, `technicians` technicians on day and night shifts with a few
    overrides, and 20 rules that use every kind of condition."""
    codes = [f"team{i}" for i in range(teams)]
    team_map = {c: Team("demo", c, c, (f"sup-{c}",)) for c in codes}
    techs = tuple(
        Technician(
            f"tech{i:03d}", "demo", codes[i % teams],
            frozenset(_CATEGORIES[j % len(_CATEGORIES)] for j in range(i, i + 4)),
            frozenset(_BUILDINGS[j % len(_BUILDINGS)] for j in range(i, i + 3)),
        )
        for i in range(technicians)
    )  # fmt: skip
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    shifts = [
        make_shift(i, t.username, days, *(("08:00", "20:00") if i % 2 else ("20:00", "08:00")),
                   "Asia/Shanghai")
        for i, t in enumerate(techs, start=1)
    ]  # fmt: skip
    shifts += [
        make_shift(len(shifts) + 1, f"sup-{c}", days, "00:00", "00:00", "UTC") for c in codes
    ]
    start = datetime(2031, 1, 1, tzinfo=UTC)
    overrides = [
        make_override(i, techs[i * 7].username, start, start + timedelta(days=365), i % 2 == 0, "")
        for i in range(1, min(6, technicians // 7))
    ]
    rules = [
        {"name": f"r{i}", "match": {"categories": [_CATEGORIES[i % len(_CATEGORIES)]],
                                    "buildings": [_BUILDINGS[i % len(_BUILDINGS)]],
                                    "hours": ["18:00-08:00"] if i % 3 == 0 else []},
         "action": {"mode": "claim_pool" if i % 4 == 0 else "best_technician",
                    "team": codes[i % teams]}}
        for i in range(17)
    ]  # fmt: skip
    rules += [
        {"name": "p1", "match": {"priorities": ["P1"]},
         "action": {"mode": "best_technician", "team": codes[0], "notify": ["duty-manager"]}},
        {"name": "sensors", "match": {"sources": ["sensor"], "kinds": ["repair"]},
         "action": {"mode": "best_technician", "team": codes[1 % teams]}},
        {"name": "default", "match": {}, "action": {"mode": "team", "team": codes[0]}},
    ]  # fmt: skip
    rule_set = parse_rule_set("demo", {"timezone": "Asia/Shanghai", "rules": rules}, codes)
    counts = {t.username: i % 5 for i, t in enumerate(techs)}
    return SiteContext(rule_set, team_map, techs, make_roster("demo", shifts, overrides), counts)


def sample_facts(i: int) -> TicketFacts:
    """The i-th of a varied stream of tickets."""
    return TicketFacts(
        kind=_KINDS[i % len(_KINDS)],
        category=_CATEGORIES[(i * 7) % len(_CATEGORIES)],
        priority=f"P{1 + (i * 3) % 4}",
        source=_SOURCES[i % len(_SOURCES)],
        site="demo",
        building=_BUILDINGS[(i * 3) % len(_BUILDINGS)],
        floor=str(1 + i % 10),
    )


def decisions_per_second(seconds: float = 1.0, context: SiteContext | None = None) -> float:
    """Route the sample stream for about `seconds` on one core; decisions per second."""
    ctx = context or sample_context()
    tickets = [sample_facts(i) for i in range(997)]
    now = datetime(2031, 1, 6, 4, 0, tzinfo=UTC)
    done = 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        for facts in tickets[:100]:
            decide(facts, ctx, now + timedelta(minutes=done), exclude=())
            done += 1
        tickets = tickets[100:] + tickets[:100]
    return done / (time.perf_counter() - started)


def main() -> None:
    rate = decisions_per_second(2.0)
    print(f"dispatch_decisions_per_s={rate:.0f}")


if __name__ == "__main__":
    main()
