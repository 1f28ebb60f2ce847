"""Dispatch's vocabulary as plain frozen dataclasses: teams, technicians, tickets, decisions."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "CATEGORIES",
    "DONE_STATUSES",
    "KINDS",
    "PRIORITIES",
    "ROUTABLE_STATUSES",
    "SOURCES",
    "Caller",
    "Decision",
    "Mode",
    "Team",
    "Technician",
    "TicketFacts",
    "TicketSnapshot",
]

#: Ticket kinds, category codes, priorities and sources as the public contract names them.
KINDS = frozenset({"repair", "complaint", "inquiry", "maintenance"})
CATEGORIES = frozenset(
    {
        "plumbing",
        "electrical",
        "elevator",
        "hvac",
        "doors_windows",
        "cleaning",
        "noise",
        "parking",
        "security",
        "fees",
        "other",
    }
)
PRIORITIES = frozenset({"P1", "P2", "P3", "P4"})
SOURCES = frozenset({"tenant", "staff", "sensor"})

#: A ticket in one of these states with no assignee waits for dispatch.
ROUTABLE_STATUSES = frozenset({"submitted", "accepted"})
#: A ticket in one of these states is no one's open work any more.
DONE_STATUSES = frozenset({"resolved", "awaiting_rating", "closed", "cancelled"})


class Mode(StrEnum):
    """What a rule does with the tickets it matches."""

    #: Queue the ticket for the team; its supervisors assign it by hand.
    TEAM = "team"
    #: Assign the team's best eligible technician at once.
    BEST_TECHNICIAN = "best_technician"
    #: Offer the ticket to the team's eligible technicians; the first claim wins.
    CLAIM_POOL = "claim_pool"


@dataclass(frozen=True, slots=True)
class Caller:
    """Who asks: a signed-in user passed on by the gateway, or "system"."""

    username: str
    role: str
    site: str = ""


@dataclass(frozen=True, slots=True)
class Team:
    site: str
    code: str
    name: str = ""
    supervisors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Technician:
    """Who can do what, where: skills are category codes, buildings the zones covered
    (empty covers every building of the site)."""

    username: str
    site: str
    team: str
    skills: frozenset[str]
    buildings: frozenset[str] = frozenset()
    display_name: str = ""


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What routing looks at."""

    kind: str
    category: str
    priority: str
    source: str
    site: str
    building: str
    floor: str = ""


@dataclass(frozen=True, slots=True)
class TicketSnapshot:
    """A ticket as intake showed it a moment ago."""

    id: str
    number: str
    title: str
    status: str
    assignee: str
    facts: TicketFacts

    @property
    def routable(self) -> bool:
        """Nobody has it and it is still to be worked."""
        return not self.assignee and self.status in ROUTABLE_STATUSES

    def summary(self) -> dict[str, str]:
        """What a technician sees of an offered ticket."""
        f = self.facts
        return {"number": self.number, "title": self.title[:200], "category": f.category,
                "priority": f.priority, "building": f.building, "floor": f.floor}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Decision:
    """What routing decided for one ticket, and why.

    `paged` are supervisors to alert at once (`page_reason` says why: "p1", "team_queue" or
    "no_technician"); `notify` are the extra people the rule names.
    """

    rule: str
    mode: Mode
    team: str
    assignee: str | None = None
    offered_to: tuple[str, ...] = ()
    paged: tuple[str, ...] = ()
    page_reason: str = ""
    notify: tuple[str, ...] = ()
    offer_window_s: int = 0
    explanation: str = ""
