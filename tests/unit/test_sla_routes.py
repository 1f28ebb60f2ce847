"""The gateway's SLA routes over stub services: roles, translation and error mapping."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import grpc
import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI, HTTPException
from google.protobuf.timestamp_pb2 import Timestamp
from maintenance.intake.v1 import intake_pb2 as intake_pb
from maintenance.sla.v1 import sla_pb2 as pb

from services.gateway.entrypoint import deps, sla_routes
from services.gateway.entrypoint.problems import install_problem_handlers
from services.gateway.entrypoint.security import Principal
from services.sla.defaults import DEFAULT_CALENDARS, DEFAULT_POLICIES
from services.sla.entrypoint import messages as m
from tests.unit.fake_call import fake_call


def _stamp(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def _rpc_error(code: grpc.StatusCode, details: str) -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details, None)


@dataclass
class FakeSla:
    calls: list[Any] = field(default_factory=list)
    states: list[pb.TicketSla] = field(default_factory=list)
    error: grpc.aio.AioRpcError | None = None

    def _take(self, request: Any) -> None:
        self.calls.append(request)
        if self.error is not None:
            raise self.error

    async def ListPolicies(self, request: Any, **_: Any) -> pb.ListPoliciesResponse:  # noqa: N802
        self._take(request)
        return pb.ListPoliciesResponse(policies=[m.policy_to_pb(p) for p in DEFAULT_POLICIES])

    async def PutPolicy(self, request: pb.PutPolicyRequest, **_: Any) -> pb.PutPolicyResponse:  # noqa: N802
        self._take(request)
        policy = pb.Policy()
        policy.CopyFrom(request.policy)
        policy.updated_at.CopyFrom(_stamp(datetime(2026, 11, 22, tzinfo=UTC)))
        return pb.PutPolicyResponse(policy=policy, created=True, recompute_scheduled=3)

    async def ListCalendars(self, request: Any, **_: Any) -> pb.ListCalendarsResponse:  # noqa: N802
        self._take(request)
        return pb.ListCalendarsResponse(calendars=[m.calendar_to_pb(c) for c in DEFAULT_CALENDARS])

    async def PutCalendar(self, request: pb.PutCalendarRequest, **_: Any) -> pb.PutCalendarResponse:  # noqa: N802
        self._take(request)
        return pb.PutCalendarResponse(calendar=request.calendar, created=False)

    async def Recompute(self, request: Any, **_: Any) -> pb.RecomputeResponse:  # noqa: N802
        self._take(request)
        return pb.RecomputeResponse(recompute_scheduled=7)

    async def GetSlaStates(self, request: Any, **_: Any) -> pb.GetSlaStatesResponse:  # noqa: N802
        self._take(request)
        return pb.GetSlaStatesResponse(
            states=self.states, as_of=_stamp(datetime(2026, 11, 23, 2, tzinfo=UTC))
        )


@dataclass
class FakeIntake:
    visible: bool = True

    async def GetTicket(self, request: Any, **_: Any) -> intake_pb.GetTicketResponse:  # noqa: N802
        if not self.visible:
            raise _rpc_error(grpc.StatusCode.NOT_FOUND, "no ticket 't-1'")
        return intake_pb.GetTicketResponse(ticket=intake_pb.Ticket(id=request.ticket_id))


@dataclass
class Harness:
    client: httpx.AsyncClient
    sla: FakeSla
    intake: FakeIntake
    role: list[str]


@pytest_asyncio.fixture
async def harness() -> AsyncIterator[Harness]:
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(sla_routes.router)
    sla, intake, role = FakeSla(), FakeIntake(), ["supervisor"]

    async def caller() -> deps.Call:
        return fake_call(Principal(role[0] + "1", role[0], "demo", ""), sla=sla, intake=intake)

    app.dependency_overrides[deps._caller] = caller
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield Harness(client, sla, intake, role)


POLICY = {
    "name": "P2 plumbing", "priority": "P2", "category": "plumbing", "respond_target_s": 3600,
    "resolve_target_s": 86400, "calendar": "24x7", "reminder_share": 0.8,
    "remind": ["assignee"],
    "escalations": [{"target": "respond", "after_share": 1.0, "notify": ["role:supervisor"],
                     "action": "remind_supervisor"}],
}  # fmt: skip


async def test_staff_read_policies_and_calendars(harness: Harness) -> None:
    harness.role[0] = "technician"
    policies = (await harness.client.get("/v1/sla/policies")).json()["items"]
    assert [p["id"] for p in policies] == [p.id for p in DEFAULT_POLICIES]
    p1 = policies[0]
    assert p1["respond_target_s"] == 900 and p1["priority"] == "P1" and p1["kind"] is None
    assert p1["escalations"][0] == {"target": "respond", "after_share": 1.0, "after_s": None,
                                    "notify": ["role:supervisor"], "action": "escalate"}  # fmt: skip
    calendars = (await harness.client.get("/v1/sla/calendars")).json()["items"]
    demo = next(c for c in calendars if c["id"] == "demo")
    assert demo["site"] == "demo" and demo["time_zone"] == "Asia/Shanghai"
    assert demo["hours"][:2] == [{"weekday": 1, "start": "08:30", "end": "12:00"},
                                 {"weekday": 1, "start": "13:30", "end": "18:00"}]  # fmt: skip
    harness.role[0] = "tenant"
    assert (await harness.client.get("/v1/sla/policies")).status_code == 403


async def test_supervisors_put_policies(harness: Harness) -> None:
    reply = await harness.client.put("/v1/sla/policies/p2-plumbing", json=POLICY)
    assert reply.status_code == 201, reply.text
    body = reply.json()
    assert body["id"] == "p2-plumbing" and body["recompute_scheduled"] == 3
    assert body["escalations"][0]["after_share"] == 1.0
    sent = harness.sla.calls[-1].policy
    assert (sent.priority, sent.category, sent.kind) == ("P2", "plumbing", "")
    assert sent.escalations[0].target == pb.SLA_TARGET_RESPOND
    harness.role[0] = "dispatcher"
    assert (
        await harness.client.put("/v1/sla/policies/p2-plumbing", json=POLICY)
    ).status_code == 403


async def test_what_a_supervisor_stores_is_their_sites_and_an_admin_names_any() -> None:
    """The site the request carries: the supervisor's own (403 for another), an admin's
    choice or a default; reads ask for the caller's site and the defaults."""
    harness_sla = FakeSla()
    for role, asked, stored, acting in [
        ("supervisor", None, "demo", "demo"),
        ("admin", None, "", ""),
        ("admin", "north", "north", ""),
    ]:
        call = fake_call(Principal(f"{role}1", role, "demo", ""), sla=harness_sla)
        assert sla_routes._writing(call, asked) == (stored, acting)
    supervisor = fake_call(Principal("s1", "supervisor", "demo", ""), sla=harness_sla)
    with pytest.raises(HTTPException) as refused:
        sla_routes._writing(supervisor, "north")
    assert refused.value.status_code == 403
    nowhere = fake_call(Principal("s2", "supervisor", "", ""), sla=harness_sla)
    with pytest.raises(HTTPException):
        sla_routes._writing(nowhere, None)


async def test_requests_carry_the_callers_site(harness: Harness) -> None:
    await harness.client.get("/v1/sla/policies")
    await harness.client.put("/v1/sla/policies/p2-plumbing", json=POLICY)
    await harness.client.post("/v1/sla/recompute", json={})
    listed, put, recomputed = harness.sla.calls[-3:]
    assert (listed.site, put.policy.site, put.acting_site, recomputed.site) == ("demo",) * 4
    harness.role[0] = "admin"
    await harness.client.get("/v1/sla/calendars", params={"site": "north"})
    assert harness.sla.calls[-1].site == "north"
    harness.role[0] = "planner"
    assert (await harness.client.get("/v1/sla/calendars", params={"site": "north"})
            ).status_code == 403  # fmt: skip


@pytest.mark.parametrize(
    ("path", "change", "where"),
    [
        ("/v1/sla/policies/Bad%20Id", {}, "path.policy_id"),
        ("/v1/sla/policies/x", {"priority": "P9"}, "body.priority"),
        ("/v1/sla/policies/x", {"respond_target_s": 0}, "body.respond_target_s"),
        (
            "/v1/sla/policies/x",
            {"escalations": [{"target": "respond", "notify": ["a"], "action": "x"}]},
            "exactly one",
        ),
        ("/v1/sla/policies/x", {"surprise": 1}, "body.surprise"),
    ],
)
async def test_malformed_policies_are_422(
    harness: Harness, path: str, change: dict[str, Any], where: str
) -> None:
    reply = await harness.client.put(path, json={**POLICY, **change})
    assert reply.status_code == 422
    assert reply.headers["content-type"] == "application/problem+json"
    assert where in reply.json()["detail"]


async def test_service_side_validation_is_422_with_its_message(harness: Harness) -> None:
    harness.sla.error = _rpc_error(grpc.StatusCode.INVALID_ARGUMENT, "there is no calendar 'x'")
    reply = await harness.client.put("/v1/sla/policies/p", json={**POLICY, "calendar": "x"})
    assert reply.status_code == 422
    assert reply.json()["detail"] == "there is no calendar 'x'"


async def test_calendars_and_recompute(harness: Harness) -> None:
    body = {"name": "Shifts", "site": "demo", "time_zone": "Asia/Shanghai",
            "hours": [{"weekday": 1, "start": "08:30", "end": "12:00"}],
            "holidays": ["2026-10-01"]}  # fmt: skip
    reply = await harness.client.put("/v1/sla/calendars/shifts", json=body)
    assert reply.status_code == 200, reply.text
    assert reply.json()["holidays"] == ["2026-10-01"] and reply.json()["site"] == "demo"
    bad = {**body, "hours": [{"weekday": 1, "start": "8:30", "end": "12:00"}]}
    assert (await harness.client.put("/v1/sla/calendars/shifts", json=bad)).status_code == 422
    assert (await harness.client.post("/v1/sla/recompute", json={})).json() == {
        "recompute_scheduled": 7
    }


def _state() -> pb.TicketSla:
    due = _stamp(datetime(2026, 11, 23, 1, 15, tzinfo=UTC))
    return pb.TicketSla(
        ticket_id="t-1", policy_id="p1-emergency", breached=True, open=True,
        respond=pb.ClockState(due_at=due, state="running", breached=True, remaining_s=-2700),
        resolve=pb.ClockState(state="paused", remaining_s=9000), paused=True,
        pauses=[pb.Pause(reason="waiting_parts", started_at=due)],
    )  # fmt: skip


async def test_a_ticket_shows_its_clocks(harness: Harness) -> None:
    harness.role[0] = "tenant"
    assert (await harness.client.get("/v1/tickets/t-1/sla")).status_code == 404  # not seen yet
    harness.sla.states = [_state()]
    body = (await harness.client.get("/v1/tickets/t-1/sla")).json()
    assert body["respond_by"] == "2026-11-23T01:15:00Z"
    assert body["resolve_by"] is None and body["breached"] and body["paused"]
    assert body["respond"]["remaining_s"] == -2700
    assert body["pauses"] == [{"reason": "waiting_parts", "started_at": "2026-11-23T01:15:00Z",
                               "ended_at": None}]  # fmt: skip
    assert body["calendar_id"] is None and body["as_of"] == "2026-11-23T02:00:00Z"
    harness.intake.visible = False
    assert (await harness.client.get("/v1/tickets/t-1/sla")).status_code == 404
