"""Pure unit tests of intake's triage rules: what a suggestion fills, what it leaves to the
requester, how the desk relabels a ticket on accepting it, and when that is a correction
to learn from."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.intake.domain.creation import NewTicket, needs_triage, open_ticket
from services.intake.domain.errors import InvalidInput
from services.intake.domain.lifecycle import apply_action
from services.intake.domain.model import (
    CATEGORIES,
    Action,
    Actor,
    Kind,
    Location,
    Priority,
    Role,
)
from services.intake.domain.tenant_view import for_tenant
from services.intake.domain.triage import SUGGESTION_KEYS, TriageSuggestion, correction

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
TENANT = Actor("tenant1", Role.TENANT, "demo", unit="A-301")
DESK = Actor("dispatcher1", Role.DISPATCHER, "demo")
SURE = TriageSuggestion("noise", 0.91, Priority.P3, 0.88, "triage-736-abc")
UNSURE = TriageSuggestion("noise", 0.31, Priority.P2, 0.42, "triage-736-abc")


def request(category: str = "", title: str = "楼上噪音", **changes: object) -> NewTicket:
    base = NewTicket(Kind.COMPLAINT, category, title, "", Location("demo", "A", "3", "A-301"))
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_confident_suggestion_fills_what_was_left_out_and_is_recorded() -> None:
    ticket = open_ticket(request(), TENANT, "t", NOW, SURE, min_confidence=0.5)
    assert (ticket.category, ticket.priority) == ("noise", Priority.P3)
    assert {k: ticket.attributes[k] for k in SUGGESTION_KEYS} == {
        "triage_category": "noise", "triage_category_confidence": "0.910",
        "triage_priority": "P3", "triage_priority_confidence": "0.880",
        "triage_model": "triage-736-abc",
    }  # fmt: skip


def test_an_unsure_suggestion_fills_only_a_missing_category() -> None:
    """Below the threshold the best guess still beats "other" for a missing category
    (docs/triage.md), but sets no priority and overrides no choice."""
    ticket = open_ticket(request(), TENANT, "t", NOW, UNSURE, min_confidence=0.5)
    assert ticket.category == "noise"
    assert ticket.priority is Priority.P3  # the usual priority of noise, not the P2 guessed
    assert ticket.attributes["triage_priority"] == "P2"


@pytest.mark.parametrize("suggestion", [SURE, UNSURE])
def test_a_requesters_category_stands(suggestion: TriageSuggestion) -> None:
    ticket = open_ticket(request("parking"), TENANT, "t", NOW, suggestion)
    assert ticket.category == "parking"
    assert ticket.attributes["triage_category"] == "noise"


def test_other_is_replaced_only_by_a_confident_suggestion() -> None:
    assert open_ticket(request("other"), TENANT, "t", NOW, SURE).category == "noise"
    assert open_ticket(request("other"), TENANT, "t", NOW, UNSURE).category == "other"


def test_without_a_classifier_a_missing_category_is_other() -> None:
    ticket = open_ticket(request(), TENANT, "t", NOW)
    assert ticket.category == "other"
    assert "triage_model" not in ticket.attributes


def test_the_urgent_words_and_the_kind_outrank_a_suggested_priority() -> None:
    leak = open_ticket(request(title="厨房漏水"), TENANT, "t", NOW, SURE)
    assert leak.priority is Priority.P1
    question = open_ticket(request(kind=Kind.INQUIRY), TENANT, "t", NOW, SURE)
    assert question.priority is Priority.P4
    given = open_ticket(request(priority=Priority.P2), DESK, "t", NOW, SURE)
    assert given.priority is Priority.P2


@given(
    asked=st.sampled_from(["", *CATEGORIES]),
    guessed=st.sampled_from(list(CATEGORIES)),
    sure=st.floats(0.0, 1.0),
    priority=st.sampled_from(list(Priority)),
    priority_sure=st.floats(0.0, 1.0),
    threshold=st.floats(0.0, 1.0),
)
def test_a_suggestion_never_overrides_a_choice(
    asked: str, guessed: str, sure: float, priority: Priority, priority_sure: float,
    threshold: float,
) -> None:  # fmt: skip
    suggestion = TriageSuggestion(guessed, sure, priority, priority_sure, "m")
    ticket = open_ticket(request(asked, title="请看一下"), TENANT, "t", NOW, suggestion, threshold)
    if asked not in ("", "other"):
        assert ticket.category == asked
    elif asked == "" or sure >= threshold:
        assert ticket.category == guessed
    else:
        assert ticket.category == "other"
    expected = priority if priority_sure >= threshold else CATEGORIES[ticket.category][2]
    assert ticket.priority is expected
    assert ticket.attributes["triage_model"] == "m"


def test_needs_triage() -> None:
    assert needs_triage(request())
    assert needs_triage(request("other", priority=Priority.P2))
    assert needs_triage(request("plumbing"))
    assert not needs_triage(request("plumbing", priority=Priority.P2))


def test_the_desk_relabels_a_ticket_on_accepting_it() -> None:
    ticket = open_ticket(request(), TENANT, "t", NOW, SURE)
    [event] = apply_action(ticket, DESK, Action.ACCEPT, NOW, category="plumbing",
                           priority=Priority.P1)  # fmt: skip
    assert (ticket.category, ticket.priority) == ("plumbing", Priority.P1)
    assert event.payload == {"priority": "P1", "previous_priority": "P3",
                             "category": "plumbing", "previous_category": "noise"}  # fmt: skip
    shown = for_tenant(event.type, event.actor, event.actor_role, "", event.payload)
    assert shown is not None and shown.payload == {"priority": "P1", "category": "plumbing"}


def test_an_accept_that_changes_nothing_says_nothing() -> None:
    ticket = open_ticket(request(), TENANT, "t", NOW, SURE)
    [event] = apply_action(ticket, DESK, Action.ACCEPT, NOW, category="noise")
    assert event.payload == {}


@pytest.mark.parametrize(
    ("action", "category"), [(Action.ACCEPT, "gardening"), (Action.CANCEL, "noise")]
)
def test_a_category_is_a_known_one_set_on_accepting(action: Action, category: str) -> None:
    ticket = open_ticket(request(), TENANT, "t", NOW, SURE)
    with pytest.raises(InvalidInput):
        apply_action(ticket, DESK, action, NOW, category=category)
    assert ticket.category == "noise"


def test_a_changed_suggested_ticket_is_a_correction() -> None:
    ticket = open_ticket(request(description="水从天花板上滴下来"), TENANT, "t", NOW, SURE)
    before = (ticket.category, ticket.priority)
    assert correction(ticket, before, DESK, NOW) is None
    apply_action(ticket, DESK, Action.ACCEPT, NOW, category="plumbing", priority=Priority.P1)
    example = correction(ticket, before, DESK, NOW)
    assert example is not None
    assert (example.text, example.category, example.priority, example.corrected_by) == (
        "楼上噪音\n水从天花板上滴下来",
        "plumbing",
        Priority.P1,
        "dispatcher1",
    )


def test_a_ticket_without_a_suggestion_teaches_nothing() -> None:
    ticket = open_ticket(request("noise", priority=Priority.P3), DESK, "t", NOW)
    before = (ticket.category, ticket.priority)
    apply_action(ticket, DESK, Action.ACCEPT, NOW, category="plumbing")
    assert correction(ticket, before, DESK, NOW) is None
