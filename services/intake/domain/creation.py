"""Raising a ticket: validate what the caller sent and build the ticket and its first event."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import datetime

from services.intake.domain.assets import check_component_name
from services.intake.domain.errors import Forbidden, InvalidInput
from services.intake.domain.model import (
    CATEGORIES,
    Actor,
    Channel,
    Kind,
    Location,
    NewEvent,
    Priority,
    Role,
    Source,
    Status,
    Ticket,
)
from services.intake.domain.triage import DEFAULT_MIN_CONFIDENCE, TriageSuggestion, default_priority

__all__ = [
    "LIMITS",
    "NewTicket",
    "as_asked_by",
    "check_text",
    "created_event",
    "needs_triage",
    "open_ticket",
    "request_fingerprint",
]

_CREATORS = frozenset(
    {Role.TENANT, Role.TECHNICIAN, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM}
)


@dataclass(frozen=True, slots=True)
class _Limits:
    title: int = 200
    description: int = 5000
    contact: int = 200
    attributes: int = 50
    attribute_value: int = 2000


LIMITS = _Limits()


@dataclass(frozen=True, slots=True)
class NewTicket:
    """What a caller asks for when raising a ticket."""

    kind: Kind
    #: Empty (or "other") leaves it to triage.
    category: str
    title: str
    description: str
    location: Location
    priority: Priority | None = None
    device_id: str = ""
    contact: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    #: One of the components of `location.asset`.
    component: str = ""


_CONTROL = frozenset(chr(c) for c in range(32)) - {"\n", "\r", "\t"}


def check_text(name: str, value: str, limit: int, required: bool) -> str:
    """`value` stripped; InvalidInput when it holds control characters, is empty though
    `required`, or is longer than `limit`."""
    value = value.strip()
    if not _CONTROL.isdisjoint(value):
        raise InvalidInput(f"{name} contains control characters")
    if required and not value:
        raise InvalidInput(f"{name} must not be empty")
    if len(value) > limit:
        raise InvalidInput(f"{name} is {len(value)} characters; the limit is {limit}")
    return value


def _validate(request: NewTicket, actor: Actor) -> None:
    if request.category and request.category not in CATEGORIES:
        known = ", ".join(CATEGORIES)
        raise InvalidInput(f"unknown category {request.category!r}; known: {known}")
    loc = request.location
    if not loc.site or (loc.floor and not loc.building) or (loc.unit and not loc.floor):
        raise InvalidInput("location needs site, building and floor")
    if not (loc.building and loc.floor) and actor.channel is not Channel.SENSOR and not loc.asset:
        # Only a sensor's alert (its place was removed since) or a ticket about an asset that
        # stands in a building but on no floor (a transformer, a lift) may land above a floor.
        raise InvalidInput("location needs site, building and floor")
    check_text("contact", request.contact, LIMITS.contact, required=False)
    if len(request.attributes) > LIMITS.attributes:
        raise InvalidInput(f"at most {LIMITS.attributes} attributes")
    for key, value in request.attributes.items():
        check_text(f"attribute {key[:40]!r}", value, LIMITS.attribute_value, required=False)


def as_asked_by(request: NewTicket, actor: Actor) -> NewTicket:
    """A live request as its caller may make it: a tenant raises tickets at their own site
    and names no unit but their own (a common area, a floor without a unit, is anyone's to
    report), and a tenant's priority is a request (`attributes.requested_priority`) that
    the desk confirms when it accepts the ticket; triage sets the priority meanwhile.
    Imported history is not asked live, and keeps what it says."""
    if actor.role is not Role.TENANT:
        return request
    _own_place(request.location, actor)
    if request.priority is None:
        return request
    asked = {**request.attributes, "requested_priority": request.priority.value}
    return replace(request, priority=None, attributes=asked)


def _own_place(location: Location, actor: Actor) -> None:
    if actor.site and location.site != actor.site:
        raise Forbidden(f"a tenant raises tickets at their own site ({actor.site})")
    if location.unit and location.unit != actor.unit:
        raise Forbidden(
            f"a tenant raises tickets for their own unit ({actor.unit or 'none'}),"
            f" not {location.unit}"
        )


def _source(actor: Actor) -> Source:
    if actor.role is Role.TENANT:
        return Source.TENANT
    if actor.channel is Channel.SENSOR:
        return Source.SENSOR
    return Source.STAFF


def request_fingerprint(request: NewTicket) -> str:
    """A stable hash of a request, to tell a retry from a different request with the same key."""
    canonical = json.dumps(
        {
            "kind": request.kind.value,
            "category": request.category,
            "title": request.title,
            "description": request.description,
            "location": [request.location.site, request.location.building,
                         request.location.floor, request.location.unit, request.location.asset],
            "priority": request.priority.value if request.priority else None,
            "device_id": request.device_id,
            "contact": request.contact,
            "attributes": sorted(request.attributes.items()),
            "component": request.component,
        },
        ensure_ascii=False,
        sort_keys=True,
    )  # fmt: skip
    return hashlib.sha256(canonical.encode()).hexdigest()


def needs_triage(request: NewTicket) -> bool:
    """Whether the requester left the category (or said "other") or the priority to intake."""
    return request.category in ("", "other") or request.priority is None


def _triaged(
    request: NewTicket, suggestion: TriageSuggestion | None, min_confidence: float
) -> tuple[NewTicket, Priority | None]:
    """The request with its category filled and the suggestion in its attributes, and the
    suggested priority when it is confident."""
    if suggestion is None:
        return replace(request, category=request.category or "other"), None
    category = request.category
    if not category or (category == "other" and suggestion.category_confidence >= min_confidence):
        category = suggestion.category
    attributes = {**request.attributes, **suggestion.attributes()}
    suggested = suggestion.priority if suggestion.priority_confidence >= min_confidence else None
    return replace(request, category=category, attributes=attributes), suggested


def open_ticket(
    request: NewTicket,
    actor: Actor,
    ticket_id: str,
    now: datetime,
    suggestion: TriageSuggestion | None = None,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
) -> Ticket:
    """Validate a request and build the submitted ticket; storing it allocates its number.

    What the requester left out comes from triage: a missing category from the suggestion
    (from "other" without one); a requester's "other" gives way only to a suggestion at
    least `min_confidence` sure, any other category stands; a missing priority from the
    urgent words, a confident suggestion, or the category (`default_priority`). The
    suggestion is recorded in the ticket's attributes whether it decided anything or not.
    """
    if actor.role not in _CREATORS:
        raise Forbidden(f"a {actor.role.value} may not raise tickets")
    title = check_text("title", request.title, LIMITS.title, required=True)
    description = check_text("description", request.description, LIMITS.description, False)
    _validate(request, actor)
    request, suggested = _triaged(request, suggestion, min_confidence)
    if request.component:
        if not request.location.asset:
            raise InvalidInput("a component needs the asset it belongs to (asset_id)")
        check_component_name(request.component)
    priority = request.priority or default_priority(
        request.kind, request.category, f"{title}\n{description}", suggested
    )
    return Ticket(
        id=ticket_id,
        number="",
        kind=request.kind,
        category=request.category,
        status=Status.SUBMITTED,
        priority=priority,
        title=title,
        description=description,
        location=request.location,
        requester=actor.username,
        requester_role=actor.role,
        channel=actor.channel,
        source=_source(actor),
        created_at=now,
        updated_at=now,
        status_changed_at=now,
        device_id=request.device_id,
        contact=request.contact.strip(),
        attributes=dict(request.attributes),
        component=request.component,
    )


def created_event(ticket: Ticket) -> NewEvent:
    """The first event of every ticket."""
    return NewEvent(
        type="created",
        from_status=None,
        to_status=ticket.status,
        actor=ticket.requester,
        actor_role=ticket.requester_role,
        channel=ticket.channel,
        occurred_at=ticket.created_at,
        payload={"priority": ticket.priority.value, "category": ticket.category},
    )
