"""Pure unit tests of the notification domain: who is told what, about every event type.

The expectations are written out by hand from the issue ("received, accepted, dispatched,
technician on the way, resolved, please rate to the tenant; new assignment to the
assignee; claim offers, reminders, escalations to staff"); they are deliberately not built
from the rule tables in `services.notification.domain.recipients`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.notification.domain.model import (
    Addressed,
    Contact,
    EventFacts,
    MessageKind,
    TicketFacts,
)
from services.notification.domain.planning import (
    channel_id,
    dedupe_key,
    fields_for,
    is_stale,
    plan,
)
from services.notification.domain.recipients import HANDLED_TYPES, MAX_LISTED, recipients

K = MessageKind
NOW = datetime(2031, 5, 1, 9, 0, tzinfo=UTC)

TENANT_TICKET = TicketFacts(
    id="t-1", number="T20310501-0000001", title="Kitchen tap drips", requester="tenant1",
    source="tenant", assignee="tech1",
)  # fmt: skip


def ev(
    kind: str, actor: str, payload: dict[str, Any] | None = None, event_id: int = 7
) -> EventFacts:
    return EventFacts(
        id=event_id, ticket_id="t-1", type=kind, actor=actor, occurred_at=NOW,
        payload=payload or {},
    )  # fmt: skip


def told(event: EventFacts, ticket: TicketFacts = TENANT_TICKET) -> list[tuple[str, str]]:
    return [(a.username, a.kind.value) for a in recipients(event, ticket)]


UNASSIGNED = TicketFacts("t-1", "T1", "Noise at night", "tenant1", "tenant", "")


@pytest.mark.parametrize(
    ("event", "ticket", "expected"),
    [
        # The tenant's key points.
        (ev("created", "tenant1"), UNASSIGNED, [("tenant1", "received")]),
        (ev("accepted", "dispatcher1"), UNASSIGNED, [("tenant1", "accepted")]),
        (
            ev("assigned", "dispatcher1", {"assignee": "tech1", "previous_assignee": None}),
            UNASSIGNED,
            [("tenant1", "dispatched"), ("tech1", "assigned_to_you")],
        ),
        (ev("started", "tech1"), TENANT_TICKET, [("tenant1", "on_the_way")]),
        (ev("resolved", "tech1"), TENANT_TICKET, [("tenant1", "resolved")]),
        (ev("awaiting_rating", "system"), TENANT_TICKET, [("tenant1", "please_rate")]),
        (ev("closed", "dispatcher1"), TENANT_TICKET, [("tenant1", "closed")]),
        (ev("closed", "system"), TENANT_TICKET, [("tenant1", "closed")]),
        # Reopened and cancelled reach both sides, minus whoever did it.
        (ev("reopened", "supervisor1"), TENANT_TICKET,
         [("tenant1", "reopened"), ("tech1", "reopened_to_you")]),
        (ev("reopened", "tenant1"), TENANT_TICKET, [("tech1", "reopened_to_you")]),
        (ev("cancelled", "dispatcher1"), TENANT_TICKET,
         [("tenant1", "cancelled"), ("tech1", "work_cancelled")]),
        (ev("cancelled", "tenant1"), UNASSIGNED, []),
        (ev("rated", "tenant1", {"stars": 4}), TENANT_TICKET, [("tech1", "rated")]),
        (ev("rated", "tenant1", {"stars": 4}), UNASSIGNED, []),
        # Reassignment: the new technician is told, and so is the one it was taken from.
        (
            ev("assigned", "dispatcher1", {"assignee": "tech2", "previous_assignee": "tech1"}),
            TENANT_TICKET,
            [("tenant1", "dispatched"), ("tech2", "assigned_to_you"), ("tech1", "reassigned_away")],
        ),
        # A technician who claims a ticket is not told about their own claim.
        (ev("assigned", "tech2", {"assignee": "tech2"}), UNASSIGNED, [("tenant1", "dispatched")]),
        # Staff named by the SLA and dispatch services.
        (ev("sla_reminder", "sla", {"level": 1, "notify": ["supervisor1", "dispatcher1"],
                                    "target": "respond"}), TENANT_TICKET,
         [("supervisor1", "sla_reminder"), ("dispatcher1", "sla_reminder")]),
        (ev("sla_escalated", "sla", {"level": 2, "notify": ["supervisor1", "admin"],
                                     "target": "resolve"}), TENANT_TICKET,
         [("supervisor1", "sla_escalated"), ("admin", "sla_escalated")]),
        (ev("sla_breached", "sla", {"level": 3, "notify": ["admin"], "target": "resolve"}),
         TENANT_TICKET, [("admin", "sla_breached")]),
        (ev("claim_offered", "dispatch", {"offered_to": ["tech1", "tech2"]}), UNASSIGNED,
         [("tech1", "claim_offered"), ("tech2", "claim_offered")]),
        (ev("dispatch_paged", "dispatch", {"notify": ["supervisor1", "tech1"]}), UNASSIGNED,
         [("supervisor1", "dispatch_paged"), ("tech1", "dispatch_paged")]),
        # Events nobody is told about.
        (ev("comment", "tenant1"), TENANT_TICKET, []),
        (ev("attachment_added", "tech1"), TENANT_TICKET, []),
        (ev("sensor_repeat", "ingestor"), TENANT_TICKET, []),
    ],
)  # fmt: skip
def test_who_is_told_what(
    event: EventFacts, ticket: TicketFacts, expected: list[tuple[str, str]]
) -> None:
    assert told(event, ticket) == expected


def test_every_intake_and_activity_type_named_in_the_issue_is_handled() -> None:
    expected = {
        "created", "accepted", "assigned", "started", "resolved", "awaiting_rating", "closed",
        "reopened", "cancelled", "rated", "sla_reminder", "sla_escalated", "sla_breached",
        "claim_offered", "dispatch_paged",
    }  # fmt: skip
    assert expected == HANDLED_TYPES


@pytest.mark.parametrize("source", ["sensor", "staff"])
def test_only_tenants_hear_about_their_own_requests(source: str) -> None:
    ticket = TicketFacts("t-1", "T1", "Leak at riser", "ingestor", source, "")
    assert told(ev("created", "ingestor"), ticket) == []
    assert told(ev("resolved", "tech1"), ticket) == []
    assert told(ev("assigned", "dispatcher1", {"assignee": "tech1"}), ticket) == [
        ("tech1", "assigned_to_you")
    ]


def test_a_recipient_named_twice_gets_one_message_the_first_rule_winning() -> None:
    event = ev("sla_escalated", "sla", {"notify": ["supervisor1", "supervisor1", "tenant1"]})
    assert told(event) == [("supervisor1", "sla_escalated"), ("tenant1", "sla_escalated")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("supervisor1", ["supervisor1"]),
        ([1, None, "", "  ", "x" * 65, "a", "a", " b "], ["a", "b"]),
        ({"supervisor1": True}, []),
        (None, []),
        (42, []),
    ],
)
def test_payload_lists_are_read_defensively(value: Any, expected: list[str]) -> None:
    assert [
        a.username for a in recipients(ev("sla_reminder", "sla", {"notify": value}), UNASSIGNED)
    ] == expected


def test_payload_lists_are_capped() -> None:
    names = [f"user{i}" for i in range(MAX_LISTED + 20)]
    assert (
        len(recipients(ev("claim_offered", "d", {"offered_to": names}), UNASSIGNED)) == MAX_LISTED
    )


def test_the_assignee_of_an_assigned_event_comes_from_its_payload_not_from_the_ticket_now() -> None:
    # Replaying an old "assigned" event after the ticket moved on names who was assigned then.
    event = ev("assigned", "dispatcher1", {"assignee": "tech2"})
    assert ("tech2", "assigned_to_you") in told(event, TENANT_TICKET)
    assert fields_for(event, TENANT_TICKET)["assignee"] == "tech2"
    assert fields_for(ev("started", "tech1"), TENANT_TICKET)["assignee"] == "tech1"


# --- planning: language, channels, dedupe keys ---------------------------------------------


def test_plan_uses_each_recipients_language_and_channels() -> None:
    event = ev("assigned", "dispatcher1", {"assignee": "tech2"})
    addressed = recipients(event, UNASSIGNED)
    contacts = {
        "tenant1": Contact("tenant1", "zh-CN", ("mailto://a", "json://h/x", "mailto://a")),
        "tech2": Contact("tech2", "en", ("json://h/t",), in_app=False),
    }
    notices = {n.recipient: n for n in plan(event, UNASSIGNED, addressed, contacts, "zh-CN")}
    tenant, tech = notices["tenant1"], notices["tech2"]
    assert (tenant.locale, tenant.kind, tenant.in_app) == ("zh-CN", K.DISPATCHED, True)
    assert tenant.channels == ("mailto://a", "json://h/x")
    assert "已派单" in tenant.title and "tech2" in tenant.body
    assert (tech.locale, tech.in_app, tech.channels) == ("en", False, ("json://h/t",))
    assert tech.title == "New assignment: T1"


def test_plan_defaults_and_silences() -> None:
    event = ev("dispatch_paged", "d", {"notify": ["nobody", "quiet", "french"]})
    addressed = recipients(event, TENANT_TICKET)
    contacts = {
        "quiet": Contact("quiet", "en", (), in_app=False),
        "french": Contact("french", "fr-FR"),
    }
    notices = plan(event, TENANT_TICKET, addressed, contacts, "en")
    assert [(n.recipient, n.locale, n.in_app, n.channels) for n in notices] == [
        ("nobody", "en", True, ()),
        ("french", "en", True, ()),
    ]


def test_dedupe_keys_name_event_recipient_and_channel_without_its_secrets() -> None:
    url = "dingtalk://secret-token@tenant"
    key = dedupe_key(42, "tenant1", channel_id(url))
    assert key.startswith("42:tenant1:") and "secret" not in key
    assert channel_id(url) == channel_id(url) != channel_id(url + "x")
    assert len(channel_id(url)) == 16


def test_old_events_are_stale_only_when_a_maximum_age_is_set() -> None:
    old = EventFacts(1, "t", "created", "tenant1", NOW - timedelta(days=2))
    assert is_stale(old, NOW, timedelta(days=1))
    assert not is_stale(old, NOW, timedelta(days=3))
    assert not is_stale(old, NOW, None)


def test_addressed_is_a_value() -> None:
    assert Addressed("a", K.RATED) == Addressed("a", K.RATED)


def test_roles_named_by_the_sla_service_are_groups_with_a_shared_inbox() -> None:
    event = ev("sla_escalated", "sla", {"notify": ["supervisor1"], "notify_roles": ["supervisor"]})
    addressed = recipients(event, TENANT_TICKET)
    assert [(a.username, a.kind.value) for a in addressed] == [
        ("supervisor1", "sla_escalated"),
        ("role:supervisor", "sla_escalated"),
    ]
    alone = plan(event, TENANT_TICKET, addressed, {}, "zh-CN")
    assert [(n.recipient, n.in_app, n.channels) for n in alone] == [
        ("supervisor1", True, ()),
        ("role:supervisor", True, ()),
    ]
    group = Contact("role:supervisor", "zh-CN", ("dingtalk://token",), in_app=False)
    notices = plan(event, TENANT_TICKET, addressed, {"role:supervisor": group}, "zh-CN")
    assert [(n.recipient, n.in_app, n.channels) for n in notices] == [
        ("supervisor1", True, ()),
        ("role:supervisor", False, ("dingtalk://token",)),
    ]
