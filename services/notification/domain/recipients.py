"""Who is told about an event, and which message each of them gets.

The rules, in one place:

- The tenant who raised a ticket (only tickets whose source is "tenant") hears about its
  key points: received, accepted, dispatched, technician on the way, resolved, please
  rate, closed, reopened and cancelled.
- The technician gets new assignments (from the "assigned" event's payload, so a replay
  names who was assigned then), hears when a ticket is taken from them, reopened back to
  them, cancelled, or rated.
- Staff named by other services in activity payloads get SLA reminders, escalations and
  breaches (`notify`), claim offers (`offered_to`) and emergency pages (`notify`).
- Roles named by the SLA service (`notify_roles`) are groups, "role:<role>": a shared
  inbox that every user with that role reads, and the channels stored for the group as a
  contact (say, the supervisors' DingTalk group bot).
- Nobody is told about what they did themselves, except that a tenant's own new request
  is confirmed with its number. Each recipient gets at most one message per event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from services.notification.domain.model import Addressed, EventFacts, MessageKind, TicketFacts

__all__ = ["GROUP_PREFIX", "HANDLED_TYPES", "MAX_LISTED", "is_group", "recipients", "usernames_in"]

K = MessageKind

#: Event type -> the message the requesting tenant gets.
_TENANT: dict[str, MessageKind] = {
    "created": K.RECEIVED,
    "accepted": K.ACCEPTED,
    "assigned": K.DISPATCHED,
    "started": K.ON_THE_WAY,
    "resolved": K.RESOLVED,
    "awaiting_rating": K.PLEASE_RATE,
    "closed": K.CLOSED,
    "reopened": K.REOPENED,
    "cancelled": K.CANCELLED,
}

#: Event type -> the message the ticket's current assignee gets.
_ASSIGNEE: dict[str, MessageKind] = {
    "reopened": K.REOPENED_TO_YOU,
    "cancelled": K.WORK_CANCELLED,
    "rated": K.RATED,
}

#: Activity type -> (payload key listing the usernames, the message they get).
_LISTED: dict[str, tuple[str, MessageKind]] = {
    "sla_reminder": ("notify", K.SLA_REMINDER),
    "sla_escalated": ("notify", K.SLA_ESCALATED),
    "sla_breached": ("notify", K.SLA_BREACHED),
    "claim_offered": ("offered_to", K.CLAIM_OFFERED),
    "dispatch_paged": ("notify", K.DISPATCH_PAGED),
}

#: Every event type that can cause a message; others are ignored without asking intake.
HANDLED_TYPES: frozenset[str] = frozenset({*_TENANT, *_ASSIGNEE, *_LISTED, "assigned"})

#: Recipients named "role:<role>" are groups: a shared inbox and the group's channels.
GROUP_PREFIX = "role:"

#: At most this many usernames are taken from one payload list.
MAX_LISTED = 50
_MAX_USERNAME = 64


def usernames_in(value: Any) -> list[str]:
    """The usernames in a payload value: a list of non-empty strings (anything else is
    dropped), or a single string; at most `MAX_LISTED`, in order, without repeats."""
    items: Iterable[Any] = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        return []
    names: list[str] = []
    for item in items:
        if not isinstance(item, str):
            continue
        name = item.strip()
        if name and len(name) <= _MAX_USERNAME and name not in names:
            names.append(name)
        if len(names) >= MAX_LISTED:
            break
    return names


def is_group(name: str) -> bool:
    """True for a group recipient ("role:supervisor") rather than a user."""
    return name.startswith(GROUP_PREFIX)


def _text(payload: Mapping[str, Any], key: str) -> str:
    value = payload.get(key)
    return value.strip() if isinstance(value, str) else ""


def _candidates(event: EventFacts, ticket: TicketFacts) -> list[Addressed]:
    found: list[Addressed] = []
    if ticket.source == "tenant" and ticket.requester and event.type in _TENANT:
        found.append(Addressed(ticket.requester, _TENANT[event.type]))
    if event.type == "assigned":
        assignee = _text(event.payload, "assignee")
        previous = _text(event.payload, "previous_assignee")
        if assignee:
            found.append(Addressed(assignee, K.ASSIGNED_TO_YOU))
        if previous and previous != assignee:
            found.append(Addressed(previous, K.REASSIGNED_AWAY))
    if event.type in _ASSIGNEE and ticket.assignee:
        found.append(Addressed(ticket.assignee, _ASSIGNEE[event.type]))
    if event.type in _LISTED:
        key, kind = _LISTED[event.type]
        found += [Addressed(name, kind) for name in usernames_in(event.payload.get(key))]
        roles = usernames_in(event.payload.get("notify_roles"))
        found += [Addressed(GROUP_PREFIX + role, kind) for role in roles]
    return found


def recipients(event: EventFacts, ticket: TicketFacts) -> list[Addressed]:
    """Everyone to tell about `event` on `ticket`, each once, the first rule winning."""
    chosen: list[Addressed] = []
    seen: set[str] = set()
    for candidate in _candidates(event, ticket):
        own_action = candidate.username == event.actor and candidate.kind is not K.RECEIVED
        if own_action or candidate.username in seen:
            continue
        seen.add(candidate.username)
        chosen.append(candidate)
    return chosen
