"""The notification vocabulary as plain dataclasses and string enums."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "Addressed",
    "Contact",
    "DeliveryState",
    "EventFacts",
    "MessageKind",
    "Notice",
    "Rendered",
    "SendOutcome",
    "TicketFacts",
]


class MessageKind(StrEnum):
    """Which message a recipient gets; each has a template per locale."""

    # To the tenant who raised the ticket.
    RECEIVED = "received"
    ACCEPTED = "accepted"
    DISPATCHED = "dispatched"
    ON_THE_WAY = "on_the_way"
    RESOLVED = "resolved"
    PLEASE_RATE = "please_rate"
    CLOSED = "closed"
    REOPENED = "reopened"
    CANCELLED = "cancelled"
    # To the technician who has (or had) the ticket.
    ASSIGNED_TO_YOU = "assigned_to_you"
    REASSIGNED_AWAY = "reassigned_away"
    REOPENED_TO_YOU = "reopened_to_you"
    WORK_CANCELLED = "work_cancelled"
    RATED = "rated"
    # To the staff another service names in the event's payload.
    SLA_REMINDER = "sla_reminder"
    SLA_ESCALATED = "sla_escalated"
    SLA_BREACHED = "sla_breached"
    CLAIM_OFFERED = "claim_offered"
    DISPATCH_PAGED = "dispatch_paged"


class DeliveryState(StrEnum):
    """An outbox row's state: pending until sent, or dead after too many attempts."""

    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class EventFacts:
    """One entry of intake's ticket event log, as far as notifications care."""

    id: int
    ticket_id: str
    type: str
    actor: str
    occurred_at: datetime
    note: str = ""
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What a message needs to know about its ticket (as intake has it now)."""

    id: str
    number: str
    title: str
    requester: str
    #: "tenant", "staff" or "sensor": only tenants are told about their own requests.
    source: str
    assignee: str = ""
    #: The ticket's site: shared inboxes and the delivery list show a site's staff only
    #: their site's messages.
    site: str = ""


@dataclass(frozen=True, slots=True)
class Contact:
    """How to reach a user: their language, their apprise URLs, and whether to use the inbox."""

    username: str
    locale: str
    apprise_urls: tuple[str, ...] = ()
    in_app: bool = True
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Addressed:
    """One recipient of an event and the message they get."""

    username: str
    kind: MessageKind


@dataclass(frozen=True, slots=True)
class Rendered:
    """A message in words: a short title (the e-mail subject) and a body."""

    title: str
    body: str


@dataclass(frozen=True, slots=True)
class Notice:
    """A rendered message for one recipient and where it goes: the inbox and/or channels."""

    recipient: str
    kind: MessageKind
    locale: str
    title: str
    body: str
    in_app: bool
    channels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """What one delivery attempt did: sent, or failed with why, and whether retrying can help."""

    ok: bool
    error: str = ""
    permanent: bool = False
