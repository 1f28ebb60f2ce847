"""The dispatch process, killed with SIGKILL mid-flow and started again, loses no assignment
and makes none twice; and its gRPC API over the wire.

Real processes: intake and dispatch, against a fresh database with the demo data.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc
import psycopg
import pytest
import pytest_asyncio
from maintenance.dispatch.v1 import dispatch_pb2 as dpb
from maintenance.dispatch.v1.dispatch_pb2_grpc import DispatchServiceStub
from maintenance.intake.v1 import intake_pb2 as pb

from services.launcher.stack import LocalStack, Process, free_port
from tests.integration.test_dispatch_support import (
    create_ticket,
    dispatch_database,
    events_of,
    intake_process,
    intake_stub,
    payload,
    ticket_of,
    wait_serving,
)

if TYPE_CHECKING:
    from maintenance.dispatch.v1.dispatch_pb2_grpc import DispatchServiceAsyncStub

DISPATCH = (Process("dispatch", "services.dispatch"),)
TICKETS = 24


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with dispatch_database() as url:
        yield url


@pytest.fixture(scope="module")
def log_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dispatch-restart") / "processes.log"


@pytest.fixture(scope="module")
def intake_target(database_url: str, log_file: Path) -> Iterator[str]:
    with log_file.open("a") as sink, intake_process(database_url, sink) as target:
        yield target


@pytest.fixture(scope="module")
def dispatch_env(database_url: str, intake_target: str) -> dict[str, str]:
    port = free_port()
    return {"DATABASE_URL": database_url, "DISPATCH_GRPC_PORT": str(port),
            "DISPATCH_METRICS_PORT": str(free_port()), "DISPATCH_INTAKE_TARGET": intake_target,
            "DISPATCH_WORK_EVERY_S": "0.05", "DISPATCH_LEASE_S": "2"}  # fmt: skip


def dispatch_target(env: dict[str, str]) -> str:
    return f"127.0.0.1:{env['DISPATCH_GRPC_PORT']}"


@pytest_asyncio.fixture(scope="module")
async def stub(intake_target: str) -> AsyncIterator[Any]:
    channel, stub = intake_stub(intake_target)
    yield stub
    await channel.close(None)


async def wait_for(check: Any, timeout_s: float = 40.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("condition not met in time")


async def test_a_killed_dispatcher_loses_nothing_and_assigns_nothing_twice(
    stub: Any, dispatch_env: dict[str, str], database_url: str, log_file: Path
) -> None:
    with log_file.open("a") as sink:
        first = LocalStack(env=dispatch_env, processes=DISPATCH, sink=sink)
        first.start()
        try:
            await asyncio.to_thread(wait_serving, dispatch_target(dispatch_env))
            specs = [("plumbing", pb.PRIORITY_UNSPECIFIED), ("electrical", pb.PRIORITY_UNSPECIFIED),
                     ("electrical", pb.PRIORITY_P1)]  # fmt: skip
            ids = await asyncio.gather(
                *(
                    create_ticket(stub, specs[i % 3][0], priority=specs[i % 3][1])
                    for i in range(TICKETS)
                )
            )

            async def some_assigned() -> bool:
                return any([(await ticket_of(stub, t)).assignee for t in ids])

            await wait_for(some_assigned)
            first.children["dispatch"].send_signal(signal.SIGKILL)  # mid-flow
        finally:
            first.stop()
        assert first.children["dispatch"].returncode == -signal.SIGKILL
        left = [t for t in ids if not (await ticket_of(stub, t)).assignee]
        with LocalStack(env=dispatch_env, processes=DISPATCH, sink=sink) as second:

            async def all_assigned() -> bool:
                return all([(await ticket_of(stub, t)).assignee for t in ids])

            await wait_for(all_assigned)
            await asyncio.sleep(2.5)  # time for anything wrong to happen: leases last 2 s
        assert second.children["dispatch"].returncode in (0, -signal.SIGTERM)
    for i, ticket_id in enumerate(ids):
        events = await events_of(stub, ticket_id)
        types = [e.type for e in events]
        assert types.count("assigned") == 1, (ticket_id, types)
        expected = "tech1" if specs[i % 3][0] == "plumbing" else "tech2"
        assert payload(next(e for e in events if e.type == "assigned"))["assignee"] == expected
        assert types.count("dispatch_paged") == (1 if i % 3 == 2 else 0), (ticket_id, types)
    with psycopg.connect(database_url) as conn:
        per_ticket = conn.execute(
            "SELECT ticket_id, count(*) FROM dispatch.decisions GROUP BY ticket_id"
        ).fetchall()
    assert sorted(t for t, _ in per_ticket) == sorted(ids)
    assert all(n == 1 for _, n in per_ticket), per_ticket
    print(f"{len(left)} of {TICKETS} tickets were still unassigned when dispatch was killed")


@pytest_asyncio.fixture(scope="module")
async def api(
    dispatch_env: dict[str, str], log_file: Path
) -> AsyncIterator[DispatchServiceAsyncStub]:
    with log_file.open("a") as sink, LocalStack(env=dispatch_env, processes=DISPATCH, sink=sink):
        target = dispatch_target(dispatch_env)
        await asyncio.to_thread(wait_serving, target)
        async with grpc.aio.insecure_channel(target) as channel:
            yield DispatchServiceStub(channel)


DESK = dpb.Caller(username="dispatcher1", role="dispatcher", site="demo")


async def test_the_grpc_api_reads_and_validates(api: DispatchServiceAsyncStub) -> None:
    teams = await api.ListTeams(dpb.ListTeamsRequest(site="demo"))
    assert [t.code for t in teams.teams] == ["maintenance", "service"]
    techs = await api.ListTechnicians(dpb.ListTechniciansRequest(site="demo", team="maintenance"))
    assert [t.username for t in techs.technicians] == ["tech1", "tech2"]
    roster = await api.GetRoster(dpb.GetRosterRequest(site="demo"))
    assert set(roster.on_duty) == {"tech1", "tech2", "supervisor1"}
    rules = await api.GetRules(dpb.GetRulesRequest(site="demo"))
    doc = json.loads(rules.rule_set.document_json)
    assert doc["rules"][-1]["name"] == "default" and rules.rule_set.rule_count == len(doc["rules"])
    doc["rules"][1]["action"]["team"] = "plumbers"
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await api.PutRules(
            dpb.PutRulesRequest(caller=DESK, site="demo", document_json=json.dumps(doc))
        )
    assert bad.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "rule 2 ('small jobs: claim pool'): team 'plumbers' does not exist" in (
        bad.value.details() or ""
    )
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await api.PutTeams(dpb.PutTeamsRequest(
            caller=dpb.Caller(username="tech1", role="technician", site="demo"), site="demo"))  # fmt: skip
    assert denied.value.code() is grpc.StatusCode.PERMISSION_DENIED


async def test_the_grpc_api_decides_and_lists_offers(api: DispatchServiceAsyncStub) -> None:
    facts = dpb.TicketFacts(kind="repair", category="plumbing", priority="P1", source="sensor",
                            site="demo", building="B", floor="1")  # fmt: skip
    reply = await api.Decide(dpb.DecideRequest(facts=facts))
    d = reply.decision
    assert (d.rule, d.mode, d.assignee, list(d.paged), d.page_reason) == (
        "emergencies", "best_technician", "tech1", ["supervisor1"], "p1",
    )  # fmt: skip
    none = await api.Decide(dpb.DecideRequest(facts=facts, exclude=["tech1"]))
    assert none.decision.mode == "team" and none.decision.page_reason == "no_technician"
    offers = await api.ListOffers(dpb.ListOffersRequest(site="demo", username="tech1"))
    assert list(offers.offers) == []
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await api.Claim(dpb.ClaimRequest(
            caller=dpb.Caller(username="tech1", role="technician", site="demo"), ticket_id="nope"))  # fmt: skip
    assert missing.value.code() is grpc.StatusCode.NOT_FOUND
