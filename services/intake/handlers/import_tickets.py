"""Import historical tickets with their real times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.intake.domain.creation import NewTicket
from services.intake.domain.history import HistoricalStep, replay
from services.intake.domain.model import Actor
from services.intake.handlers.base import HandlersBase

__all__ = ["ImportHandlers", "ImportedTicket"]


@dataclass(frozen=True, slots=True)
class ImportedTicket:
    """A historical ticket to import: what was asked, by whom, when, and what happened."""

    ticket_id: str
    request: NewTicket
    requester: Actor
    created_at: datetime
    steps: list[HistoricalStep]


class ImportHandlers(HandlersBase):
    """Imports history, all of it or none."""

    async def import_tickets(
        self, importer: Actor, history: list[ImportedTicket]
    ) -> tuple[list[str], int]:
        """Store historical tickets with their real times, all or none; returns the ids
        imported and how many were skipped because they already exist."""
        async with self._unit() as repo:
            present = await repo.existing_ids([h.ticket_id for h in history])
            imported: list[str] = []
            for item in history:
                if item.ticket_id in present:
                    continue
                ticket, events = replay(
                    importer,
                    item.ticket_id,
                    item.request,
                    item.requester,
                    item.created_at,
                    item.steps,
                )
                ticket.number = await repo.insert_with_event(ticket, events[0])
                await repo.append_events(ticket.id, events[1:])
                imported.append(ticket.id)
                present.add(ticket.id)
        return imported, len(history) - len(imported)
