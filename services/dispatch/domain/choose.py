"""Choosing technicians: eligible by skill, zone and shift; least open work first.

A technician is eligible for a ticket when their skills include its category, they cover
its building (or every building) and they are on duty now. Among the eligible, the one
with the fewest open tickets is best; ties go to the username that sorts first, so the
choice is deterministic.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from services.dispatch.domain.model import Team, Technician, TicketFacts
from services.dispatch.domain.roster import Roster

__all__ = [
    "Candidate",
    "candidates",
    "choose_technician",
    "claim_pool",
    "eligible",
    "supervisors_to_page",
]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A technician as routing sees them at one instant."""

    username: str
    skills: frozenset[str]
    buildings: frozenset[str]
    on_duty: bool
    open_count: int = 0

    def can_take(self, facts: TicketFacts) -> bool:
        """Skill, zone and shift: whether this technician may get the ticket."""
        return (
            self.on_duty
            and facts.category in self.skills
            and (not self.buildings or facts.building in self.buildings)
        )


def candidates(
    technicians: Iterable[Technician],
    team: str,
    roster: Roster,
    open_counts: Mapping[str, int],
    now: datetime,
    facts: TicketFacts | None = None,
) -> list[Candidate]:
    """The team's technicians with their duty state at `now` and their open work.

    With `facts`, only those whose skills and zone fit the ticket (the others could never be
    eligible, and looking up their shifts is most of the cost of a decision).
    """
    return [
        Candidate(
            t.username,
            t.skills,
            t.buildings,
            roster.on_duty(t.username, now),
            open_counts.get(t.username, 0),
        )
        for t in technicians
        if t.team == team
        and (
            facts is None
            or (facts.category in t.skills and (not t.buildings or facts.building in t.buildings))
        )
    ]


def eligible(
    pool: Iterable[Candidate], facts: TicketFacts, exclude: Collection[str] = ()
) -> list[Candidate]:
    """Who may take the ticket, best first (least open work, then username)."""
    found = [c for c in pool if c.username not in exclude and c.can_take(facts)]
    return sorted(found, key=lambda c: (c.open_count, c.username))


def choose_technician(
    pool: Iterable[Candidate], facts: TicketFacts, exclude: Collection[str] = ()
) -> str | None:
    """The best eligible technician's username, or None when nobody is eligible."""
    best = eligible(pool, facts, exclude)
    return best[0].username if best else None


def claim_pool(
    pool: Iterable[Candidate], facts: TicketFacts, exclude: Collection[str] = ()
) -> tuple[str, ...]:
    """Everyone eligible, by username: they are all offered the ticket."""
    return tuple(sorted(c.username for c in eligible(pool, facts, exclude)))


def supervisors_to_page(team: Team, roster: Roster, now: datetime) -> tuple[str, ...]:
    """The team's supervisors on duty now; all of them when none is (better to wake someone
    than no one)."""
    on_duty = tuple(s for s in team.supervisors if roster.on_duty(s, now))
    return on_duty or tuple(team.supervisors)
