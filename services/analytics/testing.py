"""Test doubles of the analytics service's ports: intake, dispatch and SLA, in memory."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.analytics.adapters.intake_client import TicketFacts
from services.analytics.adapters.sla_client import SlaConfig
from services.analytics.domain.errors import Unavailable
from services.analytics.domain.ticket import Facts

__all__ = ["FakeIntake", "FakeSla", "FakeTeams"]


@dataclass
class FakeIntake:
    """Answers from `tickets` (id -> facts, technician) and `zones` (site -> time zone)."""

    tickets: dict[str, TicketFacts] = field(default_factory=dict)
    zones: dict[str, str] = field(default_factory=dict)

    def add(self, ticket_id: str, facts: Facts, technician: str = "") -> None:
        self.tickets[ticket_id] = (facts, technician)

    async def ticket_facts(self, ticket_ids: list[str]) -> dict[str, TicketFacts]:
        return {i: self.tickets[i] for i in ticket_ids if i in self.tickets}

    async def time_zone(self, site: str) -> str | None:
        return self.zones.get(site)

    async def time_zones(self) -> dict[str, str]:
        return dict(self.zones)


@dataclass
class FakeTeams:
    """Technician -> team per site, from `by_site`."""

    by_site: dict[str, dict[str, str]] = field(default_factory=dict)

    async def teams(self, site: str) -> dict[str, str]:
        return dict(self.by_site.get(site, {}))


@dataclass
class FakeSla:
    """The SLA service's configuration from `known`; Unavailable while it is None."""

    known: SlaConfig | None = None

    async def config(self) -> SlaConfig:
        if self.known is None:
            raise Unavailable("the SLA service does not answer (UNAVAILABLE)")
        return self.known
