"""What of a ticket's history its tenant sees: what happened and when, not the desk's
inner workings (declines and their reasons, pages and offers, SLA reminders, costs and
approvals, who on the staff did it by name)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.intake.domain.model import Role

__all__ = ["Shown", "for_tenant"]

#: Events of the desk's own: a tenant's timeline leaves them out.
STAFF_ONLY = frozenset({
    "declined", "dispatch_paged", "claim_offered", "sla_reminder", "sla_escalated",
    "sla_breached", "import_corrected", "approved",
})  # fmt: skip
#: Payload entries a tenant does not see (a decline's reason goes with its event; a
#: pause's or a cancellation's reason is theirs to know).
_INTERNAL = frozenset({
    "cost_cents", "approval_pending", "previous_assignee", "technician", "previous_priority",
    "previous_category",
})  # fmt: skip


@dataclass(frozen=True, slots=True)
class Shown:
    """An event as its tenant sees it."""

    actor: str
    note: str
    payload: dict[str, Any]


def for_tenant(event_type: str, actor: str, actor_role: str, note: str,
               payload: dict[str, Any]) -> Shown | None:  # fmt: skip
    """The event as the ticket's tenant sees it, or None when it is the desk's own. Staff
    appear by their role (`technician`), never by user name."""
    if event_type in STAFF_ONLY:
        return None
    shown = {k: v for k, v in payload.items() if k not in _INTERNAL}
    if shown.get("assignee"):
        shown["assignee"] = Role.TECHNICIAN.value
    who = actor if actor_role == Role.TENANT.value else actor_role
    return Shown(who, note, shown)
