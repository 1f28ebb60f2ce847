"""From an event to the messages to store and send: recipients, language, words, channels.

Also the two small rules around it: which events are too old to announce, and the
dedupe key that makes a replayed event queue nothing new.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime, timedelta

from services.notification.domain.model import (
    Addressed,
    Contact,
    EventFacts,
    Notice,
    TicketFacts,
)
from services.notification.domain.templates import normalize_locale, render

__all__ = ["INBOX_CHANNEL", "channel_id", "dedupe_key", "fields_for", "is_stale", "plan"]

#: The channel name the in-app inbox goes by in dedupe keys.
INBOX_CHANNEL = "inbox"


def is_stale(event: EventFacts, now: datetime, max_age: timedelta | None) -> bool:
    """True when the event is older than `max_age` (None: nothing is too old).

    Historical imports replay old tickets into the log; nobody should be told about them.
    """
    return max_age is not None and now - event.occurred_at > max_age


def channel_id(url: str) -> str:
    """A short stable name for an apprise URL that reveals none of its secrets."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def dedupe_key(event_id: int, recipient: str, channel: str) -> str:
    """`<event id>:<recipient>:<channel id>`: one message per event, recipient and channel."""
    return f"{event_id}:{recipient}:{channel}"


def fields_for(event: EventFacts, ticket: TicketFacts) -> dict[str, str]:
    """The template fields an event and its ticket supply."""
    payload = event.payload
    assignee = payload.get("assignee") if event.type == "assigned" else ticket.assignee
    return {
        "number": ticket.number or ticket.id[:8],
        "title": ticket.title,
        "assignee": str(assignee or ""),
        "stars": str(payload.get("stars", "")),
        "level": str(payload.get("level", "")),
        "target": str(payload.get("target", "")),
    }


def plan(
    event: EventFacts,
    ticket: TicketFacts,
    addressed: list[Addressed],
    contacts: Mapping[str, Contact],
    default_locale: str,
) -> list[Notice]:
    """One notice per recipient, in their language, for the inbox and their channels.

    A recipient without a stored contact gets the default locale and the inbox only; one
    with neither the inbox nor a channel gets nothing. A group's ("role:...") inbox is
    shared by the users with that role.
    """
    fields = fields_for(event, ticket)
    notices: list[Notice] = []
    for who in addressed:
        contact = contacts.get(who.username) or Contact(who.username, default_locale)
        in_app = contact.in_app
        if not in_app and not contact.apprise_urls:
            continue
        locale = normalize_locale(contact.locale, default_locale)
        words = render(who.kind, locale, fields)
        notices.append(
            Notice(
                recipient=who.username,
                kind=who.kind,
                locale=locale,
                title=words.title,
                body=words.body,
                in_app=in_app,
                channels=tuple(dict.fromkeys(contact.apprise_urls)),
            )
        )
    return notices
