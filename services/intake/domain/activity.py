"""Events that change no state: sensor repeats and clears, devices joining, comments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.intake.domain.errors import Forbidden, InvalidInput
from services.intake.domain.model import Actor, NewEvent, Role, Ticket

__all__ = ["ACTIVITY_TYPES", "record_activity"]

_SYSTEM_ONLY = frozenset({Role.SYSTEM})
_ANYONE_INVOLVED = frozenset(
    {Role.TENANT, Role.TECHNICIAN, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM}
)

#: Activity type -> the roles that may record it.
ACTIVITY_TYPES: dict[str, frozenset[Role]] = {
    "sensor_repeat": _SYSTEM_ONLY,
    "sensor_clear": _SYSTEM_ONLY,
    "sensor_device_added": _SYSTEM_ONLY,
    "device_back_online": _SYSTEM_ONLY,
    "sla_reminder": _SYSTEM_ONLY,
    "sla_escalated": _SYSTEM_ONLY,
    "sla_breached": _SYSTEM_ONLY,
    "claim_offered": _SYSTEM_ONLY,
    "dispatch_paged": _SYSTEM_ONLY,
    "comment": _ANYONE_INVOLVED,
}

_MAX_NOTE = 2000


def record_activity(
    ticket: Ticket, actor: Actor, kind: str, note: str, payload: dict[str, Any], now: datetime
) -> NewEvent:
    """The event to record; the ticket's version and update time move, its status does not."""
    roles = ACTIVITY_TYPES.get(kind)
    if roles is None:
        raise InvalidInput(f"unknown activity {kind[:40]!r}; known: {', '.join(ACTIVITY_TYPES)}")
    if actor.role not in roles:
        raise Forbidden(f"a {actor.role.value} may not record {kind}")
    if actor.role is Role.TENANT and ticket.requester != actor.username:
        raise Forbidden("only the tenant who raised the ticket may comment on it")
    if len(note) > _MAX_NOTE:
        raise InvalidInput(f"note is longer than {_MAX_NOTE} characters")
    if kind == "comment" and not note.strip():
        raise InvalidInput("a comment needs a note")
    ticket.updated_at = now
    ticket.version += 1
    return NewEvent(
        type=kind,
        from_status=ticket.status,
        to_status=ticket.status,
        actor=actor.username,
        actor_role=actor.role,
        channel=actor.channel,
        occurred_at=now,
        note=note.strip(),
        payload=payload,
    )
