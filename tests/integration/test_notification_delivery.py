"""The notification service end to end against real things: PostgreSQL, a real intake
process, a real SMTP server (aiosmtpd) and a real HTTP webhook receiver (aiohttp), all on
127.0.0.1. The notification handlers run in this process so the tests can stop and restart
the event follower (replays) and read metrics.

The module uses a database of its own, so the event log holds only its own tickets.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
import pytest_asyncio
from grpc_health.v1 import health_pb2, health_pb2_grpc
from maintenance.intake.v1 import intake_pb2 as pb
from maintenance.intake.v1 import intake_pb2_grpc
from prometheus_client import REGISTRY
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from services.common.db import create_pool
from services.common.listen import listen_forever
from services.intake.demo import seed_demo as seed_intake
from services.launcher.stack import LocalStack, Process, free_port, free_port_env
from services.notification.adapters.apprise_channels import AppriseChannels
from services.notification.adapters.intake_client import IntakeTickets
from services.notification.adapters.outbox_repo import WAKE_CHANNEL, DeliveryFilter, DeliveryRow
from services.notification.domain.delivery import RetryPolicy
from services.notification.domain.model import Contact, DeliveryState, EventFacts
from services.notification.entrypoint.events import CONSUMER, event_follower
from services.notification.handlers.events import EventNotifier
from services.notification.handlers.inbox import NotificationHandlers
from services.notification.handlers.outbox import DeliveryWorker
from tests.integration.conftest import (
    migrated_database,
)
from tests.support.receivers import Mailbox, Webhook, running_mailbox, running_webhook

MAX_ATTEMPTS = 5
TENANT1 = pb.Actor(username="tenant1", role=pb.ROLE_TENANT, site="demo", channel=pb.CHANNEL_APP,
                   unit="A-301")  # fmt: skip
TENANT2 = pb.Actor(username="tenant2", role=pb.ROLE_TENANT, site="demo", channel=pb.CHANNEL_WEB,
                   unit="B-502")  # fmt: skip
DISPATCHER = pb.Actor(username="dispatcher1", role=pb.ROLE_DISPATCHER, site="demo")
TECH2 = pb.Actor(username="tech2", role=pb.ROLE_TECHNICIAN, site="demo", channel=pb.CHANNEL_APP)
ADMIN = pb.Actor(username="admin", role=pb.ROLE_ADMIN)
SYSTEM = pb.Actor(username="sla", role=pb.ROLE_SYSTEM)


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def notification_db() -> Iterator[str]:
    with migrated_database(["intake", "notification"]) as url:
        # The demo users' passwords play no part here; hashing them with argon2 takes seconds.
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("services.intake.handlers.users.hash_password", lambda _: "not-a-hash")
            seed_intake(url)
        yield url


def _wait_serving(target: str, stack: LocalStack, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert not stack.exited(), "intake exited before it was ready"
        # A new channel each time: a channel that failed to connect backs off for seconds.
        with grpc.insecure_channel(target) as channel, contextlib.suppress(grpc.RpcError):
            health = health_pb2_grpc.HealthStub(channel)
            reply = health.Check(health_pb2.HealthCheckRequest(), timeout=1)
            if reply.status == health_pb2.HealthCheckResponse.SERVING:
                return
        time.sleep(0.05)
    raise TimeoutError(f"intake at {target} not serving after {timeout_s}s")


@pytest.fixture(scope="module")
def intake_target(notification_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env, _ = free_port_env(notification_db, INTAKE_STREAM_POLL_S="0.02")
    log_path: Path = tmp_path_factory.mktemp("notification") / "intake.log"
    with log_path.open("w") as sink:
        stack = LocalStack(env=env, processes=(Process("intake", "services.intake"),), sink=sink)
        stack.start()
        try:
            target = f"127.0.0.1:{env['INTAKE_GRPC_PORT']}"
            _wait_serving(target, stack)
            yield target
        finally:
            stack.stop()


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with running_mailbox() as box:
        yield box


@pytest.fixture(scope="module")
def webhook() -> Iterator[Webhook]:
    with running_webhook() as hook:
        yield hook


@dataclass
class Service:
    """The notification service's parts, running in this event loop."""

    database_url: str
    pool: AsyncConnectionPool
    intake: intake_pb2_grpc.IntakeServiceAsyncStub
    notifier: EventNotifier
    worker: DeliveryWorker
    handlers: NotificationHandlers
    follower: asyncio.Task[None] | None = None

    def start_following(self) -> None:
        self.follower = asyncio.create_task(
            event_follower(self.intake, self.pool, self.notifier, 0.2).run()
        )

    async def stop_following(self) -> None:
        if self.follower is not None:
            self.follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.follower
            self.follower = None

    async def deliveries(self, ticket_id: str) -> list[DeliveryRow]:
        rows, _ = await self.handlers.list_deliveries(DeliveryFilter(ticket_id=ticket_id), 200, "")
        return rows

    async def cursor(self) -> str:
        async with self.pool.connection() as conn, conn.cursor() as cur:
            await cur.execute(
                "SELECT cursor FROM notification.event_cursor WHERE consumer = %s", (CONSUMER,)
            )
            row = await cur.fetchone()
        return str(row[0]) if row else ""

    async def count(self, table: str) -> int:
        async with self.pool.connection() as conn, conn.cursor() as cur:
            await cur.execute(
                sql.SQL("SELECT count(*) FROM notification.{}").format(sql.Identifier(table))
            )
            row = await cur.fetchone()
        return int(row[0]) if row else 0


@pytest_asyncio.fixture(scope="module")
async def service(notification_db: str, intake_target: str) -> AsyncIterator[Service]:
    pool = create_pool(notification_db, min_size=1, max_size=12)
    await pool.open(wait=True, timeout=10)
    channel = grpc.aio.insecure_channel(intake_target)
    intake = intake_pb2_grpc.IntakeServiceStub(channel)
    channels = AppriseChannels(timeout_s=30)
    notifier = EventNotifier(IntakeTickets(intake, 30), channels, lambda: datetime.now(UTC),
                             "zh-CN", timedelta(days=1))  # fmt: skip
    worker = DeliveryWorker(pool, channels, RetryPolicy(MAX_ATTEMPTS, 0.05, 1.0), lease_s=60)
    svc = Service(notification_db, pool, intake, notifier, worker,
                  NotificationHandlers(pool, channels, "zh-CN"))  # fmt: skip
    background = [
        asyncio.create_task(worker.run_forever(0.05, depth_every_s=0.2)),
        asyncio.create_task(listen_forever(notification_db, WAKE_CHANNEL, worker.wake, 0.2)),
    ]
    svc.start_following()
    try:
        yield svc
    finally:
        await svc.stop_following()
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        await channel.close(grace=None)
        await pool.close()


# --- helpers -----------------------------------------------------------------------------------


async def eventually(check: Callable[[], Awaitable[bool]], timeout_s: float = 40.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s}s")
        await asyncio.sleep(0.05)


async def settled(svc: Service, ticket_id: str, expected: int) -> list[DeliveryRow]:
    """Wait until the ticket has `expected` deliveries and none is pending; return them."""

    async def done() -> bool:
        rows = await svc.deliveries(ticket_id)
        return len(rows) >= expected and all(r.state is not DeliveryState.PENDING for r in rows)

    await eventually(done)
    return await svc.deliveries(ticket_id)


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def new_ticket(svc: Service, actor: pb.Actor, title: str) -> pb.Ticket:
    reply = await svc.intake.CreateTicket(
        pb.CreateTicketRequest(
            actor=actor, kind=pb.TICKET_KIND_REPAIR, category="plumbing", title=title,
            description="integration test", location=pb.Location(site="demo", building="A", floor="3"),
        )
    )  # fmt: skip
    return reply.ticket


async def act(
    svc: Service, actor: pb.Actor, ticket_id: str, action: pb.Action.ValueType, assignee: str = ""
) -> None:
    await svc.intake.TransitionTicket(
        pb.TransitionTicketRequest(
            actor=actor, ticket_id=ticket_id, action=action, assignee=assignee
        )
    )


async def inbox_of(svc: Service, username: str, ticket_id: str) -> list[Any]:
    items, _, _ = await svc.handlers.list_inbox(username, False, 200, "")
    return [i for i in items if i.ticket_id == ticket_id]


# --- tests -------------------------------------------------------------------------------------


async def test_a_lifecycle_sends_each_message_once_per_recipient_and_channel(
    service: Service, mailbox: Mailbox, webhook: Webhook
) -> None:
    box = mailbox
    await service.handlers.put_contact(
        Contact(
            "tenant1",
            "zh-CN",
            (box.url("tenant1@example.com"), webhook.url("/tenant1")),
        )
    )
    await service.handlers.put_contact(Contact("tech2", "en", (webhook.url("/tech2"),)))

    ticket = await new_ticket(service, TENANT1, "厨房水槽漏水 lifecycle")
    await act(service, DISPATCHER, ticket.id, pb.ACTION_ACCEPT)
    await act(service, DISPATCHER, ticket.id, pb.ACTION_ASSIGN, assignee="tech2")
    await act(service, TECH2, ticket.id, pb.ACTION_START)
    await act(service, TECH2, ticket.id, pb.ACTION_RESOLVE)  # resolved, then awaiting_rating
    await service.intake.RateTicket(
        pb.RateTicketRequest(actor=TENANT1, ticket_id=ticket.id, stars=5)
    )

    # tenant1: 6 messages x (e-mail + webhook); tech2: 2 messages x webhook.
    rows = await settled(service, ticket.id, 14)
    assert len(rows) == 14 and {r.state for r in rows} == {DeliveryState.SENT}
    assert len({r.dedupe_key for r in rows}) == 14
    assert all(r.attempts == 1 and r.channel and "tenant1@" not in r.dedupe_key for r in rows)

    tenant_kinds = ["received", "accepted", "dispatched", "on_the_way", "resolved", "please_rate"]
    tenant_inbox = await inbox_of(service, "tenant1", ticket.id)
    assert [i.kind for i in tenant_inbox] == tenant_kinds[::-1]  # newest first
    assert all(i.locale == "zh-CN" and ticket.number in i.title + i.body for i in tenant_inbox)
    tech_inbox = await inbox_of(service, "tech2", ticket.id)
    assert [(i.kind, i.title) for i in tech_inbox] == [
        ("rated", f"Ticket {ticket.number} rated 5 stars"),
        ("assigned_to_you", f"New assignment: {ticket.number}"),
    ]

    mails = box.to("tenant1@example.com", ticket.number)
    assert sorted(m["Subject"] for m in mails) == sorted(i.title for i in tenant_inbox)
    assert "已派单" in " ".join(m["Subject"] for m in mails)
    assert len(webhook.got("/tenant1", ticket.number)) == 6
    assert [b["title"] for b in webhook.got("/tech2", ticket.number)] == [
        i.title for i in reversed(tech_inbox)
    ]

    # Marking read: only the caller's own, and the unread count follows.
    _, _, unread_before = await service.handlers.list_inbox("tenant1", False, 1, "")
    marked = await service.handlers.mark_read(
        "tenant1", [tenant_inbox[0].id, tech_inbox[0].id], False
    )
    assert marked == 1
    _, _, unread_after = await service.handlers.list_inbox("tenant1", True, 1, "")
    assert unread_after == unread_before - 1


async def test_a_replay_of_the_event_stream_sends_nothing_twice(
    service: Service, mailbox: Mailbox, webhook: Webhook
) -> None:
    box = mailbox
    position = await service.cursor()
    assert position, "the follower has not handled anything yet"
    before = (await service.count("inbox"), await service.count("deliveries"),
              len(box.messages), len(webhook.hits))  # fmt: skip
    await service.stop_following()
    async with service.pool.connection() as conn:
        await conn.execute("DELETE FROM notification.event_cursor")
    service.start_following()

    async def caught_up() -> bool:
        return await service.cursor() == position

    await eventually(caught_up)
    await asyncio.sleep(0.5)  # give the worker every chance to send something twice
    after = (await service.count("inbox"), await service.count("deliveries"),
             len(box.messages), len(webhook.hits))  # fmt: skip
    assert after == before


async def test_a_webhook_that_fails_three_times_then_recovers_delivers_exactly_once(
    service: Service, webhook: Webhook
) -> None:
    await service.handlers.put_contact(Contact("tenant2", "en", (webhook.url("/flaky"),)))
    webhook.fail_first["/flaky"] = 3
    sent, failed = (
        metric("notification_deliveries_sent_total", scheme="json"),
        metric("notification_delivery_failures_total", scheme="json"),
    )
    ticket = await new_ticket(service, TENANT2, "Flaky webhook")

    [row] = await settled(service, ticket.id, 1)
    assert (row.state, row.attempts, row.kind, row.recipient) == (
        DeliveryState.SENT, 4, "received", "tenant2",
    )  # fmt: skip
    assert "500" in row.last_error or "error" in row.last_error.lower()
    assert len(webhook.got("/flaky", ticket.number, status=500)) == 3
    assert len(webhook.got("/flaky", ticket.number)) == 1
    assert metric("notification_deliveries_sent_total", scheme="json") == sent + 1
    assert metric("notification_delivery_failures_total", scheme="json") == failed + 3


async def test_a_channel_that_always_fails_ends_dead_with_its_last_error(
    service: Service,
) -> None:
    nobody = f"json://127.0.0.1:{free_port()}/gone"  # nothing listens there
    await service.handlers.put_contact(Contact("tenant2", "en", (nobody,)))
    dead = metric("notification_deliveries_dead_total", scheme="json")
    ticket = await new_ticket(service, TENANT2, "Nobody listens")

    [row] = await settled(service, ticket.id, 1)
    assert (row.state, row.attempts) == (DeliveryState.DEAD, MAX_ATTEMPTS)
    assert "connection" in row.last_error.lower()
    assert metric("notification_deliveries_dead_total", scheme="json") == dead + 1
    listed, _ = await service.handlers.list_deliveries(
        DeliveryFilter(state=DeliveryState.DEAD, recipient="tenant2"), 10, ""
    )
    assert row.id in [r.id for r in listed]
    depth = await service.worker.refresh_depth()
    assert depth["dead"] >= 1
    assert metric("notification_outbox_depth", state="dead") >= 1
    # The in-app inbox got it all the same.
    assert [i.kind for i in await inbox_of(service, "tenant2", ticket.id)] == ["received"]


async def test_staff_events_reach_the_people_they_name(service: Service, mailbox: Mailbox) -> None:
    box = mailbox
    await service.handlers.put_contact(
        Contact("supervisor1", "zh-CN", (box.url("supervisor1@example.com"),))
    )
    ticket = await new_ticket(service, TENANT1, "电梯困人 staff events")
    events: dict[str, dict[str, Any]] = {
        "sla_reminder": {"level": 1, "notify": ["supervisor1", "dispatcher1"], "target": "respond"},
        "sla_escalated": {"level": 2, "notify": ["supervisor1"], "target": "resolve"},
        "sla_breached": {"level": 3, "notify": ["supervisor1"], "target": "resolve"},
        "claim_offered": {"offered_to": ["supervisor1", "tech1"]},
        "dispatch_paged": {"notify": ["supervisor1"]},
    }
    base = 10**12 + int(time.time())  # ids far away from intake's own
    for offset, (kind, payload) in enumerate(events.items()):
        event = EventFacts(base + offset, ticket.id, kind, "sla", datetime.now(UTC), "", payload)
        for _ in range(2):  # the second time is a replay: nothing new
            async with service.pool.connection() as conn, conn.transaction():
                await service.notifier.handle(conn, event)

    rows = await settled(service, ticket.id, 7)  # received (tenant1, 2 channels) + 5 e-mails
    staff = [r for r in rows if r.recipient == "supervisor1"]
    assert sorted(r.kind for r in staff) == sorted(events)
    assert all(r.state is DeliveryState.SENT for r in staff)
    subjects = [m["Subject"] for m in box.to("supervisor1@example.com", ticket.number)]
    assert len(subjects) == 5 and any(s.startswith("升级") for s in subjects)
    assert [i.kind for i in await inbox_of(service, "dispatcher1", ticket.id)] == ["sla_reminder"]
    assert [i.kind for i in await inbox_of(service, "tech1", ticket.id)] == ["claim_offered"]


async def test_staff_activity_recorded_in_intake_is_followed(service: Service) -> None:
    ticket = await new_ticket(service, TENANT1, "Escalation through intake")
    payload = {"level": 2, "notify": ["planner1"], "target": "resolve"}
    await service.intake.RecordActivity(
        pb.RecordActivityRequest(
            actor=SYSTEM,
            ticket_id=ticket.id,
            type="sla_escalated",
            payload_json=json.dumps(payload),
        )
    )

    async def arrived() -> bool:
        return bool(await inbox_of(service, "planner1", ticket.id))

    await eventually(arrived)
    [item] = await inbox_of(service, "planner1", ticket.id)
    assert (item.kind, item.locale, item.event_type) == ("sla_escalated", "zh-CN", "sla_escalated")


async def test_historical_imports_are_not_announced(service: Service) -> None:
    created = pb.HistoricalTicket(
        kind=pb.TICKET_KIND_REPAIR, category="plumbing", title="Old leak", description="2029",
        location=pb.Location(site="demo", building="B", floor="5"), requester="tenant2",
        requester_role=pb.ROLE_TENANT, channel=pb.CHANNEL_WEB,
    )  # fmt: skip
    created.created_at.FromDatetime(datetime.now(UTC) - timedelta(days=30))
    reply = await service.intake.ImportTickets(
        pb.ImportTicketsRequest(actor=ADMIN, tickets=[created])
    )
    [old_id] = reply.ticket_ids
    fresh = await new_ticket(service, TENANT2, "After the import")

    async def fresh_seen() -> bool:
        return bool(await inbox_of(service, "tenant2", fresh.id))

    await eventually(fresh_seen)  # the follower is past the imported events
    assert await inbox_of(service, "tenant2", old_id) == []
    assert await service.deliveries(old_id) == []


async def test_concurrent_workers_send_each_delivery_once(
    service: Service, webhook: Webhook
) -> None:
    await service.handlers.put_contact(
        Contact("tech1", "en", (webhook.url("/many"),), in_app=False)
    )
    ticket = await new_ticket(service, TENANT1, "Many pages")
    base = 2 * 10**12 + int(time.time())
    async with service.pool.connection() as conn, conn.transaction():
        for n in range(20):
            event = EventFacts(base + n, ticket.id, "dispatch_paged", "dispatch",
                               datetime.now(UTC), "", {"notify": ["tech1"]})  # fmt: skip
            await service.notifier.handle(conn, event)
    extra = [DeliveryWorker(service.pool, AppriseChannels(30), RetryPolicy(MAX_ATTEMPTS, 0.05, 1.0),
                            lease_s=60, batch=3) for _ in range(3)]  # fmt: skip
    await asyncio.gather(*(w.deliver_due() for w in extra for _ in range(3)))

    rows = [r for r in await settled(service, ticket.id, 22) if r.recipient == "tech1"]
    assert len(rows) == 20 and all(r.state is DeliveryState.SENT for r in rows)
    assert len(webhook.got("/many", ticket.number)) == 20
