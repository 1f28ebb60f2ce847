"""The `/v1/dispatch` router against a recording stand-in for the dispatch stub: who may call
what, what is sent to the service, and what comes back."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import grpc
import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from google.protobuf.timestamp_pb2 import Timestamp
from maintenance.dispatch.v1 import dispatch_pb2 as pb
from maintenance.intake.v1 import intake_pb2 as ipb

from services.gateway.entrypoint import deps, dispatch_routes
from services.gateway.entrypoint.problems import install_problem_handlers
from services.gateway.entrypoint.security import Principal
from tests.unit.fake_call import fake_call

AT = datetime(2031, 1, 6, 4, 0, tzinfo=UTC)


def _stamp(value: datetime = AT) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def _offer(ticket_id: str = "t-1", claimed_by: str = "") -> pb.Offer:
    return pb.Offer(
        ticket_id=ticket_id, site="demo", team="maintenance", offered_to=["tech1", "tech2"],
        offered_at=_stamp(), expires_at=_stamp(), state="claimed" if claimed_by else "open",
        claimed_by=claimed_by, summary={"number": "T1", "category": "hvac"},
    )  # fmt: skip


class FakeDispatch:
    """Answers like the dispatch service and keeps every request."""

    def __init__(self) -> None:
        self.requests: list[Any] = []
        self.fail: tuple[grpc.StatusCode, str] | None = None

    def _take(self, request: Any) -> None:
        self.requests.append(request)
        if self.fail is not None:
            code, details = self.fail
            raise grpc.aio.AioRpcError(
                code, grpc.aio.Metadata(), grpc.aio.Metadata(), details, None
            )

    async def ListTeams(self, request: pb.ListTeamsRequest, **_: Any) -> pb.ListTeamsResponse:  # noqa: N802
        self._take(request)
        return pb.ListTeamsResponse(teams=[pb.Team(site=request.site, code="maintenance",
                                                   name="M", supervisors=["supervisor1"])])  # fmt: skip

    async def PutTeams(self, request: pb.PutTeamsRequest, **_: Any) -> pb.PutTeamsResponse:  # noqa: N802
        self._take(request)
        return pb.PutTeamsResponse(teams=request.teams)

    async def ListTechnicians(  # noqa: N802
        self, request: pb.ListTechniciansRequest, **_: Any
    ) -> pb.ListTechniciansResponse:
        self._take(request)
        return pb.ListTechniciansResponse(
            technicians=[pb.Technician(username="tech1", site=request.site, team="maintenance",
                                       skills=["plumbing"], buildings=["A"])]
        )  # fmt: skip

    async def PutTechnicians(  # noqa: N802
        self, request: pb.PutTechniciansRequest, **_: Any
    ) -> pb.PutTechniciansResponse:
        self._take(request)
        return pb.PutTechniciansResponse(technicians=request.technicians)

    async def GetRoster(self, request: pb.GetRosterRequest, **_: Any) -> pb.GetRosterResponse:  # noqa: N802
        self._take(request)
        roster = pb.Roster(
            site=request.site,
            shifts=[pb.Shift(username="tech1", days=["mon"], start="08:00", end="20:00",
                             timezone="Asia/Shanghai")],
            overrides=[pb.DutyOverride(username="tech1", starts_at=_stamp(), ends_at=_stamp(
                datetime(2031, 1, 7, tzinfo=UTC)), on_duty=False, note="leave")],
        )  # fmt: skip
        return pb.GetRosterResponse(roster=roster, on_duty=["tech2"])

    async def PutRoster(self, request: pb.PutRosterRequest, **_: Any) -> pb.PutRosterResponse:  # noqa: N802
        self._take(request)
        return pb.PutRosterResponse(roster=request.roster)

    async def GetRules(self, request: pb.GetRulesRequest, **_: Any) -> pb.GetRulesResponse:  # noqa: N802
        self._take(request)
        doc = {"timezone": "Asia/Shanghai", "rules": [{"name": "default", "match": {}}]}
        return pb.GetRulesResponse(
            rule_set=pb.RuleSet(site=request.site, timezone="Asia/Shanghai",
                                document_json=json.dumps(doc), version=3, rule_count=1,
                                updated_by="dispatcher1", updated_at=_stamp())
        )  # fmt: skip

    async def PutRules(self, request: pb.PutRulesRequest, **_: Any) -> pb.PutRulesResponse:  # noqa: N802
        self._take(request)
        return pb.PutRulesResponse(
            rule_set=pb.RuleSet(site=request.site, timezone="UTC",
                                document_json=request.document_json, version=4,
                                updated_by=request.caller.username, updated_at=_stamp())
        )  # fmt: skip

    async def ListOffers(self, request: pb.ListOffersRequest, **_: Any) -> pb.ListOffersResponse:  # noqa: N802
        self._take(request)
        return pb.ListOffersResponse(offers=[_offer()])

    async def Claim(self, request: pb.ClaimRequest, **_: Any) -> pb.ClaimResponse:  # noqa: N802
        self._take(request)
        return pb.ClaimResponse(offer=_offer(request.ticket_id, request.caller.username))

    async def Decide(self, request: pb.DecideRequest, **_: Any) -> pb.DecideResponse:  # noqa: N802
        self._take(request)
        return pb.DecideResponse(
            decision=pb.Decision(rule="repairs", mode="best_technician", team="maintenance",
                                 assignee="tech1", paged=["supervisor1"], page_reason="p1",
                                 explanation="because"),
            facts=request.facts,
        )  # fmt: skip


class FakeIntake:
    """Knows one ticket, "t-1"."""

    def __init__(self) -> None:
        self.requests: list[Any] = []

    async def GetTicket(self, request: ipb.GetTicketRequest, **_: Any) -> ipb.GetTicketResponse:  # noqa: N802
        self.requests.append(request)
        if request.ticket_id != "t-1":
            raise grpc.aio.AioRpcError(
                grpc.StatusCode.NOT_FOUND, grpc.aio.Metadata(), grpc.aio.Metadata(), "no", None
            )
        return ipb.GetTicketResponse(ticket=ipb.Ticket(id="t-1"))


@pytest.fixture
def stub() -> FakeDispatch:
    return FakeDispatch()


@pytest_asyncio.fixture
async def as_role(stub: FakeDispatch) -> AsyncIterator[Any]:
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(dispatch_routes.router)
    who = {"user": Principal("tenant1", "tenant", "demo", "A-301")}
    app.dependency_overrides[deps._caller] = lambda: fake_call(
        who["user"], dispatch=stub, intake=FakeIntake()
    )

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:

        async def call(
            username: str, role: str, method: str, url: str, body: Any = None, site: str = "demo"
        ) -> httpx.Response:
            who["user"] = Principal(username, role, site, "")
            return await http.request(method, url, json=body)

        yield call


READS = ["/v1/dispatch/teams", "/v1/dispatch/technicians", "/v1/dispatch/roster",
         "/v1/dispatch/rules", "/v1/dispatch/offers"]  # fmt: skip


@pytest.mark.parametrize("url", READS)
@pytest.mark.parametrize(
    ("role", "code"),
    [("technician", 200), ("dispatcher", 200), ("supervisor", 200), ("planner", 200),
     ("admin", 200), ("tenant", 403)],
)  # fmt: skip
async def test_staff_read_the_configuration(as_role: Any, url: str, role: str, code: int) -> None:
    reply = await as_role("someone", role, "GET", url)
    assert reply.status_code == code, reply.text


WRITES: list[tuple[str, Any]] = [
    ("/v1/dispatch/teams", {"teams": [{"code": "maintenance", "supervisors": ["supervisor1"]}]}),
    ("/v1/dispatch/technicians",
     {"technicians": [{"username": "tech1", "team": "maintenance", "skills": ["plumbing"]}]}),
    ("/v1/dispatch/roster", {"shifts": [{"username": "tech1", "days": ["mon"], "start": "08:00",
                                         "end": "20:00"}]}),
    ("/v1/dispatch/rules", {"rules": [{"name": "default", "match": {},
                                       "action": {"mode": "team", "team": "maintenance"}}]}),
]  # fmt: skip


@pytest.mark.parametrize(("url", "body"), WRITES)
@pytest.mark.parametrize(
    ("role", "code"),
    [("dispatcher", 200), ("supervisor", 200), ("admin", 200), ("technician", 403),
     ("planner", 403), ("tenant", 403)],
)  # fmt: skip
async def test_the_desk_changes_the_configuration(
    as_role: Any, stub: FakeDispatch, url: str, body: Any, role: str, code: int
) -> None:
    reply = await as_role("someone", role, "PUT", url, body)
    assert reply.status_code == code, reply.text
    if code == 200:
        sent = stub.requests[-1]
        assert (sent.caller.username, sent.caller.role) == ("someone", role)


async def test_teams_and_technicians_are_sent_for_the_callers_site(
    as_role: Any, stub: FakeDispatch
) -> None:
    reply = await as_role("dispatcher1", "dispatcher", "PUT", *WRITES[0])
    assert reply.json()["items"] == [
        {"site": "demo", "code": "maintenance", "name": "", "supervisors": ["supervisor1"]}
    ]
    assert stub.requests[-1].site == "demo"
    reply = await as_role("dispatcher1", "dispatcher", "PUT", *WRITES[1])
    sent = stub.requests[-1].technicians[0]
    assert (sent.username, sent.site, list(sent.skills)) == ("tech1", "demo", ["plumbing"])
    assert reply.json()["items"][0]["buildings"] == []
    listed = await as_role(
        "tech1", "technician", "GET", "/v1/dispatch/technicians?team=maintenance"
    )
    assert listed.json()["items"][0]["username"] == "tech1"
    assert stub.requests[-1].team == "maintenance"


async def test_only_admins_name_another_site(as_role: Any, stub: FakeDispatch) -> None:
    assert (
        await as_role("d", "dispatcher", "GET", "/v1/dispatch/teams?site=other")
    ).status_code == 403
    assert (await as_role("a", "admin", "GET", "/v1/dispatch/teams?site=other")).status_code == 200
    assert stub.requests[-1].site == "other"
    reply = await as_role("a", "admin", "GET", "/v1/dispatch/teams", site="")
    assert reply.status_code == 422 and "name the site" in reply.json()["detail"]


async def test_the_roster_round_trips(as_role: Any, stub: FakeDispatch) -> None:
    body = {
        "shifts": [{"username": "tech1", "days": ["mon", "tue"], "start": "22:00", "end": "06:00"}],
        "overrides": [{"username": "tech2", "starts_at": "2031-01-06T08:00:00+08:00",
                       "ends_at": "2031-01-06T20:00:00+08:00", "on_duty": True, "note": "swap"}],
    }  # fmt: skip
    reply = await as_role("s", "supervisor", "PUT", "/v1/dispatch/roster", body)
    assert reply.status_code == 200, reply.text
    sent = stub.requests[-1].roster
    assert sent.site == "demo" and sent.shifts[0].timezone == "Asia/Shanghai"
    assert sent.overrides[0].starts_at.ToDatetime(tzinfo=UTC) == datetime(2031, 1, 6, tzinfo=UTC)
    out = reply.json()
    assert out["shifts"][0]["days"] == ["mon", "tue"] and out["overrides"][0]["note"] == "swap"
    got = (await as_role("tech1", "technician", "GET", "/v1/dispatch/roster")).json()
    assert got["on_duty"] == ["tech2"] and got["overrides"][0]["on_duty"] is False
    bad = await as_role("s", "supervisor", "PUT", "/v1/dispatch/roster", {"shifts": [{"x": 1}]})
    assert bad.status_code == 422


async def test_rules_pass_through_and_their_errors_are_422(
    as_role: Any, stub: FakeDispatch
) -> None:
    url, body = WRITES[3]
    reply = await as_role("dispatcher1", "dispatcher", "PUT", url, body)
    assert reply.status_code == 200
    assert json.loads(stub.requests[-1].document_json) == body
    assert reply.json()["rules"][0]["name"] == "default" and reply.json()["version"] == 4
    stub.fail = (grpc.StatusCode.INVALID_ARGUMENT, "rule 2 ('x'): team 'y' does not exist")
    reply = await as_role("dispatcher1", "dispatcher", "PUT", url, {"rules": []})
    assert reply.status_code == 422
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.json()["detail"] == "rule 2 ('x'): team 'y' does not exist"
    assert (await as_role("d", "dispatcher", "PUT", url, [1, 2])).status_code == 422


async def test_rules_come_back_as_a_list(as_role: Any) -> None:
    got = (await as_role("p", "planner", "GET", "/v1/dispatch/rules")).json()
    assert got["rules"] == [{"name": "default", "match": {}}] and got["updated_by"] == "dispatcher1"


async def test_technicians_see_their_own_offers_and_the_desk_all(
    as_role: Any, stub: FakeDispatch
) -> None:
    reply = await as_role("tech1", "technician", "GET", "/v1/dispatch/offers")
    assert stub.requests[-1].username == "tech1"
    offer = reply.json()["items"][0]
    assert (offer["ticket_id"], offer["state"], offer["claimed_by"]) == ("t-1", "open", None)
    assert offer["summary"]["category"] == "hvac"
    await as_role("dispatcher1", "dispatcher", "GET", "/v1/dispatch/offers")
    assert stub.requests[-1].username == "" and stub.requests[-1].site == "demo"


async def test_only_technicians_claim_and_conflicts_are_409(
    as_role: Any, stub: FakeDispatch
) -> None:
    url = "/v1/dispatch/offers/t-9/claim"
    reply = await as_role("tech2", "technician", "POST", url)
    assert reply.status_code == 200 and reply.json()["claimed_by"] == "tech2"
    sent = stub.requests[-1]
    assert (sent.ticket_id, sent.caller.username, sent.caller.role) == (
        "t-9",
        "tech2",
        "technician",
    )
    assert (await as_role("d", "dispatcher", "POST", url)).status_code == 403
    stub.fail = (grpc.StatusCode.FAILED_PRECONDITION, "someone else claimed this ticket first")
    reply = await as_role("tech1", "technician", "POST", url)
    assert reply.status_code == 409 and "first" in reply.json()["detail"]
    stub.fail = (grpc.StatusCode.PERMISSION_DENIED, "this ticket was not offered to you")
    assert (await as_role("tech1", "technician", "POST", url)).status_code == 403
    stub.fail = (grpc.StatusCode.UNAVAILABLE, "intake down")
    assert (await as_role("tech1", "technician", "POST", url)).status_code == 503


async def test_decide_is_a_dry_run_for_staff(as_role: Any, stub: FakeDispatch) -> None:
    body = {"facts": {"category": "plumbing", "priority": "P1", "building": "A"},
            "at": "2031-01-06T12:00:00+08:00", "exclude": ["tech2"]}  # fmt: skip
    reply = await as_role("planner1", "planner", "POST", "/v1/dispatch/decide", body)
    assert reply.status_code == 200, reply.text
    out = reply.json()
    assert (out["assignee"], out["paged"], out["page_reason"]) == ("tech1", ["supervisor1"], "p1")
    sent = stub.requests[-1]
    assert (sent.facts.site, sent.facts.kind, list(sent.exclude)) == ("demo", "repair", ["tech2"])
    assert sent.at.ToDatetime(tzinfo=UTC) == AT
    by_id = await as_role("p", "planner", "POST", "/v1/dispatch/decide", {"ticket_id": "t-1"})
    assert by_id.status_code == 200 and stub.requests[-1].ticket_id == "t-1"
    assert not stub.requests[-1].HasField("facts")
    hidden = await as_role("p", "planner", "POST", "/v1/dispatch/decide", {"ticket_id": "t-2"})
    assert hidden.status_code == 404 and stub.requests[-1].ticket_id == "t-1"
    assert (await as_role("t", "tenant", "POST", "/v1/dispatch/decide", body)).status_code == 403
