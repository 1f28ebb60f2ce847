"""Activity events and historical imports through the handlers, against real PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.intake.domain.errors import Forbidden, IllegalTransition, InvalidInput
from services.intake.domain.history import HistoricalStep
from services.intake.domain.model import Action, Actor, Channel, Role, Status, Ticket
from services.intake.handlers import ImportedTicket, IntakeHandlers
from tests.integration.conftest import ADMIN, DISPATCHER, TECH1, TENANT1, TENANT2, ticket_request
from tests.support.event_stream import logged

SYSTEM = Actor("ingestor", Role.SYSTEM, channel=Channel.SENSOR)


async def test_activity_adds_an_event_and_keeps_the_status(handlers: IntakeHandlers) -> None:
    view, _ = await handlers.create_ticket(SYSTEM, ticket_request("Leak at riser B-3"))
    ticket = view.ticket
    assert ticket.source.value == "sensor"
    event = await handlers.record_activity(
        SYSTEM, ticket.id, "sensor_repeat", "leak reported again", {"occurrences": 3}
    )
    assert (event.type, event.from_status, event.to_status) == (
        "sensor_repeat",
        "submitted",
        "submitted",
    )
    assert event.payload == {"occurrences": 3}
    after = (await handlers.get_ticket(SYSTEM, ticket.id)).ticket
    assert (after.status, after.version) == (Status.SUBMITTED, ticket.version + 1)
    comment = await handlers.record_activity(
        TENANT1, (await _tenant_ticket(handlers)).id, "comment", "谢谢", {}
    )
    assert comment.actor == "tenant1"


async def _tenant_ticket(handlers: IntakeHandlers) -> Ticket:
    view, _ = await handlers.create_ticket(TENANT1, ticket_request("Window latch"))
    return view.ticket


async def test_activity_rules(handlers: IntakeHandlers) -> None:
    view, _ = await handlers.create_ticket(TENANT1, ticket_request("Noisy pipe"))
    tid = view.ticket.id
    with pytest.raises(Forbidden):
        await handlers.record_activity(TENANT1, tid, "sensor_clear", "", {})
    with pytest.raises(InvalidInput):
        await handlers.record_activity(SYSTEM, tid, "teleport", "", {})
    with pytest.raises(InvalidInput):
        await handlers.record_activity(TENANT1, tid, "comment", "  ", {})
    with pytest.raises(Exception, match="no ticket"):
        await handlers.record_activity(TENANT2, tid, "comment", "not mine", {})


def _history(ticket_id: str, start: datetime) -> ImportedTicket:
    minute = timedelta(minutes=1)
    return ImportedTicket(
        ticket_id=ticket_id,
        request=ticket_request("2025年的漏水 / a leak from last year"),
        requester=TENANT1,
        created_at=start,
        steps=[
            HistoricalStep(DISPATCHER, start + 5 * minute, Action.ACCEPT),
            HistoricalStep(DISPATCHER, start + 6 * minute, Action.ASSIGN, assignee="tech1"),
            HistoricalStep(TECH1, start + 30 * minute, Action.START),
            HistoricalStep(TECH1, start + 90 * minute, Action.RESOLVE, note="sealed"),
            HistoricalStep(TENANT1, start + 200 * minute, None, note="good", stars=4),
        ],
    )


async def test_import_replays_history_with_its_own_times(handlers: IntakeHandlers) -> None:
    start = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
    ids = [str(uuid.uuid4()), str(uuid.uuid4())]
    imported, skipped = await handlers.import_tickets(ADMIN, [_history(i, start) for i in ids])
    assert (sorted(imported), skipped) == (sorted(ids), 0)
    ticket = (await handlers.get_ticket(ADMIN, ids[0])).ticket
    assert ticket.status is Status.CLOSED and ticket.rating is not None and ticket.rating.stars == 4
    assert ticket.created_at == start and ticket.number.startswith("T20250314-")
    events = await handlers.events(ADMIN, ids[0])
    assert [e.type for e in events] == [
        "created", "accepted", "assigned", "started", "resolved", "awaiting_rating", "rated",
    ]  # fmt: skip
    assert events[-1].occurred_at == start + timedelta(minutes=200)
    again, skipped = await handlers.import_tickets(ADMIN, [_history(ids[0], start)])
    assert (again, skipped) == ([], 1)


async def test_imported_history_is_streamed_only_to_who_asks(handlers: IntakeHandlers) -> None:
    old = str(uuid.uuid4())
    await handlers.import_tickets(ADMIN, [_history(old, datetime(2024, 1, 2, tzinfo=UTC))])
    live, _ = await handlers.create_ticket(TENANT1, ticket_request("A leak today"))
    left_out = await logged(handlers.stream_events("", follow=False, batch=2))
    assert old not in {e.ticket_id for e in left_out} and live.ticket.id in {
        e.ticket_id for e in left_out}  # fmt: skip
    everything = await logged(handlers.stream_events("", False, include_imported=True))
    mine = [e for e in everything if e.ticket_id == old]
    assert len(mine) == 7 and all(e.payload["imported"] is True for e in mine)


async def test_import_is_all_or_none_and_follows_the_rules(handlers: IntakeHandlers) -> None:
    start = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)
    good = _history(str(uuid.uuid4()), start)
    bad = ImportedTicket(
        ticket_id=str(uuid.uuid4()),
        request=ticket_request("Closed before it was resolved"),
        requester=TENANT1,
        created_at=start,
        steps=[HistoricalStep(DISPATCHER, start, Action.CLOSE)],
    )
    with pytest.raises(IllegalTransition):
        await handlers.import_tickets(ADMIN, [good, bad])
    with pytest.raises(Exception, match="no ticket"):
        await handlers.get_ticket(ADMIN, good.ticket_id)
    with pytest.raises(Forbidden):
        await handlers.import_tickets(TENANT1, [good])
    backwards = ImportedTicket(
        ticket_id=str(uuid.uuid4()), request=ticket_request("Time travel"), requester=TENANT1,
        created_at=start, steps=[HistoricalStep(DISPATCHER, start - timedelta(days=1), Action.ACCEPT)],
    )  # fmt: skip
    with pytest.raises(InvalidInput, match="back in time"):
        await handlers.import_tickets(ADMIN, [backwards])
