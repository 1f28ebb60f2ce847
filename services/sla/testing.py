"""A test double of the SLA service's intake port: it keeps what was recorded in memory."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from services.sla.adapters.intake_client import DeliveryFailed
from services.sla.domain.state import TicketFacts

__all__ = ["FakeIntake", "Recorded"]


@dataclass(frozen=True, slots=True)
class Recorded:
    ticket_id: str
    type: str
    note: str
    payload: dict[str, Any]


@dataclass
class FakeIntake:
    """Records activities in memory. `fail_with` makes the next calls fail with that
    error (until cleared); `delay_s` makes each record call take that long; `tickets`
    answers `ticket_facts`."""

    tickets: dict[str, TicketFacts] = field(default_factory=dict)
    recorded: list[Recorded] = field(default_factory=list)
    fail_with: DeliveryFailed | None = None
    delay_s: float = 0.0
    calls: int = 0

    async def ticket_facts(self, ticket_id: str) -> TicketFacts | None:
        return self.tickets.get(ticket_id)

    async def record(self, ticket_id: str, kind: str, note: str, payload: dict[str, Any]) -> None:
        self.calls += 1
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.fail_with is not None:
            raise self.fail_with
        self.recorded.append(Recorded(ticket_id, kind, note, dict(payload)))

    async def recorded_timers(self, ticket_id: str) -> set[int]:
        if self.fail_with is not None:
            raise self.fail_with
        return {
            int(r.payload["timer_id"])
            for r in self.recorded
            if r.ticket_id == ticket_id and "timer_id" in r.payload
        }

    def of_type(self, kind: str, ticket_id: str | None = None) -> list[Recorded]:
        return [r for r in self.recorded if r.type == kind and ticket_id in (None, r.ticket_id)]
