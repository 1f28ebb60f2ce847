"""A tenant's view of their ticket's history."""

from __future__ import annotations

import pytest

from services.intake.domain.tenant_view import STAFF_ONLY, for_tenant


@pytest.mark.parametrize("event_type", sorted(STAFF_ONLY))
def test_the_desks_own_events_are_left_out(event_type: str) -> None:
    assert for_tenant(event_type, "tech1", "technician", "no parts", {"reason": "x"}) is None


def test_staff_appear_by_role_and_internal_entries_are_dropped() -> None:
    shown = for_tenant("assigned", "dispatcher1", "dispatcher", "riser A-1",
                       {"assignee": "tech1", "previous_assignee": "tech2"})  # fmt: skip
    assert shown is not None
    assert (shown.actor, shown.note, shown.payload) == (
        "dispatcher",
        "riser A-1",
        {"assignee": "technician"},
    )
    resolved = for_tenant("resolved", "tech1", "technician", "valve replaced",
                          {"cost_cents": 80000, "approval_pending": True})  # fmt: skip
    assert resolved is not None and resolved.payload == {} and resolved.note == "valve replaced"
    own = for_tenant("rated", "tenant1", "tenant", "thanks", {"stars": 5})
    assert own is not None and (own.actor, own.payload) == ("tenant1", {"stars": 5})
