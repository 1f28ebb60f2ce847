"""The ticket event log read side: transactions that commit out of order are never skipped.

A reader that orders by id alone and remembers the last id it saw loses an event whose
transaction took its id first but committed last. `read_after` orders by (tx_id, id) and
hands out only transactions older than the oldest one still in flight; these tests hold a
transaction open on purpose and check nothing is skipped or repeated.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncGenerator
from contextlib import aclosing
from datetime import UTC, datetime
from typing import Any, cast

import psycopg
import pytest
from psycopg import AsyncConnection

from services.intake.adapters.event_log import LoggedEvent, parse_cursor, read_after
from services.intake.adapters.tickets_repo import TicketRepository
from services.intake.domain.errors import InvalidInput
from services.intake.domain.model import Action, Channel, NewEvent, Role
from services.intake.handlers import IntakeHandlers
from services.intake.handlers.event_stream import Heartbeat
from tests.integration.conftest import DISPATCHER, TECH1, TENANT1, ticket_request
from tests.support.event_stream import logged


def _event(kind: str, note: str = "") -> NewEvent:
    return NewEvent(
        type=kind,
        from_status=None,
        to_status=None,
        actor="test",
        actor_role=Role.SYSTEM,
        channel=Channel.API,
        occurred_at=datetime.now(UTC),
        note=note,
    )


async def _new_ticket(handlers: IntakeHandlers, title: str) -> str:
    view, _ = await handlers.create_ticket(TENANT1, ticket_request(title))
    return view.ticket.id


async def _drain(
    conn: AsyncConnection[Any], cursor: str, limit: int = 100
) -> tuple[list[LoggedEvent], str]:
    """Every settled event after `cursor`, and the cursor after the last."""
    out: list[LoggedEvent] = []
    while True:
        batch = await read_after(conn, cursor, limit)
        if not batch:
            return out, cursor
        out += batch
        cursor = batch[-1].cursor


def _log_order(events: list[LoggedEvent]) -> bool:
    keys = [(e.tx_id, e.id) for e in events]
    return keys == sorted(keys) and len(set(keys)) == len(keys)


async def _last_id(conn: AsyncConnection[Any], ticket_id: str, kind: str) -> tuple[int, int]:
    cur = await conn.execute(
        "SELECT id, tx_id::text FROM intake.ticket_events WHERE ticket_id = %s AND type = %s"
        " ORDER BY id DESC LIMIT 1",
        (ticket_id, kind),
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


@pytest.mark.parametrize(
    "a_writes_first",
    [
        pytest.param(True, id="A-takes-the-smaller-id-and-commits-last"),
        pytest.param(False, id="A-takes-its-xid-first-but-writes-after-B-commits"),
    ],
)
async def test_a_late_commit_is_not_skipped(
    handlers: IntakeHandlers, database_url: str, a_writes_first: bool
) -> None:
    ticket_id = await _new_ticket(handlers, "Out-of-order commits")
    reader = await AsyncConnection.connect(database_url, autocommit=True)
    conn_a = await AsyncConnection.connect(database_url)  # one open transaction
    conn_b = await AsyncConnection.connect(database_url, autocommit=True)
    try:
        seen, cursor = await _drain(reader, "")
        assert _log_order(seen)

        if a_writes_first:
            await TicketRepository(conn_a).append_events(ticket_id, [_event("test_a")])
        else:  # take a transaction id without writing an event yet
            await conn_a.execute("SELECT pg_current_xact_id()")
        cur = await conn_a.execute("SELECT pg_current_xact_id()::text")
        row = await cur.fetchone()
        assert row is not None
        xid_a = int(row[0])

        async with conn_b.transaction():
            await TicketRepository(conn_b).append_events(ticket_id, [_event("test_b")])
        id_b, tx_b = await _last_id(conn_b, ticket_id, "test_b")
        assert tx_b > xid_a

        if not a_writes_first:
            await TicketRepository(conn_a).append_events(ticket_id, [_event("test_a")])
        id_a, tx_a = await _last_id(conn_a, ticket_id, "test_a")  # A sees its own row
        assert tx_a == xid_a
        assert (id_a < id_b) is a_writes_first

        # A naive "id greater than the last one seen" reader would hand B out now; with
        # a_writes_first it would then move past id_a and never see A's event.
        cur = await reader.execute(
            "SELECT id FROM intake.ticket_events WHERE ticket_id = %s ORDER BY id", (ticket_id,)
        )
        assert id_b in [r[0] for r in await cur.fetchall()]

        # While A is open, B (younger than A) is held back, from any cursor.
        for _ in range(3):
            new, cursor = await _drain(reader, cursor)
            seen += new
            assert not {id_a, id_b} & {e.id for e in new}
            assert all(e.tx_id < xid_a for e in new)
            from_start, _ = await _drain(reader, "", limit=1000)
            assert not {id_a, id_b} & {e.id for e in from_start}
            assert all(e.tx_id < xid_a for e in from_start)
            await asyncio.sleep(0.02)

        await conn_a.commit()

        deadline = time.monotonic() + 15
        while {id_a, id_b} - {e.id for e in seen}:
            assert time.monotonic() < deadline, "committed events never became readable"
            await asyncio.sleep(0.01)
            new, cursor = await _drain(reader, cursor)
            seen += new

        ids = [e.id for e in seen]
        assert len(ids) == len(set(ids)), "an event was handed out twice"
        assert _log_order(seen)
        ours = [e for e in seen if e.ticket_id == ticket_id and e.type.startswith("test_")]
        assert [(e.type, e.id, e.tx_id) for e in ours] == [
            ("test_a", id_a, tx_a),
            ("test_b", id_b, tx_b),
        ]

        # Reading the whole log again from the start gives the same events, in order.
        from_start, _ = await _drain(reader, "", limit=7)
        assert _log_order(from_start)
        assert [e.id for e in from_start if e.id in {id_a, id_b}] == [id_a, id_b]
        assert {e.id for e in seen} <= {e.id for e in from_start}
    finally:
        await conn_a.close()
        await conn_b.close()
        await reader.close()


WRITERS = 8
EVENTS_PER_WRITER = 50


async def _writer(database_url: str, ticket_id: str, seed: int) -> list[int]:
    rng = random.Random(seed)
    written: list[int] = []
    async with await AsyncConnection.connect(database_url, autocommit=True) as conn:
        left = EVENTS_PER_WRITER
        while left:
            size = min(left, rng.randint(1, 4))
            async with conn.transaction():
                batch: list[int] = []
                for _ in range(size):
                    await asyncio.sleep(rng.uniform(0, 0.003))
                    cur = await conn.execute(
                        "INSERT INTO intake.ticket_events (ticket_id, type, actor, actor_role,"
                        " channel, note, occurred_at) VALUES (%s, 'load', 'test', 'system',"
                        " 'api', %s, now()) RETURNING id",
                        (ticket_id, f"writer {seed}"),
                    )
                    row = await cur.fetchone()
                    assert row is not None
                    batch.append(int(row[0]))
                await asyncio.sleep(rng.uniform(0, 0.003))
            written += batch
            left -= size
    return written


async def test_transaction_ids_are_ordered_as_numbers_not_as_text(
    handlers: IntakeHandlers, database_url: str
) -> None:
    """Transaction ids of more digits sort after fewer (10 after 9), page by page: a log
    whose ids had crossed a power of ten was once read in text order, and its events were
    handed out twice or never."""
    ticket_id = await _new_ticket(handlers, "Ids across a power of ten")
    planted = [9, 10, 99, 100, 999, 1000]
    async with await AsyncConnection.connect(database_url) as conn:  # rolled back at exit
        for tx_id in reversed(planted):
            await conn.execute(
                "INSERT INTO intake.ticket_events (tx_id, ticket_id, type, actor, actor_role,"
                " channel, occurred_at) VALUES (%s::text::xid8, %s, 'comment', 'test',"
                " 'system', 'api', now())",
                (str(tx_id), ticket_id),
            )
        seen, _ = await _drain(conn, "", limit=2)
        assert _log_order(seen)
        assert [e.tx_id for e in seen if e.ticket_id == ticket_id][:6] == planted
        await conn.rollback()


async def test_concurrent_writers_and_a_reader(handlers: IntakeHandlers, database_url: str) -> None:
    ticket_id = await _new_ticket(handlers, "Many writers")
    total = WRITERS * EVENTS_PER_WRITER
    async with await AsyncConnection.connect(database_url, autocommit=True) as reader:
        _, start = await _drain(reader, "")

        read: list[LoggedEvent] = []

        async def read_until_complete() -> str:
            cursor = start
            ours = 0
            deadline = time.monotonic() + 30
            while ours < total:
                assert time.monotonic() < deadline, f"only {ours} of {total} events arrived"
                batch = await read_after(reader, cursor, 37)
                if not batch:
                    await asyncio.sleep(0.002)
                    continue
                read.extend(batch)
                ours += sum(1 for e in batch if e.ticket_id == ticket_id and e.type == "load")
                cursor = batch[-1].cursor
            return cursor

        *written, cursor = await asyncio.gather(
            *(_writer(database_url, ticket_id, seed) for seed in range(WRITERS)),
            read_until_complete(),
        )

        ids = [e.id for e in read]
        assert len(ids) == len(set(ids)), "an event was read twice"
        assert _log_order(read)
        ours = [e.id for e in read if e.ticket_id == ticket_id and e.type == "load"]
        assert len(ours) == len(set(ours)) == total
        assert set(ours) == {i for w in written for i in cast(list[int], w)}

        # Nothing of ours was left behind the cursor.
        rest, _ = await _drain(reader, cast(str, cursor))
        assert not [e for e in rest if e.ticket_id == ticket_id and e.type == "load"]


async def test_stream_events_replays_from_a_cursor(handlers: IntakeHandlers) -> None:
    ticket_id = await _new_ticket(handlers, "Stream me")
    await handlers.transition(DISPATCHER, ticket_id, Action.ACCEPT)
    await handlers.transition(DISPATCHER, ticket_id, Action.ASSIGN, assignee="tech1")
    await handlers.transition(TECH1, ticket_id, Action.START)

    everything = await logged(handlers.stream_events("", follow=False, batch=3))
    assert _log_order(everything)
    ours = [e for e in everything if e.ticket_id == ticket_id]
    assert [e.type for e in ours] == ["created", "accepted", "assigned", "started"]

    created_at = everything.index(ours[0])
    replay = await logged(handlers.stream_events(ours[0].cursor, follow=False, batch=2))
    assert replay == everything[created_at + 1 :]
    assert [e.type for e in replay if e.ticket_id == ticket_id] == [
        "accepted",
        "assigned",
        "started",
    ]
    assert await logged(handlers.stream_events(everything[-1].cursor, follow=False)) == []

    with pytest.raises(InvalidInput):
        _ = await logged(handlers.stream_events("not-a-cursor", follow=False))

    # Following: a new event arrives on the open stream.
    stream = cast(
        AsyncGenerator[LoggedEvent, None],
        handlers.stream_events(everything[-1].cursor, follow=True, heartbeat_s=60),
    )
    async with aclosing(stream):
        waiting = asyncio.ensure_future(anext(stream))
        await asyncio.sleep(0.05)
        assert not waiting.done()
        await handlers.transition(TECH1, ticket_id, Action.RESOLVE)
        first = await asyncio.wait_for(waiting, 10)
        assert (first.ticket_id, first.type) == (ticket_id, "resolved")
        second = await asyncio.wait_for(anext(stream), 10)
        assert second.type == "awaiting_rating"


async def test_events_are_not_readable_before_their_transaction_commits(
    database_url: str, handlers: IntakeHandlers
) -> None:
    """A rolled-back transaction leaves nothing in the log and does not block readers."""
    ticket_id = await _new_ticket(handlers, "Rolled back")
    async with await AsyncConnection.connect(database_url, autocommit=True) as reader:
        _, cursor = await _drain(reader, "")
        async with await AsyncConnection.connect(database_url) as conn:
            await TicketRepository(conn).append_events(ticket_id, [_event("test_rollback")])
            await conn.rollback()
        await handlers.transition(DISPATCHER, ticket_id, Action.ACCEPT)
        deadline = time.monotonic() + 15
        seen: list[LoggedEvent] = []
        while not any(e.type == "accepted" and e.ticket_id == ticket_id for e in seen):
            assert time.monotonic() < deadline
            new, cursor = await _drain(reader, cursor)
            seen += new
            await asyncio.sleep(0.01)
        assert not [e for e in seen if e.type == "test_rollback"]
        with pytest.raises(psycopg.errors.RaiseException):
            await reader.execute(
                "DELETE FROM intake.ticket_events WHERE ticket_id = %s", (ticket_id,)
            )


async def test_a_quiet_followed_stream_beats_with_how_far_it_read(
    handlers: IntakeHandlers,
) -> None:
    everything = await logged(handlers.stream_events("", follow=False))
    stream = handlers.stream_events(everything[-1].cursor, follow=True, heartbeat_s=0.2)
    async with aclosing(cast(AsyncGenerator[LoggedEvent | Heartbeat, None], stream)) as beats:
        began = time.monotonic()
        first = await asyncio.wait_for(anext(beats), 10)
        assert isinstance(first, Heartbeat) and time.monotonic() - began >= 0.2
        assert parse_cursor(first.cursor) >= parse_cursor(everything[-1].cursor)
