"""What the handlers need from the outside world, as protocols (adapters implement them)."""

from __future__ import annotations

from typing import Protocol

from services.notification.domain.model import SendOutcome, TicketFacts

__all__ = ["Channels", "TicketSource"]


class TicketSource(Protocol):
    """Where ticket facts come from (intake)."""

    async def get(self, ticket_id: str) -> TicketFacts | None:
        """The ticket, or None when there is no such ticket."""
        ...


class Channels(Protocol):
    """External channels addressed by URL (apprise)."""

    def is_valid(self, url: str) -> bool:
        """True when the URL names a channel that can be sent to."""
        ...

    def describe(self, url: str) -> str:
        """The URL with its secrets masked."""
        ...

    async def send(self, url: str, title: str, body: str) -> SendOutcome:
        """One attempt to deliver one message."""
        ...
