"""Triage in intake against real PostgreSQL: a ticket raised without a category gets the
classifier's, with the suggestion recorded; the desk's correction on accepting is stored
as a training example, and the next retraining learns it."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import REGISTRY
from psycopg_pool import AsyncConnectionPool

from services.intake.adapters.classifier import TrainedClassifier
from services.intake.domain.model import Action, Kind, Priority
from services.intake.handlers import IntakeHandlers
from tests.integration.conftest import DISPATCHER, TENANT1, Clock, ticket_request


@pytest.fixture(scope="module")
def classifier() -> TrainedClassifier:
    return TrainedClassifier.train(())


@pytest.fixture
def triaged(
    pool: AsyncConnectionPool, clock: Clock, classifier: TrainedClassifier
) -> IntakeHandlers:
    return IntakeHandlers(pool, clock, classifier=classifier, triage_min_confidence=0.5)


async def _examples(pool: AsyncConnectionPool, ticket_id: str) -> list[tuple[Any, ...]]:
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT text, category, priority, corrected_by FROM intake.triage_examples"
            " WHERE ticket_id = %s", (ticket_id,),
        )  # fmt: skip
        return await cur.fetchall()


async def test_a_ticket_without_a_category_gets_the_suggested_one(
    triaged: IntakeHandlers, classifier: TrainedClassifier
) -> None:
    request = ticket_request("卫生间漏水", category="", description="", unit="A-301")
    view, _ = await triaged.create_ticket(TENANT1, request)
    stored = (await triaged.get_ticket(TENANT1, view.ticket.id)).ticket
    assert (stored.category, stored.priority) == ("plumbing", Priority.P1)
    assert stored.attributes["triage_category"] == "plumbing"
    assert 0.5 <= float(stored.attributes["triage_category_confidence"]) <= 1.0
    assert stored.attributes["triage_model"] == classifier.version
    [created] = await triaged.events(DISPATCHER, stored.id)
    assert created.payload["category"] == "plumbing"


async def test_a_complete_request_is_not_triaged(triaged: IntakeHandlers) -> None:
    request = ticket_request("楼上噪音", category="noise", priority=Priority.P3)
    view, _ = await triaged.create_ticket(DISPATCHER, request)
    assert "triage_model" not in view.ticket.attributes


async def test_the_desks_correction_is_kept_and_learnt(
    triaged: IntakeHandlers, pool: AsyncConnectionPool
) -> None:
    text = "储藏室门口堆了一排旧轮胎"
    view, _ = await triaged.create_ticket(
        TENANT1, ticket_request(text, category="", description="", unit="A-301")
    )
    suggested = view.ticket.attributes["triage_category"]
    assert suggested != "fees"
    accepted = await triaged.transition(DISPATCHER, view.ticket.id, Action.ACCEPT,
                                        category="fees", priority=Priority.P4)  # fmt: skip
    assert (accepted.ticket.category, accepted.ticket.priority) == ("fees", Priority.P4)
    assert await _examples(pool, view.ticket.id) == [(text, "fees", "P4", "dispatcher1")]

    assert await triaged.retrain_triage()
    assert not await triaged.retrain_triage()  # nothing new since
    again, _ = await triaged.create_ticket(
        TENANT1, ticket_request(text, category="", description="", unit="A-301")
    )
    assert again.ticket.attributes["triage_category"] == "fees"
    assert again.ticket.attributes["triage_model"] != view.ticket.attributes["triage_model"]


async def test_an_accept_that_keeps_the_suggestion_teaches_nothing(
    triaged: IntakeHandlers, pool: AsyncConnectionPool
) -> None:
    view, _ = await triaged.create_ticket(
        TENANT1, ticket_request("电梯困人", category="", description="")
    )
    ticket = view.ticket
    await triaged.transition(DISPATCHER, ticket.id, Action.ACCEPT, category=ticket.category,
                             priority=ticket.priority)  # fmt: skip
    assert await _examples(pool, ticket.id) == []


async def test_intake_triages_by_the_rules_until_its_model_is_trained(
    pool: AsyncConnectionPool, clock: Clock
) -> None:
    handlers = IntakeHandlers(pool, clock)
    request = ticket_request("楼上噪音", kind=Kind.COMPLAINT, category="", description="")
    before, _ = await handlers.create_ticket(DISPATCHER, request)
    assert before.ticket.category == "other" and "triage_model" not in before.ticket.attributes
    await handlers.start_triage()
    assert (REGISTRY.get_sample_value("intake_triage_model_examples") or 0) >= 736
    after, _ = await handlers.create_ticket(DISPATCHER, request)
    assert (after.ticket.category, after.ticket.priority) == ("noise", Priority.P3)
