"""One routing decision, from the ticket's facts and the site's configuration: pure and fast.

`decide` picks the first matching rule, then does what its action says: queue the ticket
for the team, choose the team's best technician, or offer it to every eligible technician.
When nobody is eligible the ticket is queued for the team and its supervisors are paged.
P1 tickets page the team's on-duty supervisors at once whatever the rule does.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from services.dispatch.domain.choose import (
    candidates,
    claim_pool,
    eligible,
    supervisors_to_page,
)
from services.dispatch.domain.model import Decision, Mode, Team, Technician, TicketFacts
from services.dispatch.domain.roster import Roster
from services.dispatch.domain.rules import RuleSet, route

__all__ = ["Override", "SiteContext", "decide"]


@dataclass(frozen=True, slots=True)
class SiteContext:
    """Everything routing needs to know about one site at one moment."""

    rules: RuleSet
    teams: Mapping[str, Team]
    technicians: tuple[Technician, ...]
    roster: Roster
    #: Open tickets per technician.
    open_counts: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Override:
    """Skip the rules and do this instead (an unclaimed offer falling back, say)."""

    mode: Mode
    team: str
    reason: str


def _queue(
    team: Team, ctx: SiteContext, now: datetime, paged: tuple[str, ...]
) -> tuple[tuple[str, ...], str]:
    """Nobody can take the ticket: the team's supervisors must (with anyone already paged)."""
    supervisors = supervisors_to_page(team, ctx.roster, now)
    return tuple(dict.fromkeys((*paged, *supervisors))), "no_technician"


def decide(
    facts: TicketFacts,
    ctx: SiteContext,
    now: datetime,
    *,
    exclude: Collection[str] = (),
    override: Override | None = None,
    announce: bool = True,
    default_window_s: int = 300,
) -> Decision:
    """Route one ticket at the instant `now`, leaving out the technicians in `exclude`.

    With `announce` False (routing again after a decline or a fallback) P1 tickets page no
    one and the rule's extra people are not notified again: they were the first time.
    """
    if override is not None:
        rule_name, mode, team_code = f"({override.reason})", override.mode, override.team
        notify: tuple[str, ...] = ()
        window: int | None = None
    else:
        rule = route(facts, ctx.rules, now)
        rule_name, mode, team_code = rule.name, rule.action.mode, rule.action.team
        notify, window = (rule.action.notify if announce else ()), rule.action.window_s
    team = ctx.teams.get(team_code) or Team(facts.site, team_code)
    why = f"rule {rule_name!r} ({mode.value}, team {team_code})"
    paged: tuple[str, ...] = ()
    if announce and facts.priority == "P1":
        paged = supervisors_to_page(team, ctx.roster, now)
    page_reason = "p1" if paged else ""
    if mode is Mode.TEAM:
        supervisors = supervisors_to_page(team, ctx.roster, now)
        return Decision(
            rule_name, mode, team_code, paged=tuple(dict.fromkeys((*paged, *supervisors))),
            page_reason=page_reason or "team_queue", notify=notify,
            explanation=f"{why}: queued for the team's supervisors",
        )  # fmt: skip
    pool = candidates(ctx.technicians, team_code, ctx.roster, ctx.open_counts, now, facts)
    if mode is Mode.BEST_TECHNICIAN:
        ranked = eligible(pool, facts, exclude)  # what choose_technician takes the first of
        if ranked:
            best = ranked[0]
            return Decision(
                rule_name, mode, team_code, assignee=best.username, paged=paged,
                page_reason=page_reason, notify=notify,
                explanation=f"{why}: {best.username} has the least open work"
                f" ({best.open_count}) of {len(ranked)} eligible",
            )  # fmt: skip
    else:
        offered = claim_pool(pool, facts, exclude)
        if offered:
            seconds = window or default_window_s
            return Decision(
                rule_name, mode, team_code, offered_to=offered, paged=paged,
                page_reason=page_reason, notify=notify, offer_window_s=seconds,
                explanation=f"{why}: offered to {len(offered)} eligible for {seconds}s",
            )  # fmt: skip
    paged, page_reason = _queue(team, ctx, now, paged)
    return Decision(
        rule_name, Mode.TEAM, team_code, paged=paged, page_reason=page_reason, notify=notify,
        explanation=f"{why}: no technician is eligible by skill {facts.category!r}, building"
        f" {facts.building!r} and shift; queued for the team's supervisors",
    )  # fmt: skip
