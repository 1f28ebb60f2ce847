"""The SLA service as a process against a real intake process, with targets of seconds.

Intake and SLA run from `services.launcher.stack.LocalStack` on free ports against a fresh
database; the test talks to both over gRPC. A P1 ticket nobody accepts escalates after
3 seconds, and the escalation appears in the ticket's intake history exactly once; a
ticket accepted in time does not escalate; a paused ticket's clock stands still.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import psycopg
import pytest
import pytest_asyncio
from maintenance.intake.v1 import intake_pb2 as ipb
from maintenance.intake.v1 import intake_pb2_grpc
from maintenance.sla.v1 import sla_pb2 as pb
from maintenance.sla.v1 import sla_pb2_grpc
from psycopg import sql

from services.common.migrate import migrate
from services.intake.demo import seed_demo
from services.launcher.stack import LocalStack, Process, free_port
from services.sla.adapters.intake_client import DeliveryFailed, GrpcIntake
from tests.integration.conftest import SERVER_URL, drop_database, new_database_name, url_for

SYSTEM = ipb.Actor(username="sla-test", role=ipb.ROLE_SYSTEM, channel=ipb.CHANNEL_API)
DISPATCHER = ipb.Actor(username="dispatcher1", role=ipb.ROLE_DISPATCHER, site="demo")
TECH = ipb.Actor(username="tech1", role=ipb.ROLE_TECHNICIAN, site="demo")
RESPOND_S = 3


@dataclass
class Stack:
    intake_target: str
    sla_target: str
    log: Path


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    name = new_database_name()
    with psycopg.connect(SERVER_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = url_for(name)
    migrate(url, ["intake", "sla"])
    intake_port, sla_port = free_port(), free_port()
    intake_metrics, sla_metrics = free_port(), free_port()
    env = {
        "DATABASE_URL": url, "LOG_LEVEL": "INFO",
        "INTAKE_GRPC_PORT": str(intake_port), "INTAKE_METRICS_PORT": str(intake_metrics),
        "INTAKE_STREAM_POLL_S": "0.05",
        "SLA_GRPC_PORT": str(sla_port), "SLA_METRICS_PORT": str(sla_metrics),
        "SLA_INTAKE_TARGET": f"127.0.0.1:{intake_port}", "SLA_TIMER_EVERY_S": "0.05",
        "SLA_RECOMPUTE_EVERY_S": "0.1",
    }  # fmt: skip
    log = tmp_path_factory.mktemp("sla") / "processes.log"
    processes = (Process("intake", "services.intake"), Process("sla", "services.sla"))
    with log.open("w") as sink:
        local = LocalStack(env=env, processes=processes, sink=sink)
        local.start()
        try:
            seed_demo(url)  # while the processes start
            local.wait_ready(f"http://127.0.0.1:{intake_metrics}/metrics")
            local.wait_ready(f"http://127.0.0.1:{sla_metrics}/metrics")
            yield Stack(f"127.0.0.1:{intake_port}", f"127.0.0.1:{sla_port}", log)
        finally:
            local.stop()
            drop_database(name)
    codes = {n: c.returncode for n, c in local.children.items()}
    assert set(codes.values()) <= {0}, f"unclean stop: {codes}; log: {log}"


@dataclass
class Clients:
    intake: intake_pb2_grpc.IntakeServiceAsyncStub
    sla: sla_pb2_grpc.SlaServiceAsyncStub


@pytest_asyncio.fixture
async def clients(stack: Stack) -> AsyncIterator[Clients]:
    async with (
        grpc.aio.insecure_channel(stack.intake_target) as intake_channel,
        grpc.aio.insecure_channel(stack.sla_target) as sla_channel,
    ):
        await sla_channel.channel_ready()
        yield Clients(
            intake_pb2_grpc.IntakeServiceStub(intake_channel),
            sla_pb2_grpc.SlaServiceStub(sla_channel),
        )


async def _p1(c: Clients, title: str) -> str:
    reply = await c.intake.CreateTicket(
        ipb.CreateTicketRequest(
            actor=SYSTEM, kind=ipb.TICKET_KIND_REPAIR, category="plumbing", title=title,
            location=ipb.Location(site="demo", building="A", floor="3"),
            priority=ipb.PRIORITY_P1,
        )
    )  # fmt: skip
    return str(reply.ticket.id)


async def _until_followed(c: Clients, ticket_id: str) -> None:
    """Wait until the SLA service has seen the ticket (its event stream is live)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        reply = await c.sla.GetSlaStates(pb.GetSlaStatesRequest(ticket_ids=[ticket_id]))
        if reply.states:
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("the SLA service does not follow intake's events")


async def _sla_events(c: Clients, ticket_id: str) -> list[ipb.TicketEvent]:
    reply = await c.intake.ListTicketEvents(
        ipb.ListTicketEventsRequest(actor=SYSTEM, ticket_id=ticket_id)
    )
    return [e for e in reply.events if e.type.startswith("sla_")]


async def _act(c: Clients, actor: ipb.Actor, ticket_id: str, action: int, **kw: str) -> None:
    await c.intake.TransitionTicket(
        ipb.TransitionTicketRequest(actor=actor, ticket_id=ticket_id, action=action, **kw)  # type: ignore[arg-type]
    )


async def test_a_p1_not_accepted_in_time_escalates_exactly_once(clients: Clients) -> None:
    c = clients
    policy = pb.Policy(
        id="p1-emergency", priority="P1", respond_target_s=RESPOND_S, resolve_target_s=60,
        calendar="24x7", reminder_share=0.8, remind=["assignee", "role:dispatcher"],
        escalations=[pb.EscalationLevel(target=pb.SLA_TARGET_RESPOND, after_share=1.0,
                                        notify=["supervisor1"], action="escalate")],
    )  # fmt: skip
    saved = await c.sla.PutPolicy(pb.PutPolicyRequest(policy=policy))
    assert saved.policy.respond_target_s == RESPOND_S
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await c.sla.PutPolicy(pb.PutPolicyRequest(policy=pb.Policy(id="bad", priority="P9")))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "priority" in (refused.value.details() or "")

    await _until_followed(c, await _p1(c, "warm-up"))
    late = await _p1(c, "漏水 / leak nobody accepts")
    prompt = await _p1(c, "漏水 / leak accepted at once")
    paused = await _p1(c, "漏水 / leak waiting for parts")
    routed = await _p1(c, "漏水 / leak routed automatically, never taken up")
    await _act(c, SYSTEM, routed, ipb.ACTION_ASSIGN, assignee="tech1")
    await _act(c, DISPATCHER, prompt, ipb.ACTION_ACCEPT)
    await _act(c, DISPATCHER, paused, ipb.ACTION_ASSIGN, assignee="tech1")
    await _act(c, TECH, paused, ipb.ACTION_PAUSE, reason="waiting_parts")

    for _ in range(200):  # up to 10 s
        if any(e.type == "sla_escalated" for e in await _sla_events(c, late)):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)  # long enough for a second escalation to show if there were one
    events = await _sla_events(c, late)
    assert sorted(e.type for e in events) == ["sla_breached", "sla_escalated", "sla_reminder"]
    escalation = next(e for e in events if e.type == "sla_escalated")
    payload = json.loads(escalation.payload_json)
    assert payload["notify"] == ["supervisor1"] and payload["target"] == "respond"
    assert payload["level"] == 1 and escalation.actor == "sla"
    reminder = json.loads(next(e for e in events if e.type == "sla_reminder").payload_json)
    assert reminder["notify"] == [] and reminder["notify_roles"] == ["dispatcher"]
    assert sorted(e.type for e in await _sla_events(c, routed)) == sorted(
        ["sla_breached", "sla_escalated", "sla_reminder"]
    )  # an automatic assignment is not a response
    assert await _sla_events(c, prompt) == []
    assert await _sla_events(c, paused) == []

    states = await c.sla.GetSlaStates(pb.GetSlaStatesRequest(ticket_ids=[late, prompt, paused]))
    by_id = {s.ticket_id: s for s in states.states}
    assert by_id[late].breached and by_id[late].respond.state == "running"
    assert not by_id[prompt].breached and by_id[prompt].respond.state == "met"
    assert by_id[paused].paused and by_id[paused].resolve.state == "paused"
    assert [p.reason for p in by_id[paused].pauses] == ["waiting_parts"]
    assert not by_id[paused].resolve.HasField("due_at")


async def test_recorded_timers_are_the_integer_timer_ids_of_sla_events(clients: Clients) -> None:
    reply = await clients.intake.CreateTicket(
        ipb.CreateTicketRequest(
            actor=SYSTEM, kind=ipb.TICKET_KIND_REPAIR, category="plumbing",
            title="looked up in its history", priority=ipb.PRIORITY_P4,
            location=ipb.Location(site="demo", building="A", floor="3"),
        )
    )  # fmt: skip
    ticket_id = reply.ticket.id
    intake = GrpcIntake(clients.intake)
    await intake.record(ticket_id, "sla_reminder", "reminder", {"timer_id": 7})
    await intake.record(ticket_id, "sla_breached", "breach", {"timer_id": "8"})
    await intake.record(ticket_id, "sensor_repeat", "not SLA's", {"timer_id": 9})
    assert await intake.recorded_timers(ticket_id) == {7}
    with pytest.raises(DeliveryFailed) as gone:
        await intake.recorded_timers(str(uuid.uuid4()))
    assert gone.value.permanent
