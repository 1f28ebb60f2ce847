"""The notification process as it runs (`python -m services.notification`) against a real
database of its own: health, metrics, the gRPC API (inbox, contacts, deliveries), a clean
stop; and the outbox repository's lease rules.

No intake runs here: the process keeps trying to follow the event log, which must not
stop it from serving its API.
"""

from __future__ import annotations

import contextlib
import signal
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest
import pytest_asyncio
from grpc_health.v1 import health_pb2, health_pb2_grpc
from maintenance.notification.v1 import notification_pb2 as pb
from maintenance.notification.v1 import notification_pb2_grpc as pb_grpc
from psycopg_pool import AsyncConnectionPool

from services.common.db import create_pool
from services.launcher.stack import LocalStack, Process, free_port
from services.notification.adapters.inbox_repo import InboxRepository
from services.notification.adapters.outbox_repo import OutboxRepository
from services.notification.domain.model import EventFacts, MessageKind, Notice, TicketFacts
from tests.integration.conftest import (
    migrated_database,
)

NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def api_db() -> Iterator[str]:
    with migrated_database(["notification"]) as url:
        yield url


class Running:
    def __init__(self, stack: LocalStack, target: str, metrics_url: str) -> None:
        self.stack = stack
        self.target = target
        self.metrics_url = metrics_url


@pytest.fixture(scope="module")
def process(api_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    grpc_port, metrics_port = free_port(), free_port()
    env = {
        "DATABASE_URL": api_db,
        "NOTIFICATION_GRPC_PORT": str(grpc_port),
        "NOTIFICATION_METRICS_PORT": str(metrics_port),
        "NOTIFICATION_INTAKE_TARGET": f"127.0.0.1:{free_port()}",  # nobody there
        "NOTIFICATION_GRACE_S": "1",
    }
    log_path: Path = tmp_path_factory.mktemp("notification-api") / "notification.log"
    with log_path.open("w") as sink:
        stack = LocalStack(
            env=env, processes=(Process("notification", "services.notification"),), sink=sink
        )
        stack.start()
        running = Running(
            stack, f"127.0.0.1:{grpc_port}", f"http://127.0.0.1:{metrics_port}/metrics"
        )
        try:
            _wait_serving(running)
            yield running
        finally:
            stack.stop()
    codes = {name: child.returncode for name, child in stack.children.items()}
    assert all(code in (0, -signal.SIGTERM) for code in codes.values()), (codes, log_path)


def _wait_serving(running: Running, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert not running.stack.exited(), "notification exited before it was ready"
        with grpc.insecure_channel(running.target) as channel, contextlib.suppress(grpc.RpcError):
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(
                    service="maintenance.notification.v1.NotificationService"
                ),
                timeout=1,
            )
            if reply.status == health_pb2.HealthCheckResponse.SERVING:
                return
        time.sleep(0.05)
    raise TimeoutError("notification not serving")


@pytest_asyncio.fixture(scope="module")
async def stub(process: Running) -> AsyncIterator[pb_grpc.NotificationServiceAsyncStub]:
    channel = grpc.aio.insecure_channel(process.target)
    try:
        yield pb_grpc.NotificationServiceStub(channel)
    finally:
        await channel.close(grace=None)


@pytest_asyncio.fixture(scope="module")
async def pool(api_db: str) -> AsyncIterator[AsyncConnectionPool]:
    pool = create_pool(api_db, min_size=1, max_size=4)
    await pool.open(wait=True, timeout=10)
    try:
        yield pool
    finally:
        await pool.close()


def _notice(user: str, n: int) -> Notice:
    return Notice(user, MessageKind.RECEIVED, "en", f"Title {n}", f"Body {n}", True, ())


async def _fill_inbox(
    pool: AsyncConnectionPool, user: str, count: int, site: str = "demo", first: int = 1
) -> None:
    async with pool.connection() as conn, conn.transaction():
        repo = InboxRepository(conn)
        for n in range(count):
            event = EventFacts(first + n, f"ticket-{n % 2}", "created", user, NOW)
            ticket = TicketFacts(f"ticket-{n % 2}", f"T{n}", "title", user, "tenant", site=site)
            assert await repo.add(event, ticket, _notice(user, n))
            assert not await repo.add(event, ticket, _notice(user, n))  # once per event and user


def test_health_and_metrics_are_served(process: Running) -> None:
    with urllib.request.urlopen(process.metrics_url, timeout=5) as reply:
        text = reply.read().decode()
    for name in ("notification_deliveries_sent_total", "notification_delivery_failures_total",
                 "notification_deliveries_dead_total", "notification_outbox_depth"):  # fmt: skip
        assert name in text


async def test_the_inbox_pages_newest_first_and_marks_read(
    stub: pb_grpc.NotificationServiceAsyncStub, pool: AsyncConnectionPool
) -> None:
    user, other = f"u{uuid.uuid4().hex[:8]}", f"o{uuid.uuid4().hex[:8]}"
    await _fill_inbox(pool, user, 7)
    await _fill_inbox(pool, other, 1)
    titles: list[str] = []
    token = ""
    pages = 0
    while True:
        reply = await stub.ListInbox(
            pb.ListInboxRequest(username=user, page_size=3, page_token=token)
        )
        titles += [n.title for n in reply.notifications]
        assert reply.unread_count == 7
        assert all(
            n.username == user and n.ticket_id.startswith("ticket-") for n in reply.notifications
        )
        pages += 1
        token = reply.next_page_token
        if not token:
            break
    assert pages == 3 and titles == [f"Title {n}" for n in range(6, -1, -1)]

    first = (await stub.ListInbox(pb.ListInboxRequest(username=user))).notifications
    foreign = (await stub.ListInbox(pb.ListInboxRequest(username=other))).notifications[0]
    marked = await stub.MarkRead(pb.MarkReadRequest(username=user, ids=[first[0].id, foreign.id]))
    assert marked.marked == 1
    unread = await stub.ListInbox(pb.ListInboxRequest(username=user, unread_only=True))
    assert unread.unread_count == 6 and first[0].id not in [n.id for n in unread.notifications]
    read = (await stub.ListInbox(pb.ListInboxRequest(username=user))).notifications[0]
    assert read.HasField("read_at")
    assert (await stub.MarkRead(pb.MarkReadRequest(username=user, all=True))).marked == 6
    assert (await stub.ListInbox(pb.ListInboxRequest(username=other))).unread_count == 1

    for bad in (
        pb.ListInboxRequest(username=user, page_token="not-a-token"),
        pb.ListInboxRequest(username=""),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.ListInbox(bad)
        assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.MarkRead(pb.MarkReadRequest(username=user))
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT


async def test_a_roles_shared_inbox_is_read_by_its_members(
    stub: pb_grpc.NotificationServiceAsyncStub, pool: AsyncConnectionPool
) -> None:
    user, group = f"s{uuid.uuid4().hex[:8]}", f"role:r{uuid.uuid4().hex[:8]}"
    await _fill_inbox(pool, user, 1)
    await _fill_inbox(pool, group, 2)
    alone = await stub.ListInbox(pb.ListInboxRequest(username=user))
    assert (len(alone.notifications), alone.unread_count) == (1, 1)
    both = await stub.ListInbox(pb.ListInboxRequest(username=user, groups=[group]))
    assert (len(both.notifications), both.unread_count) == (3, 3)
    assert {n.username for n in both.notifications} == {user, group}
    marked = await stub.MarkRead(pb.MarkReadRequest(username=user, all=True, groups=[group]))
    assert marked.marked == 3
    member = await stub.ListInbox(pb.ListInboxRequest(username="someone-else", groups=[group]))
    assert member.unread_count == 0  # read for every member
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.ListInbox(pb.ListInboxRequest(username=user, groups=["supervisor"]))
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT


async def test_a_shared_inbox_shows_a_site_only_its_own_tickets_messages(
    stub: pb_grpc.NotificationServiceAsyncStub, pool: AsyncConnectionPool
) -> None:
    user, group = f"s{uuid.uuid4().hex[:8]}", f"role:r{uuid.uuid4().hex[:8]}"
    await _fill_inbox(pool, user, 1, site="south")  # addressed to them: theirs anywhere
    await _fill_inbox(pool, group, 2, site="north")
    await _fill_inbox(pool, group, 3, site="south", first=10)
    await _fill_inbox(pool, group, 1, site="", first=20)  # stored before sites were

    async def listed(site: str) -> tuple[list[str], int]:
        reply = await stub.ListInbox(pb.ListInboxRequest(username=user, groups=[group], site=site))
        return sorted(n.username for n in reply.notifications), reply.unread_count

    assert await listed("north") == ([group] * 2 + [user], 3)
    assert await listed("south") == ([group] * 3 + [user], 4)
    assert await listed("") == ([group] * 6 + [user], 7)
    south = await stub.ListInbox(pb.ListInboxRequest(username="x", groups=[group], site="south"))
    marked = await stub.MarkRead(pb.MarkReadRequest(
        username=user, ids=[n.id for n in south.notifications], groups=[group], site="north"
    ))  # fmt: skip
    assert marked.marked == 0  # another site's shared messages are not the caller's to mark
    everything = pb.MarkReadRequest(username=user, all=True, groups=[group], site="north")
    assert (await stub.MarkRead(everything)).marked == 3
    assert (await listed("south"))[1] == 3  # the group's still unread there
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.ListInbox(pb.ListInboxRequest(username=user, groups=[group], site="x" * 65))
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT


async def test_contacts_are_validated_and_stored(
    stub: pb_grpc.NotificationServiceAsyncStub,
) -> None:
    user = f"c{uuid.uuid4().hex[:8]}"
    unknown = await stub.GetContact(pb.GetContactRequest(username=user))
    assert (unknown.stored, unknown.contact.locale, unknown.contact.in_app) == (
        False,
        "zh-CN",
        True,
    )
    urls = [
        "json://127.0.0.1:9/hook",
        "mailto://u:pw@127.0.0.1:2525?from=n@example.com&to=a@example.com&mode=insecure",
    ]
    contact = pb.Contact(username=user, locale="en_US", apprise_urls=urls, in_app=False)
    made = await stub.PutContact(pb.PutContactRequest(contact=contact))
    assert made.created and made.contact.locale == "en" and list(made.contact.apprise_urls) == urls
    again = await stub.PutContact(pb.PutContactRequest(contact=contact))
    assert not again.created
    stored = await stub.GetContact(pb.GetContactRequest(username=user))
    assert stored.stored and not stored.contact.in_app and stored.contact.HasField("updated_at")
    for bad in (
        pb.Contact(username=user, locale="fr", apprise_urls=[]),
        pb.Contact(username=user, locale="en", apprise_urls=["nosuchthing://x"]),
        pb.Contact(username="", locale="en"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.PutContact(pb.PutContactRequest(contact=bad))
        assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT


async def test_deliveries_are_listed_for_operators_without_their_urls(
    stub: pb_grpc.NotificationServiceAsyncStub, pool: AsyncConnectionPool
) -> None:
    ticket = f"t-{uuid.uuid4().hex[:8]}"
    async with pool.connection() as conn, conn.cursor() as cur:
        await cur.executemany(
            "INSERT INTO notification.deliveries (dedupe_key, event_id, ticket_id, event_type,"
            " kind, recipient, url, channel, scheme, title, body, state, attempts, last_error,"
            " due_at, sent_at, site) VALUES (%s, %s, %s, 'created', 'received', 'tenant1',"
            " 'json://secret-token@h', 'json://h/...', 'json', 't', 'b', %s, %s, %s,"
            " now() + interval '1 day', CASE WHEN %s = 'sent' THEN now() END, %s)",
            [(f"{ticket}:{n}", n, ticket, state, attempts, error, state, site)
             for n, (state, attempts, error, site) in enumerate(
                 [("sent", 1, "", "demo"), ("dead", 5, "boom", "demo"),
                  ("pending", 2, "refused", "demo"), ("sent", 3, "x", "north")]
             )],
        )  # fmt: skip
    everything = await stub.ListDeliveries(pb.ListDeliveriesRequest(ticket_id=ticket, page_size=3))
    assert [d.event_id for d in everything.deliveries] == [3, 2, 1]
    rest = await stub.ListDeliveries(
        pb.ListDeliveriesRequest(ticket_id=ticket, page_token=everything.next_page_token)
    )
    assert [d.event_id for d in rest.deliveries] == [0] and not rest.next_page_token
    dead = await stub.ListDeliveries(
        pb.ListDeliveriesRequest(ticket_id=ticket, state=pb.DELIVERY_STATE_DEAD)
    )
    [row] = dead.deliveries
    assert (row.attempts, row.last_error, row.channel) == (5, "boom", "json://h/...")
    assert "secret" not in str(row)
    pending = await stub.ListDeliveries(
        pb.ListDeliveriesRequest(ticket_id=ticket, state=pb.DELIVERY_STATE_PENDING)
    )
    assert pending.deliveries[0].HasField("next_attempt_at")
    assert not pending.deliveries[0].HasField("sent_at")
    at_north = await stub.ListDeliveries(pb.ListDeliveriesRequest(ticket_id=ticket, site="north"))
    assert [(d.event_id, d.site) for d in at_north.deliveries] == [(3, "north")]
    at_demo = await stub.ListDeliveries(pb.ListDeliveriesRequest(ticket_id=ticket, site="demo"))
    assert [d.event_id for d in at_demo.deliveries] == [2, 1, 0]


async def test_a_lease_keeps_a_claim_and_only_the_claimer_records_its_outcome(
    pool: AsyncConnectionPool,
) -> None:
    """All in one transaction that is rolled back: the running process never sees the row."""
    event = EventFacts(10**15, "lease-ticket", "created", "tenant1", NOW)
    notice = _notice("tenant1", 0)
    async with pool.connection() as conn:
        with contextlib.suppress(_Rollback):
            async with conn.transaction():
                repo = OutboxRepository(conn)
                assert await repo.enqueue(
                    "lease:1", event, notice, "json://h/x", "json://h", "json", "demo"
                )
                assert not await repo.enqueue(
                    "lease:1", event, notice, "json://h/y", "json://h", "json", "demo"
                )
                [first] = await repo.claim(10, lease_s=60)
                assert first.attempts == 1 and first.url == "json://h/x"
                assert await repo.claim(10, lease_s=60) == []  # leased
                assert await repo.mark_failed(first, "refused", retry_in_s=0)
                [second] = await repo.claim(10, lease_s=60)
                assert second.attempts == 2
                assert not await repo.mark_sent(first)  # a stale claim records nothing
                assert await repo.mark_failed(second, "gone", retry_in_s=None)  # dead
                assert await repo.claim(10, lease_s=0) == []
                assert (await repo.depth())["dead"] >= 1
                raise _Rollback


class _Rollback(Exception):
    """Leaves the transaction without committing."""
