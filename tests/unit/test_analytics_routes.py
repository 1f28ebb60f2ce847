"""The `/v1/analytics` router against a recording stand-in for the analytics stub: who may
read, what is asked, the JSON every row has, drill-down links, and CSV for Excel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest_asyncio
from fastapi import FastAPI
from google.protobuf.timestamp_pb2 import Timestamp
from maintenance.analytics.v1 import analytics_pb2 as pb

from services.gateway.entrypoint import analytics_routes, deps
from services.gateway.entrypoint.analytics_schemas import KpiRowOut
from services.gateway.entrypoint.problems import install_problem_handlers
from services.gateway.entrypoint.security import Principal
from tests.unit.fake_call import fake_call

CELL = "eyJ2IjoxfQ+/="  # an opaque token with characters a URL must escape


class FakeAnalytics:
    """Answers like the analytics service and keeps every request."""

    def __init__(self) -> None:
        self.requests: list[Any] = []

    async def GetKpis(self, request: pb.GetKpisRequest, **_: Any) -> pb.GetKpisResponse:  # noqa: N802
        self.requests.append(request)
        row = pb.KpiRow(
            group=[pb.GroupValue(key="building", value="一号楼")], bucket_start="2026-03-01",
            bucket_end="2026-04-01", raised=3, resolved=2, backlog=1, reopened=0,
            response_time=pb.DurationStats(count=2, mean_s=60.0, p50_s=55.0, p90_s=70.0),
            sla_respond_met_share=0.5, cells={"raised": CELL, "backlog": "b"},
        )  # fmt: skip
        return pb.GetKpisResponse(rows=[row], time_zone="Asia/Shanghai", read_from="summaries")

    async def ListTopProblems(  # noqa: N802
        self, request: pb.ListTopProblemsRequest, **_: Any
    ) -> pb.ListTopProblemsResponse:
        self.requests.append(request)
        problem = pb.Problem(rank=1, building="A", floor="3", unit="A-301", category="plumbing",
                             count=4, first_at=Timestamp(seconds=0), last_at=Timestamp(seconds=60),
                             ticket_ids=["t1", "t2"], cell="c")  # fmt: skip
        return pb.ListTopProblemsResponse(problems=[problem])


@dataclass
class Harness:
    http: httpx.AsyncClient
    stub: FakeAnalytics
    who: dict[str, Principal]


@pytest_asyncio.fixture
async def harness() -> AsyncIterator[Harness]:
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(analytics_routes.router)
    stub, who = FakeAnalytics(), {"user": Principal("supervisor1", "supervisor", "demo", "")}
    app.dependency_overrides[deps._caller] = lambda: fake_call(who["user"], analytics=stub)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        yield Harness(http, stub, who)


async def test_kpis_as_json(harness: Harness) -> None:
    reply = await harness.http.get("/v1/analytics/kpis", params={
        "from": "2026-03-01", "to": "2026-05-01", "group_by": ["building,category", "team"],
        "bucket": "month", "kind": "repair", "source": "sensor"})  # fmt: skip
    assert reply.status_code == 200, reply.text
    body = reply.json()
    (sent,) = harness.stub.requests
    assert (sent.caller.username, sent.caller.role, sent.scope.site) == (
        "supervisor1",
        "supervisor",
        "demo",
    )
    assert (sent.scope.from_date, sent.scope.to_date) == ("2026-03-01", "2026-05-01")
    assert list(sent.group_by) == [pb.DIMENSION_BUILDING, pb.DIMENSION_CATEGORY, pb.DIMENSION_TEAM]
    assert (sent.bucket, list(sent.scope.kinds), list(sent.scope.sources)) == (
        pb.BUCKET_MONTH, ["repair"], ["sensor"],
    )  # fmt: skip
    assert (body["site"], body["time_zone"], body["read_from"]) == (
        "demo",
        "Asia/Shanghai",
        "summaries",
    )
    (row,) = body["rows"]
    assert set(row) == set(KpiRowOut.model_fields)
    assert row["group"] == {"building": "一号楼"} and row["bucket"] == "2026-03-01"
    assert (row["raised"], row["response_time_p50_s"], row["response_time_count"]) == (3, 55.0, 2)
    assert (row["resolve_time_p50_s"], row["satisfaction_mean"], row["sla_respond_met_share"]) == (
        None, None, 0.5,
    )  # fmt: skip
    assert row["tickets_url"] == "/v1/tickets?analytics_cell=eyJ2IjoxfQ%2B%2F%3D"
    assert row["tickets_urls"]["backlog"] == "/v1/tickets?analytics_cell=b"


async def test_kpis_as_csv_with_a_byte_order_mark(harness: Harness) -> None:
    reply = await harness.http.get("/v1/analytics/kpis", headers={"Accept": "text/csv"})
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in reply.headers["content-disposition"]
    assert reply.content.startswith(b"\xef\xbb\xbf")
    lines = reply.content.decode("utf-8-sig").splitlines()
    header, first = lines[0].split(","), lines[1].split(",")
    assert header[:3] == ["building", "bucket", "bucket_end"]
    assert first[:3] == ["一号楼", "", "2026-04-01"]  # not bucketed: no bucket
    assert "tickets_urls" not in header and header[-1] == "tickets_url"


async def test_problems_as_csv_join_their_tickets(harness: Harness) -> None:
    reply = await harness.http.get("/v1/analytics/top-problems", headers={"Accept": "text/csv"})
    header, first = (line.split(",") for line in reply.content.decode("utf-8-sig").splitlines())
    row = dict(zip(header, first, strict=True))
    assert (row["unit"], row["count"], row["ticket_ids"]) == ("A-301", "4", "t1|t2")


async def test_who_may_read(harness: Harness) -> None:
    for role in ("tenant", "technician", "dispatcher"):
        harness.who["user"] = Principal("x", role, "demo", "")
        assert (await harness.http.get("/v1/analytics/kpis")).status_code == 403
    harness.who["user"] = Principal("admin", "admin", "", "")
    assert (
        await harness.http.get("/v1/analytics/kpis", params={"site": "north"})
    ).status_code == 200
    assert harness.stub.requests[-1].scope.site == "north"
    bad = await harness.http.get("/v1/analytics/kpis", params={"group_by": "colour"})
    assert bad.status_code == 422 and "colour" in bad.json()["detail"]
