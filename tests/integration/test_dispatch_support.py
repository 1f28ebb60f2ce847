"""Helpers the dispatch integration tests share (this module holds no tests).

A fresh database with intake's and dispatch's schemas and demo data, a real intake process
on free ports, and `Harness`: dispatch's handlers in this process with a settable clock,
driven step by step (`settle`) so every test decides when time passes and work runs.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import IO, Any

import grpc
import psycopg
from grpc_health.v1 import health_pb2, health_pb2_grpc
from maintenance.intake.v1 import intake_pb2 as pb
from maintenance.intake.v1.intake_pb2_grpc import IntakeServiceStub
from psycopg_pool import AsyncConnectionPool

from services.common.migrate import migrate
from services.dispatch.adapters.intake_client import IntakeClient
from services.dispatch.demo import seed_demo as seed_dispatch
from services.dispatch.handlers.config import ConfigHandlers
from services.dispatch.handlers.delivery import Delivery
from services.dispatch.handlers.events import EventProjector, log_event_from_pb
from services.dispatch.handlers.offers import Offers
from services.dispatch.handlers.routing import Router
from services.dispatch.handlers.workers import Workers
from services.dispatch.main import CONSUMER
from services.intake.demo import seed_demo as seed_intake
from services.launcher.stack import LocalStack, Process, free_port
from tests.integration.conftest import Clock, drop_database, new_database_name, url_for

__all__ = [
    "TEST_RULES",
    "Harness",
    "create_ticket",
    "dispatch_database",
    "events_of",
    "intake_process",
    "intake_stub",
    "payload",
    "ticket_of",
    "wait_serving",
]

#: The demo rules, but the claim pool takes doors and windows at any hour, and offers wait
#: 60 seconds of the harness's clock.
TEST_RULES: dict[str, Any] = {
    "timezone": "Asia/Shanghai",
    "rules": [
        {"name": "emergencies", "match": {"priorities": ["P1"]},
         "action": {"mode": "best_technician", "team": "maintenance"}},
        {"name": "small jobs: claim pool", "match": {"categories": ["doors_windows"]},
         "action": {"mode": "claim_pool", "team": "maintenance", "window_s": 60}},
        {"name": "repairs", "match": {"kinds": ["repair"]},
         "action": {"mode": "best_technician", "team": "maintenance"}},
        {"name": "complaints and inquiries", "match": {"kinds": ["complaint", "inquiry"]},
         "action": {"mode": "team", "team": "service", "notify": ["dispatcher1"]}},
        {"name": "default", "match": {}, "action": {"mode": "team", "team": "maintenance"}},
    ],
}  # fmt: skip

TENANT1 = pb.Actor(username="tenant1", role=pb.ROLE_TENANT, site="demo", channel=pb.CHANNEL_APP,
                   unit="A-301")  # fmt: skip


@contextmanager
def dispatch_database() -> Iterator[str]:
    """A fresh database: intake and dispatch schemas, both services' demo data, test rules."""
    name = new_database_name()
    url = url_for(name)
    try:
        migrate(url, ["intake", "dispatch"])
        seed_intake(url)
        seed_dispatch(url)
        with psycopg.connect(url) as conn:
            conn.execute(
                "UPDATE dispatch.rule_sets SET document = %s WHERE site = 'demo'",
                (json.dumps(TEST_RULES),),
            )
        yield url
    finally:
        drop_database(name)


def wait_serving(target: str, timeout_s: float = 30.0) -> None:
    """Until the gRPC server at `target` reports SERVING."""
    deadline = time.monotonic() + timeout_s
    with grpc.insecure_channel(target) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            try:
                reply = health.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.1)
    raise TimeoutError(f"{target} not serving after {timeout_s}s")


@contextmanager
def intake_process(database_url: str, sink: IO[str]) -> Iterator[str]:
    """A real intake process on a free port; yields its gRPC target."""
    port = free_port()
    env = {"DATABASE_URL": database_url, "INTAKE_GRPC_PORT": str(port),
           "INTAKE_METRICS_PORT": str(free_port()), "INTAKE_STREAM_POLL_S": "0.02"}  # fmt: skip
    with LocalStack(env=env, processes=(Process("intake", "services.intake"),), sink=sink) as stack:
        target = f"127.0.0.1:{port}"
        wait_serving(target)
        assert not stack.exited()
        yield target


async def create_ticket(
    stub: Any,
    category: str,
    *,
    kind: pb.TicketKind.ValueType = pb.TICKET_KIND_REPAIR,
    priority: pb.Priority.ValueType = pb.PRIORITY_UNSPECIFIED,
    title: str = "test",
) -> str:
    """A ticket in unit A-301, raised by tenant1, or by the desk when it has a priority (a
    tenant's is only a request); returns its id."""
    reply = await stub.CreateTicket(
        pb.CreateTicketRequest(
            actor=TENANT1 if priority == pb.PRIORITY_UNSPECIFIED else DESK, kind=kind, category=category, title=title, priority=priority,
            location=pb.Location(site="demo", building="A", floor="3", unit="A-301"),
        )
    )  # fmt: skip
    return str(reply.ticket.id)


SYSTEM = pb.Actor(username="test", role=pb.ROLE_SYSTEM)
DESK = pb.Actor(username="dispatcher1", role=pb.ROLE_DISPATCHER, site="demo",
                channel=pb.CHANNEL_WEB)  # fmt: skip


async def ticket_of(stub: Any, ticket_id: str) -> pb.Ticket:
    reply = await stub.GetTicket(pb.GetTicketRequest(actor=SYSTEM, ticket_id=ticket_id))
    ticket: pb.Ticket = reply.ticket
    return ticket


async def events_of(stub: Any, ticket_id: str) -> list[pb.TicketEvent]:
    reply = await stub.ListTicketEvents(
        pb.ListTicketEventsRequest(actor=SYSTEM, ticket_id=ticket_id)
    )
    return list(reply.events)


def payload(event: pb.TicketEvent) -> dict[str, Any]:
    return dict(json.loads(event.payload_json or "{}"))


class Harness:
    """Dispatch's handlers in this process, over a real pool and a real intake."""

    def __init__(
        self, pool: AsyncConnectionPool, stub: Any, clock: Clock | None = None, lease_s: float = 5
    ) -> None:
        self.pool = pool
        self.stub = stub
        self.clock = clock or Clock(datetime.now(UTC))
        self.intake = IntakeClient(stub, timeout_s=5)
        self.config = ConfigHandlers(pool, self.clock)
        self.projector = EventProjector(self.clock)
        self.router = Router(pool, self.intake, self.clock, offer_window_s=60, lease_s=lease_s)
        self.offers = Offers(pool, self.intake, self.clock, lease_s=lease_s)
        self.delivery = Delivery(pool, self.intake, self.clock, lease_s=lease_s)
        self.workers = Workers(self.offers, self.router, self.delivery)

    async def catch_up(self) -> int:
        """Apply the settled part of intake's event log after dispatch's cursor."""
        async with self.pool.connection() as conn:
            row = await (
                await conn.execute(
                    "SELECT cursor FROM dispatch.event_cursor WHERE consumer = %s", (CONSUMER,)
                )
            ).fetchone()
        applied = 0
        stream = self.stub.StreamEvents(
            pb.StreamEventsRequest(after_cursor=row[0] if row else "", follow=False)
        )
        async for reply in stream:
            async with self.pool.connection() as conn, conn.transaction():
                await self.projector.apply(conn, log_event_from_pb(reply.event))
                await conn.execute(
                    "INSERT INTO dispatch.event_cursor (consumer, cursor) VALUES (%s, %s)"
                    " ON CONFLICT (consumer) DO UPDATE SET cursor = EXCLUDED.cursor",
                    (CONSUMER, reply.event.cursor),
                )
            applied += 1
        return applied

    async def step(self) -> int:
        return await self.catch_up() + await self.workers.run_once()

    async def settle(
        self, until: Callable[[], Awaitable[bool]] | None = None, timeout_s: float = 30.0
    ) -> None:
        """Follow the log and work until `until()` holds (or, without it, nothing is left)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            busy = await self.step()
            if until is not None and await until():
                return
            if until is None and not busy:
                return
            await asyncio.sleep(0.02)
        raise TimeoutError("dispatch did not settle in time")

    async def settled_events(
        self, ticket_id: str, kind: str, count: int = 1
    ) -> list[pb.TicketEvent]:
        """Work until the ticket has `count` events of type `kind`; returns them."""

        async def enough() -> bool:
            return sum(e.type == kind for e in await events_of(self.stub, ticket_id)) >= count

        await self.settle(enough)
        return [e for e in await events_of(self.stub, ticket_id) if e.type == kind]


def intake_stub(target: str) -> tuple[grpc.aio.Channel, IntakeServiceStub]:
    channel = grpc.aio.insecure_channel(target)
    return channel, IntakeServiceStub(channel)
