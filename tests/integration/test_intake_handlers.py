"""The intake use cases through IntakeHandlers against real PostgreSQL.

Every test raises its own tickets; its clock starts on a day of its own, so a created-at
range picks out exactly the tickets the test made.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import random
import re
import struct
import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from psycopg_pool import AsyncConnectionPool

from services.intake.adapters.tickets_repo import TicketFilter
from services.intake.adapters.users_repo import hash_password
from services.intake.domain.errors import (
    Forbidden,
    IdempotencyConflict,
    IllegalTransition,
    InvalidInput,
    NotFound,
    Unauthenticated,
)
from services.intake.domain.model import (
    Action,
    Actor,
    Kind,
    Priority,
    Role,
    Source,
    Status,
    Ticket,
)
from services.intake.handlers import IntakeHandlers, TicketView
from tests.integration.conftest import (
    ADMIN,
    DISPATCHER,
    PLANNER,
    SUPERVISOR,
    TECH1,
    TECH2,
    TENANT1,
    TENANT2,
    Clock,
    ticket_request,
)


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + b"\xff\x00\x00" * 2 + b"\x00" + b"\x00\x00\xff" * 2)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PNG = _png()


async def scalar(pool: AsyncConnectionPool, query: str, params: tuple[Any, ...] = ()) -> Any:
    async with pool.connection() as conn:
        cur = await conn.execute(query, params)
        row = await cur.fetchone()
    assert row is not None
    return row[0]


async def table_counts(pool: AsyncConnectionPool) -> tuple[int, int, int, int]:
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT (SELECT count(*) FROM intake.tickets), (SELECT count(*) FROM"
            " intake.ticket_events), (SELECT count(*) FROM intake.idempotency_keys),"
            " (SELECT count(*) FROM intake.attachments)"
        )
        row = await cur.fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


def day_of(clock: Clock) -> TicketFilter:
    """A filter for the tickets of this test: those created on its clock's first day."""
    start = clock.now.replace(hour=0, minute=0, second=0, microsecond=0)
    return TicketFilter(created_after=start, created_before=start + timedelta(days=1))


async def create(
    handlers: IntakeHandlers, actor: Actor = TENANT1, title: str = "Tap drips", **kw: Any
) -> Ticket:
    view, created = await handlers.create_ticket(actor, ticket_request(title, **kw))
    assert created
    return view.ticket


# ---------------------------------------------------------------------------------------
# Creating tickets
# ---------------------------------------------------------------------------------------


async def test_create_ticket(handlers: IntakeHandlers, clock: Clock) -> None:
    view, created = await handlers.create_ticket(
        TENANT1,
        ticket_request("卫生间漏水", category="cleaning", unit="A-301", asset="riser-A-1"),
    )
    assert created
    ticket = view.ticket
    assert view.attachments == []
    UUID(ticket.id)
    assert re.fullmatch(rf"T{clock.now:%Y%m%d}-\d{{7}}", ticket.number)
    assert ticket.status is Status.SUBMITTED
    assert ticket.priority is Priority.P1  # urgent words beat the category (P4)
    assert (ticket.requester, ticket.requester_role, ticket.source) == (
        "tenant1",
        Role.TENANT,
        Source.TENANT,
    )
    assert ticket.created_at == ticket.updated_at == ticket.status_changed_at == clock.now
    assert ticket.version == 1

    stored = await handlers.get_ticket(TENANT1, ticket.id)
    assert stored.ticket == ticket

    events = await handlers.events(TENANT1, ticket.id)
    assert len(events) == 1
    event = events[0]
    assert (event.type, event.from_status, event.to_status) == ("created", None, "submitted")
    assert (event.actor, event.actor_role, event.channel) == ("tenant1", "tenant", "app")
    assert event.occurred_at == clock.now
    assert event.ticket_id == ticket.id
    assert event.payload == {"number": ticket.number, "priority": "P1", "category": "cleaning"}


async def test_create_priority_defaults(handlers: IntakeHandlers, clock: Clock) -> None:
    hvac = await create(handlers, TENANT1, "Radiator cold", category="hvac")
    inquiry = await create(
        handlers, TENANT1, "When is the lift serviced?", category="elevator", kind=Kind.INQUIRY
    )
    stuck = await create(handlers, TENANT1, "Lift stuck, two people inside", category="elevator")
    explicit = await create(
        handlers, DISPATCHER, "Pipe burst", category="plumbing", priority=Priority.P3
    )
    assert [t.priority for t in (hvac, inquiry, stuck, explicit)] == [
        Priority.P3,
        Priority.P4,
        Priority.P1,
        Priority.P3,
    ]
    assert explicit.source is Source.STAFF


async def test_ticket_numbers_are_unique_and_sortable(
    handlers: IntakeHandlers, clock: Clock
) -> None:
    numbers = []
    for i in range(5):
        numbers.append((await create(handlers, TENANT1, f"Ticket {i}")).number)
        clock.advance(timedelta(hours=7))  # crosses midnight
    assert len(set(numbers)) == 5
    assert sorted(numbers) == numbers
    assert len({n[:9] for n in numbers}) > 1


@pytest.mark.parametrize(
    "where",
    [
        pytest.param({"floor": "11"}, id="unknown-floor"),
        pytest.param({"building": "C", "floor": "1"}, id="unknown-building"),
        pytest.param({"unit": "A-399"}, id="unknown-unit"),
        pytest.param({"unit": "A-401"}, id="unit-on-another-floor"),
        pytest.param({"unit": "B-301"}, id="unit-in-another-building"),
        pytest.param({"asset": "riser-Z-9"}, id="unknown-asset"),
    ],
)
async def test_unknown_place_is_refused_and_nothing_written(
    handlers: IntakeHandlers, pool: AsyncConnectionPool, where: dict[str, Any]
) -> None:
    before = await table_counts(pool)
    with pytest.raises(InvalidInput):  # the desk's: a tenant naming another unit is refused first
        await handlers.create_ticket(
            DISPATCHER, ticket_request("Nowhere", **where), idempotency_key="k-nowhere"
        )
    assert await table_counts(pool) == before


async def test_invalid_requests_are_refused(handlers: IntakeHandlers) -> None:
    with pytest.raises(InvalidInput):
        await handlers.create_ticket(TENANT1, ticket_request(category="gardening"))
    with pytest.raises(InvalidInput):
        await handlers.create_ticket(TENANT1, ticket_request(""))
    with pytest.raises(InvalidInput):
        await handlers.create_ticket(TENANT1, ticket_request(), idempotency_key="k" * 201)
    with pytest.raises(Forbidden):
        await handlers.create_ticket(PLANNER, ticket_request())


# ---------------------------------------------------------------------------------------
# Idempotency
# ---------------------------------------------------------------------------------------


async def test_idempotent_replay(handlers: IntakeHandlers, pool: AsyncConnectionPool) -> None:
    key = f"idem-{random.getrandbits(64):x}"
    request = ticket_request("Door will not lock", category="doors_windows")
    first, created = await handlers.create_ticket(TENANT1, request, idempotency_key=key)
    assert created
    again, created_again = await handlers.create_ticket(TENANT1, request, idempotency_key=key)
    assert not created_again
    assert again.ticket == first.ticket

    with pytest.raises(IdempotencyConflict):
        await handlers.create_ticket(
            TENANT1,
            ticket_request("Door will not lock!", category="doors_windows"),
            idempotency_key=key,
        )

    # Keys belong to a user: someone else's identical key is a new request.
    other, other_created = await handlers.create_ticket(TENANT2, request, idempotency_key=key)
    assert other_created
    assert other.ticket.id != first.ticket.id

    count = await scalar(
        pool, "SELECT count(*) FROM intake.tickets WHERE id = ANY(%s::uuid[])",
        ([first.ticket.id, other.ticket.id],),
    )  # fmt: skip
    assert count == 2
    events = await handlers.events(TENANT1, first.ticket.id)
    assert [e.type for e in events] == ["created"]


async def test_a_failed_request_does_not_burn_its_key(handlers: IntakeHandlers) -> None:
    key = f"idem-{random.getrandbits(64):x}"
    with pytest.raises(InvalidInput):
        await handlers.create_ticket(
            TENANT1, ticket_request("Wrong floor", floor="99"), idempotency_key=key
        )
    view, created = await handlers.create_ticket(
        TENANT1, ticket_request("Right floor", floor="9"), idempotency_key=key
    )
    assert created
    assert view.ticket.location.floor == "9"


async def test_concurrent_creates_with_one_key_make_one_ticket(
    handlers: IntakeHandlers, pool: AsyncConnectionPool, clock: Clock
) -> None:
    key = f"idem-{random.getrandbits(64):x}"
    title = f"Concurrent {key}"
    request = ticket_request(title, category="electrical", building="B", floor="2")
    results = await asyncio.gather(
        *(handlers.create_ticket(TENANT2, request, idempotency_key=key) for _ in range(20))
    )
    created_flags = [created for _, created in results]
    assert created_flags.count(True) == 1
    ids = {view.ticket.id for view, _ in results}
    assert len(ids) == 1
    assert {view.ticket.number for view, _ in results} == {results[0][0].ticket.number}
    count = await scalar(pool, "SELECT count(*) FROM intake.tickets WHERE title = %s", (title,))
    assert count == 1
    events = await scalar(
        pool,
        "SELECT count(*) FROM intake.ticket_events WHERE ticket_id = %s",
        (ids.pop(),),
    )
    assert events == 1


# ---------------------------------------------------------------------------------------
# The lifecycle
# ---------------------------------------------------------------------------------------


async def test_full_lifecycle(handlers: IntakeHandlers, clock: Clock) -> None:
    t0 = clock.now
    view, _ = await handlers.create_ticket(
        TENANT1, ticket_request("Shower drain blocked", unit="A-301")
    )
    tid = view.ticket.id

    steps: list[tuple[Actor, Action, str]] = [
        (DISPATCHER, Action.ACCEPT, ""),
        (DISPATCHER, Action.ASSIGN, "tech1"),
        (TECH1, Action.START, ""),
        (TECH1, Action.RESOLVE, ""),
    ]
    times = [t0]
    for actor, action, assignee in steps:
        times.append(clock.advance(timedelta(minutes=17)))
        view = await handlers.transition(actor, tid, action, assignee=assignee, note=action)
        assert view.ticket.status_changed_at == clock.now

    assert view.ticket.status is Status.AWAITING_RATING
    assert view.ticket.assignee == "tech1"
    assert view.ticket.version == 6

    # Only the requester may rate, and not twice.
    with pytest.raises(NotFound):
        await handlers.rate(TENANT2, tid, 5, "")
    with pytest.raises(InvalidInput):
        await handlers.rate(TENANT1, tid, 6, "")

    times.append(clock.advance(timedelta(hours=2)))
    rated = await handlers.rate(TENANT1, tid, 5, "  Fast and friendly  ")
    assert rated.ticket.status is Status.CLOSED
    assert rated.ticket.rating is not None
    assert (rated.ticket.rating.stars, rated.ticket.rating.comment) == (5, "Fast and friendly")
    assert rated.ticket.rating.rated_at == clock.now
    assert rated.ticket.version == 7
    with pytest.raises(IllegalTransition):
        await handlers.rate(TENANT1, tid, 4, "")

    stored = (await handlers.get_ticket(SUPERVISOR, tid)).ticket
    assert stored == rated.ticket
    assert stored.created_at == t0
    assert stored.updated_at == stored.status_changed_at == clock.now

    events = await handlers.events(DISPATCHER, tid)  # the desk sees the whole log
    assert [(e.type, e.from_status, e.to_status, e.actor, e.actor_role) for e in events] == [
        ("created", None, "submitted", "tenant1", "tenant"),
        ("accepted", "submitted", "accepted", "dispatcher1", "dispatcher"),
        ("assigned", "accepted", "assigned", "dispatcher1", "dispatcher"),
        ("started", "assigned", "in_progress", "tech1", "technician"),
        ("resolved", "in_progress", "resolved", "tech1", "technician"),
        ("awaiting_rating", "resolved", "awaiting_rating", "system", "system"),
        ("rated", "awaiting_rating", "closed", "tenant1", "tenant"),
    ]
    assert [e.occurred_at for e in events] == [
        times[0], times[1], times[2], times[3], times[4], times[4], times[5],
    ]  # fmt: skip
    assert events[2].payload == {"assignee": "tech1", "previous_assignee": None}
    assert events[1].note == "accept"
    assert events[6].payload == {"stars": 5}
    assert events[6].note == "Fast and friendly"
    ids = [e.id for e in events]
    assert ids == sorted(ids)
    tx_ids = [e.tx_id for e in events]
    assert tx_ids == sorted(tx_ids)
    assert tx_ids[4] == tx_ids[5]  # resolved and awaiting_rating: one transaction
    assert len(set(tx_ids)) == 6


async def test_rejected_transitions_change_nothing(handlers: IntakeHandlers) -> None:
    ticket = await create(handlers, TENANT1, "Window latch broken", category="doors_windows")
    with pytest.raises(Forbidden):  # a technician may not accept
        await handlers.transition(TECH1, ticket.id, Action.ACCEPT)
    with pytest.raises(IllegalTransition):  # nothing to start yet
        await handlers.transition(SUPERVISOR, ticket.id, Action.START)
    with pytest.raises(InvalidInput):  # rating goes through rate()
        await handlers.transition(TENANT1, ticket.id, Action.RATE)
    with pytest.raises(InvalidInput):  # assign needs a technician
        await handlers.transition(DISPATCHER, ticket.id, Action.ASSIGN)
    await handlers.transition(DISPATCHER, ticket.id, Action.ASSIGN, assignee="tech2")
    with pytest.raises(Forbidden):  # not tech1's ticket
        await handlers.transition(TECH1, ticket.id, Action.START)
    with pytest.raises(InvalidInput):
        await handlers.transition(DISPATCHER, ticket.id, Action.CANCEL, note="n" * 2001)
    stored = (await handlers.get_ticket(DISPATCHER, ticket.id)).ticket
    assert (stored.status, stored.assignee, stored.version) == (Status.ASSIGNED, "tech2", 2)
    events = await handlers.events(DISPATCHER, ticket.id)
    assert [e.type for e in events] == ["created", "assigned"]


async def test_only_if_unassigned_refuses_a_ticket_someone_has(handlers: IntakeHandlers) -> None:
    ticket = await create(handlers, TENANT1, "Tap drips", category="plumbing")
    first = await handlers.transition(
        DISPATCHER, ticket.id, Action.ASSIGN, assignee="tech1", only_if_unassigned=True
    )
    assert first.ticket.assignee == "tech1"
    with pytest.raises(IllegalTransition, match="assigned to tech1"):
        await handlers.transition(
            DISPATCHER, ticket.id, Action.ASSIGN, assignee="tech2", only_if_unassigned=True
        )
    again = await handlers.transition(DISPATCHER, ticket.id, Action.ASSIGN, assignee="tech2")
    assert again.ticket.assignee == "tech2"  # without the guard a dispatcher reassigns


@pytest.mark.parametrize("assignee", ["ghost", "dispatcher1", "tenant1", "admin"])
async def test_assign_to_someone_who_is_not_a_technician(
    handlers: IntakeHandlers, assignee: str
) -> None:
    ticket = await create(handlers, TENANT1, "Light flickers", category="electrical")
    await handlers.transition(DISPATCHER, ticket.id, Action.ACCEPT)
    with pytest.raises(InvalidInput):
        await handlers.transition(DISPATCHER, ticket.id, Action.ASSIGN, assignee=assignee)
    stored = (await handlers.get_ticket(DISPATCHER, ticket.id)).ticket
    assert (stored.status, stored.assignee, stored.version) == (Status.ACCEPTED, None, 2)
    assert [e.type for e in await handlers.events(DISPATCHER, ticket.id)] == [
        "created",
        "accepted",
    ]


async def test_reopen_and_cancel(handlers: IntakeHandlers, clock: Clock) -> None:
    ticket = await create(handlers, DISPATCHER, "Corridor lamp out", category="electrical")
    await handlers.transition(DISPATCHER, ticket.id, Action.ASSIGN, assignee="tech2")
    resolved = await handlers.transition(TECH2, ticket.id, Action.RESOLVE)
    assert resolved.ticket.status is Status.RESOLVED  # raised by staff: no rating
    reopened = await handlers.transition(DISPATCHER, ticket.id, Action.REOPEN)
    assert (reopened.ticket.status, reopened.ticket.assignee) == (Status.ASSIGNED, "tech2")

    own = await create(handlers, TENANT1, "Noise from upstairs", category="noise")
    with pytest.raises(NotFound):
        await handlers.transition(TENANT2, own.id, Action.CANCEL)
    cancelled = await handlers.transition(TENANT1, own.id, Action.CANCEL, note="sorted it")
    assert cancelled.ticket.status is Status.CANCELLED
    with pytest.raises(IllegalTransition):
        await handlers.transition(TENANT1, own.id, Action.REOPEN)


# ---------------------------------------------------------------------------------------
# Visibility and lists
# ---------------------------------------------------------------------------------------


async def test_tenants_see_only_their_own(handlers: IntakeHandlers, clock: Clock) -> None:
    mine = [await create(handlers, TENANT1, f"Tenant1 #{i}") for i in range(3)]
    theirs = [await create(handlers, TENANT2, f"Tenant2 #{i}", building="B") for i in range(2)]

    for ticket in mine:
        with pytest.raises(NotFound):
            await handlers.get_ticket(TENANT2, ticket.id)
        with pytest.raises(NotFound):
            await handlers.events(TENANT2, ticket.id)
        with pytest.raises(NotFound):
            await handlers.transition(TENANT2, ticket.id, Action.CANCEL)
        with pytest.raises(NotFound):
            await handlers.add_attachment(TENANT2, ticket.id, "x.png", "image/png", PNG)
    with pytest.raises(NotFound):
        await handlers.get_ticket(TENANT2, "not-a-uuid")
    with pytest.raises(NotFound):
        await handlers.get_ticket(TENANT2, "00000000-0000-0000-0000-000000000000")

    window = day_of(clock)
    views, token = await handlers.list_tickets(TENANT2, window, 100, "")
    assert token == ""
    assert {v.ticket.id for v in views} == {t.id for t in theirs}

    # A tenant cannot widen the list by naming someone else.
    flt = TicketFilter(requester="tenant1", created_after=window.created_after)
    views, _ = await handlers.list_tickets(TENANT2, flt, 200, "")
    assert views
    assert {v.ticket.requester for v in views} == {"tenant2"}
    assert not {t.id for t in mine} & {v.ticket.id for v in views}

    views, _ = await handlers.list_tickets(TENANT1, window, 100, "")
    assert {v.ticket.id for v in views} == {t.id for t in mine}

    staff, _ = await handlers.list_tickets(DISPATCHER, window, 100, "")
    assert {v.ticket.id for v in staff} == {t.id for t in mine + theirs}

    # Staff of another site see nothing of this one.
    elsewhere = Actor("dispatcher9", Role.DISPATCHER, site="north")
    views, _ = await handlers.list_tickets(elsewhere, window, 100, "")
    assert views == []
    views, _ = await handlers.list_tickets(
        elsewhere, TicketFilter(site="demo", created_after=window.created_after), 100, ""
    )
    assert views == []
    with pytest.raises(NotFound):
        await handlers.get_ticket(elsewhere, mine[0].id)
    admin_view = await handlers.get_ticket(Actor("admin", Role.ADMIN, site="north"), mine[0].id)
    assert admin_view.ticket.id == mine[0].id


async def test_list_filters(handlers: IntakeHandlers, clock: Clock) -> None:
    specs: list[tuple[Actor, str, str, str, str, Priority | None]] = [
        # actor, title, category, building, floor, priority
        (TENANT1, "Tap drips", "plumbing", "A", "3", None),
        (TENANT2, "Socket dead", "electrical", "B", "5", None),
        (DISPATCHER, "AHU noisy", "hvac", "A", "7", None),
        (TENANT2, "Bin room 漏水", "cleaning", "B", "3", None),
        (DISPATCHER, "Sink slow", "plumbing", "A", "3", Priority.P4),
        (TENANT1, "Door squeaks", "doors_windows", "A", "5", None),
        (SUPERVISOR, "Lift inspection", "elevator", "B", "1", Priority.P3),
    ]
    tickets: list[Ticket] = []
    for actor, title, category, building, floor, prio in specs:
        clock.advance(timedelta(minutes=10))
        tickets.append(
            await create(
                handlers, actor, title, category=category, building=building, floor=floor,
                priority=prio,
            )
        )  # fmt: skip
    t = [x.id for x in tickets]
    clock.advance()
    await handlers.transition(DISPATCHER, t[0], Action.ACCEPT)
    await handlers.transition(DISPATCHER, t[1], Action.ASSIGN, assignee="tech2")
    await handlers.transition(DISPATCHER, t[2], Action.ASSIGN, assignee="tech1")
    await handlers.transition(DISPATCHER, t[4], Action.ASSIGN, assignee="tech1")
    await handlers.transition(TECH1, t[4], Action.START)
    await handlers.transition(DISPATCHER, t[5], Action.CANCEL)

    window = day_of(clock)
    current = {
        v.ticket.id: v.ticket for v in (await handlers.list_tickets(ADMIN, window, 200, ""))[0]
    }
    assert set(current) == set(t)

    async def ids(**narrow: Any) -> list[str]:
        views, token = await handlers.list_tickets(DISPATCHER, replace(window, **narrow), 50, "")
        assert token == ""
        return [v.ticket.id for v in views]

    def expect(pred: Any) -> list[str]:
        chosen = [x for x in current.values() if pred(x)]
        chosen.sort(key=lambda x: (x.created_at, UUID(x.id)), reverse=True)
        return [x.id for x in chosen]

    assert await ids() == expect(lambda x: True)
    assert await ids(statuses=("submitted",)) == [t[6], t[3]]
    assert await ids(statuses=("assigned", "in_progress")) == [t[4], t[2], t[1]]
    assert await ids(statuses=("cancelled",)) == [t[5]]
    assert await ids(categories=("plumbing",)) == [t[4], t[0]]
    assert await ids(categories=("plumbing", "hvac")) == [t[4], t[2], t[0]]
    assert await ids(building="B") == [t[6], t[3], t[1]]
    assert await ids(building="A", floor="3") == [t[4], t[0]]
    assert await ids(floor="3") == [t[4], t[3], t[0]]
    assert await ids(assignee="tech1") == [t[4], t[2]]
    assert await ids(assignee="tech2") == [t[1]]
    assert await ids(priorities=("P1",)) == [t[3]]
    assert await ids(priorities=("P4",)) == [t[4]]
    assert await ids(priorities=("P2",)) == expect(lambda x: x.priority is Priority.P2)
    assert await ids(kinds=("inquiry",)) == []
    assert await ids(source="staff") == [t[6], t[4], t[2]]
    assert await ids(categories=("plumbing",), statuses=("accepted",)) == [t[0]]

    # Created range: after is inclusive, before is exclusive.
    edge = current[t[2]].created_at
    assert await ids(created_after=edge) == expect(lambda x: x.created_at >= edge)
    assert await ids(created_after=edge) == [t[6], t[5], t[4], t[3], t[2]]
    assert await ids(created_before=edge) == [t[1], t[0]]
    assert await ids(created_after=edge, created_before=current[t[4]].created_at) == [t[3], t[2]]

    # By id (a drill-down from a figure): newest first, other filters still apply.
    assert await ids(ids=(t[0], t[4], t[6])) == [t[6], t[4], t[0]]
    assert await ids(ids=(t[0], t[4]), statuses=("in_progress",)) == [t[4]]
    assert await ids(ids=(str(UUID(int=7)),)) == []
    with pytest.raises(InvalidInput):
        await ids(ids=("not-a-uuid",))
    with pytest.raises(InvalidInput):
        await ids(ids=tuple(str(UUID(int=n)) for n in range(1001)))


async def test_cursor_pagination(handlers: IntakeHandlers, clock: Clock) -> None:
    base = clock.now
    rng = random.Random(7)
    offsets = [rng.randrange(0, 8) for _ in range(23)]  # shuffled, with many ties
    made: list[Ticket] = []
    for i, off in enumerate(offsets):
        clock.set(base + timedelta(minutes=off))
        made.append(await create(handlers, TENANT1, f"Page {i}"))
    expected = [x.id for x in sorted(made, key=lambda x: (x.created_at, UUID(x.id)), reverse=True)]
    window = day_of(clock)

    for actor in (TENANT1, DISPATCHER, ADMIN):
        seen: list[str] = []
        token = ""
        pages = 0
        while True:
            views, token = await handlers.list_tickets(actor, window, 5, token)
            pages += 1
            assert len(views) <= 5
            seen += [v.ticket.id for v in views]
            if not token:
                break
        assert pages == 5
        assert len(seen) == len(set(seen)) == 23
        assert seen == expected

    # Exactly a page's worth: no empty trailing page.
    views, token = await handlers.list_tickets(DISPATCHER, window, 23, "")
    assert len(views) == 23
    assert token == ""
    views, token = await handlers.list_tickets(DISPATCHER, window, 0, "")  # default size
    assert [v.ticket.id for v in views] == expected
    assert token == ""

    # A ticket created after the first page was read does not shift later pages.
    first, token = await handlers.list_tickets(DISPATCHER, window, 10, "")
    clock.set(base + timedelta(minutes=30))
    await create(handlers, TENANT1, "Late arrival")
    rest: list[str] = []
    while token:
        views, token = await handlers.list_tickets(DISPATCHER, window, 10, token)
        rest += [v.ticket.id for v in views]
    assert [v.ticket.id for v in first] + rest == expected


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        "!!!!",
        "Zm9v",  # "foo"
        base64.urlsafe_b64encode(b"x|y").decode(),
        base64.urlsafe_b64encode(b"2026-01-01T00:00:00+00:00|not-a-uuid").decode(),
        base64.urlsafe_b64encode(b"2026-13-01T00:00:00+00:00|" + b"0" * 32).decode(),
        base64.urlsafe_b64encode(b"a|b|c").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe|\xff").decode(),
    ],
)
async def test_bad_page_token(handlers: IntakeHandlers, token: str) -> None:
    with pytest.raises(InvalidInput):
        await handlers.list_tickets(DISPATCHER, TicketFilter(), 10, token)


# ---------------------------------------------------------------------------------------
# Closing unrated tickets
# ---------------------------------------------------------------------------------------


async def _to_awaiting_rating(handlers: IntakeHandlers, title: str) -> Ticket:
    ticket = await create(handlers, TENANT1, title)
    await handlers.transition(DISPATCHER, ticket.id, Action.ASSIGN, assignee="tech1")
    view = await handlers.transition(TECH1, ticket.id, Action.RESOLVE)
    assert view.ticket.status is Status.AWAITING_RATING
    return view.ticket


async def test_close_unrated(handlers: IntakeHandlers, clock: Clock) -> None:
    # Far before any other test's clock, so only this test's tickets can be old enough.
    t0 = clock.set(datetime(2001, 3, 1, 9, 0, tzinfo=UTC))
    window = timedelta(days=7)
    old = await _to_awaiting_rating(handlers, "Old, unrated")
    staff = await create(handlers, DISPATCHER, "Staff request")
    await handlers.transition(DISPATCHER, staff.id, Action.ASSIGN, assignee="tech1")
    await handlers.transition(TECH1, staff.id, Action.RESOLVE)  # resolved, no rating due
    working = await create(handlers, TENANT1, "Still in progress")
    await handlers.transition(DISPATCHER, working.id, Action.ASSIGN, assignee="tech1")
    await handlers.transition(TECH1, working.id, Action.START)
    clock.set(t0 + timedelta(days=6))
    recent = await _to_awaiting_rating(handlers, "Recent, unrated")

    clock.set(t0 + window - timedelta(minutes=1))
    assert await handlers.close_unrated(window) == 0

    closing_time = clock.set(t0 + window + timedelta(hours=1))
    assert await handlers.close_unrated(window) == 1

    def status(t: TicketView) -> Status:
        return t.ticket.status

    assert status(await handlers.get_ticket(ADMIN, old.id)) is Status.CLOSED
    assert status(await handlers.get_ticket(ADMIN, recent.id)) is Status.AWAITING_RATING
    assert status(await handlers.get_ticket(ADMIN, staff.id)) is Status.RESOLVED
    assert status(await handlers.get_ticket(ADMIN, working.id)) is Status.IN_PROGRESS
    closed = (await handlers.get_ticket(ADMIN, old.id)).ticket
    assert closed.status_changed_at == closing_time
    assert closed.rating is None
    last = (await handlers.events(ADMIN, old.id))[-1]
    assert (last.type, last.from_status, last.to_status) == ("closed", "awaiting_rating", "closed")
    assert (last.actor, last.actor_role, last.note) == (
        "system",
        "system",
        "closed without a rating",
    )
    assert last.occurred_at == closing_time

    assert await handlers.close_unrated(window) == 0  # nothing left that old
    clock.set(t0 + timedelta(days=6) + window + timedelta(seconds=1))
    assert await handlers.close_unrated(window) == 1
    assert status(await handlers.get_ticket(ADMIN, recent.id)) is Status.CLOSED
    with pytest.raises(IllegalTransition):
        await handlers.rate(TENANT1, recent.id, 5, "too late")


# ---------------------------------------------------------------------------------------
# Attachments
# ---------------------------------------------------------------------------------------


async def test_attachments(
    handlers: IntakeHandlers, pool: AsyncConnectionPool, clock: Clock
) -> None:
    ticket = await create(handlers, TENANT1, "Ceiling stain")
    clock.advance()
    row = await handlers.add_attachment(TENANT1, ticket.id, "stain.png", "image/png", PNG)
    assert (row.ticket_id, row.filename, row.content_type) == (ticket.id, "stain.png", "image/png")
    assert row.size_bytes == len(PNG)
    assert row.sha256 == hashlib.sha256(PNG).hexdigest()
    assert (row.uploaded_by, row.created_at) == ("tenant1", clock.now)

    got, content = await handlers.get_attachment(TENANT1, ticket.id, row.id)
    assert content == PNG
    assert got == row
    got, content = await handlers.get_attachment(TECH1, ticket.id, row.id)
    assert content == PNG

    view = await handlers.get_ticket(TENANT1, ticket.id)
    assert view.attachments == [row]
    listed, _ = await handlers.list_tickets(TENANT1, day_of(clock), 10, "")
    assert [v.attachments for v in listed if v.ticket.id == ticket.id] == [[row]]

    before = await table_counts(pool)
    with pytest.raises(InvalidInput):
        await handlers.add_attachment(TENANT1, ticket.id, "notes.txt", "text/plain", b"hello\n")
    with pytest.raises(InvalidInput):
        await handlers.add_attachment(TENANT1, ticket.id, "stain.jpg", "image/jpeg", PNG)
    with pytest.raises(InvalidInput):
        await handlers.add_attachment(TENANT1, ticket.id, "../stain.png", "image/png", PNG)
    with pytest.raises(NotFound):
        await handlers.add_attachment(TENANT2, ticket.id, "stain.png", "image/png", PNG)
    with pytest.raises(NotFound):
        await handlers.add_attachment(PLANNER, ticket.id, "stain.png", "image/png", PNG)
    assert await table_counts(pool) == before

    # The same bytes twice: two attachments, one stored blob.
    clock.advance()
    second = await handlers.add_attachment(DISPATCHER, ticket.id, "again.png", "", PNG)
    assert second.id != row.id
    blobs = await scalar(
        pool, "SELECT count(*) FROM intake.attachment_blobs WHERE sha256 = %s", (row.sha256,)
    )
    assert blobs == 1
    assert [a.id for a in (await handlers.get_ticket(TENANT1, ticket.id)).attachments] == [
        row.id,
        second.id,
    ]

    with pytest.raises(NotFound):
        await handlers.get_attachment(TENANT2, ticket.id, row.id)
    with pytest.raises(NotFound):
        await handlers.get_attachment(TENANT1, ticket.id, "not-a-uuid")
    other = await create(handlers, TENANT1, "Another")
    with pytest.raises(NotFound):
        await handlers.get_attachment(TENANT1, other.id, row.id)

    events = await handlers.events(TENANT1, ticket.id)
    assert [e.type for e in events] == ["created", "attachment_added", "attachment_added"]
    added = events[1]
    assert (added.from_status, added.to_status, added.actor) == (
        "submitted",
        "submitted",
        "tenant1",
    )
    assert added.payload == {
        "attachment_id": row.id,
        "filename": "stain.png",
        "content_type": "image/png",
        "size_bytes": len(PNG),
    }
    stored = (await handlers.get_ticket(TENANT1, ticket.id)).ticket
    assert (stored.status, stored.version) == (Status.SUBMITTED, 1)


# ---------------------------------------------------------------------------------------
# Credentials
# ---------------------------------------------------------------------------------------


async def test_verify_credentials(handlers: IntakeHandlers, pool: AsyncConnectionPool) -> None:
    user = await handlers.verify_credentials("tenant1", "demo")
    assert (user.username, user.role, user.site, user.unit, user.locale) == (
        "tenant1",
        "tenant",
        "demo",
        "A-301",
        "zh-CN",
    )
    admin = await handlers.verify_credentials("admin", "demo")
    assert (admin.role, admin.locale) == ("admin", "en")

    for username, password in [
        ("tenant1", "wrong"),
        ("tenant1", ""),
        ("tenant1", "DEMO"),
        ("nobody-here", "demo"),
        ("", ""),
    ]:
        with pytest.raises(Unauthenticated):
            await handlers.verify_credentials(username, password)

    name = f"gone-{random.getrandbits(32):x}"
    async with pool.connection() as conn:
        await conn.execute(
            "INSERT INTO intake.users (username, password_hash, role, site, disabled)"
            " VALUES (%s, %s, 'technician', 'demo', true)",
            (name, hash_password("demo")),
        )
    with pytest.raises(Unauthenticated):
        await handlers.verify_credentials(name, "demo")


# ---------------------------------------------------------------------------------------
# Regressions: bugs found and fixed
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field", ["title", "description", "contact", "idempotency_key", "note", "filename"]
)
async def test_nul_characters_are_invalid_input(handlers: IntakeHandlers, field: str) -> None:
    bad = "bad\x00value"
    with pytest.raises(InvalidInput):
        if field in ("title", "description", "contact"):
            changes: dict[str, Any] = {field: bad}
            request = replace(ticket_request(), **changes)
            await handlers.create_ticket(TENANT1, request)
        elif field == "idempotency_key":
            await handlers.create_ticket(TENANT1, ticket_request(), idempotency_key=bad)
        else:
            ticket = await create(handlers, TENANT1, "NUL probe")
            if field == "note":
                await handlers.transition(DISPATCHER, ticket.id, Action.ACCEPT, note=bad)
            else:
                await handlers.add_attachment(TENANT1, ticket.id, bad + ".png", "image/png", PNG)


async def test_system_actor_lists_what_it_can_see(handlers: IntakeHandlers, clock: Clock) -> None:
    ticket = await create(handlers, TENANT1, "For the system")
    system = Actor("system", Role.SYSTEM, site="north")
    assert (await handlers.get_ticket(system, ticket.id)).ticket.id == ticket.id
    views, _ = await handlers.list_tickets(system, day_of(clock), 10, "")
    assert [v.ticket.id for v in views] == [ticket.id]
