"""Intake's use cases, each one a single transaction over the repositories and the domain,
a module each: tickets (raise, read, list), lifecycle (transitions, ratings, activity,
closing the unrated), attachments, history import, the event stream, sign-in and
retraining the triage classifier.
`IntakeHandlers` offers them all, over one pool and clock (`base.py`). The place tree
(`places.PlaceHandlers`), the asset registry (`assets.AssetHandlers`) and the knowledge
base (`knowledge.KnowledgeHandlers`) have servicers of their own."""

from __future__ import annotations

from services.intake.handlers.accounts import AccountHandlers
from services.intake.handlers.attachments import AttachmentHandlers
from services.intake.handlers.base import TicketView
from services.intake.handlers.event_stream import StreamHandlers
from services.intake.handlers.import_tickets import ImportedTicket, ImportHandlers
from services.intake.handlers.lifecycle import LifecycleHandlers
from services.intake.handlers.tickets import TicketHandlers
from services.intake.handlers.triage import TriageHandlers

__all__ = ["ImportedTicket", "IntakeHandlers", "TicketView"]


class IntakeHandlers(
    TicketHandlers,
    LifecycleHandlers,
    AttachmentHandlers,
    ImportHandlers,
    StreamHandlers,
    AccountHandlers,
    TriageHandlers,
):
    """All of intake's use cases, for the servicer."""
