"""Hotspots through REST on the running system: history imported at intake reaches the
predictor through the event log, which retrains, ranks, explains, and raises a work order
at intake on a planner's behalf."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import grpc
import httpx
from google.protobuf.timestamp_pb2 import Timestamp
from maintenance.intake.v1 import intake_pb2 as pb
from maintenance.intake.v1 import intake_pb2_grpc as pb_grpc

from tests.e2e.helpers import samples
from tests.e2e.system import System

SITE_ZONE = ZoneInfo("Asia/Shanghai")

PUMP = "pump-e2e-hot-1"
_SYSTEM = pb.Actor(username="e2e-import", role=pb.ROLE_SYSTEM)


def _ts(when: datetime) -> Timestamp:
    return Timestamp(seconds=int(when.timestamp()))


def _history(now: datetime) -> list[pb.HistoricalTicket]:
    """The pump fails every 15 days (the last one 10 days ago); unit B-201 asks for
    repairs every 9 days. Raised by sensors, all resolved and closed long ago."""
    found = []

    def failure(at: datetime, location: pb.Location, category: str) -> pb.HistoricalTicket:
        done = at + timedelta(hours=5)
        step = pb.HistoricalStep
        return pb.HistoricalTicket(
            id=str(uuid.uuid4()), kind=pb.TICKET_KIND_REPAIR, category=category,
            title="e2e history: pump pressure low / 水泵压力低", location=location,
            priority=pb.PRIORITY_P2, requester="ingestor", requester_role=pb.ROLE_SYSTEM,
            channel=pb.CHANNEL_SENSOR, created_at=_ts(at),
            steps=[
                step(action=pb.ACTION_ACCEPT, actor="dispatcher1", actor_role=pb.ROLE_DISPATCHER,
                     at=_ts(at + timedelta(minutes=5))),
                step(action=pb.ACTION_ASSIGN, actor="dispatcher1", actor_role=pb.ROLE_DISPATCHER,
                     assignee="tech1", at=_ts(at + timedelta(minutes=6))),
                step(action=pb.ACTION_START, actor="tech1", actor_role=pb.ROLE_TECHNICIAN,
                     at=_ts(at + timedelta(hours=1))),
                step(action=pb.ACTION_RESOLVE, actor="tech1", actor_role=pb.ROLE_TECHNICIAN,
                     at=_ts(done)),
                step(action=pb.ACTION_CLOSE, actor="dispatcher1", actor_role=pb.ROLE_DISPATCHER,
                     at=_ts(done + timedelta(hours=2))),
            ],
        )  # fmt: skip

    pump = pb.Location(site="demo", building="B", floor="2", asset=PUMP)
    unit = pb.Location(site="demo", building="B", floor="2", unit="B-201")
    for k in range(16):
        found.append(failure(now - timedelta(days=10 + 15 * k, hours=3), pump, "plumbing"))
    for k in range(26):
        found.append(failure(now - timedelta(days=4 + 9 * k, hours=7), unit, "electrical"))
    return found


def _wait_for(fetch: Callable[[], Any], timeout_s: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = fetch()
        if found:
            return found
        time.sleep(1.0)
    raise TimeoutError("the predictor did not rank the imported history in time")


def _gauge_shows_the_ranking(system: System, planner: httpx.Client) -> bool:
    """The planning dashboard's hotspots: the predictor's gauge holds the first ten keys
    of the ranking REST serves (to its six decimals; compared again if a new ranking
    came in between)."""
    items = planner.get("/v1/hotspots", params={"site": "demo", "level": "asset",
                                                 "horizon_days": 7, "limit": 10}).json()["items"]  # fmt: skip
    shown = {
        (labels["rank"], labels["key"]): round(value, 6)
        for series, value in samples(system, "predictor", "predictor_hotspot_probability").items()
        if (labels := dict(series))["site"] == "demo" and labels["level"] == "asset"
        and labels["horizon_days"] == "7"
    }  # fmt: skip
    return shown == {(str(i["rank"]), i["key"]): i["probability"] for i in items}


def test_hotspots_ranked_explained_and_ordered(system: System,
                                               as_user: Callable[[str], httpx.Client]) -> None:  # fmt: skip
    admin, planner = as_user("admin"), as_user("planner1")
    reply = admin.put(f"/v1/assets/{PUMP}", json={
        "type": "pump", "name": "e2e 水泵 / e2e pump", "model": "CR 10-4",
        "installed_on": "2015-03-01", "criticality": 4, "components": ["seal", "motor"],
        "location": {"site": "demo", "building": "B", "floor": "2"},
    })  # fmt: skip
    assert reply.status_code in (200, 201), reply.text
    now = datetime.now(UTC)
    target = f"127.0.0.1:{system.stack.env['INTAKE_GRPC_PORT']}"
    with grpc.insecure_channel(target) as channel:
        imported = pb_grpc.IntakeServiceStub(channel).ImportTickets(
            pb.ImportTicketsRequest(actor=_SYSTEM, tickets=_history(now)), timeout=60
        )
    assert imported.imported == 42

    def ranked() -> dict[str, Any] | None:
        r = planner.get("/v1/hotspots", params={"site": "demo", "level": "asset",
                                                 "horizon_days": 7, "limit": 10})  # fmt: skip
        if r.status_code != 200:
            return None
        body = r.json()
        keys = {item["key"]: item for item in body["items"]}
        return body if PUMP in keys and keys[PUMP]["reasons"] else None

    body = _wait_for(ranked)
    items = body["items"]
    assert [item["rank"] for item in items] == list(range(1, len(items) + 1))
    assert items == sorted(items, key=lambda i: -i["probability"])
    pump = next(item for item in items if item["key"] == PUMP)
    assert pump["rank"] <= 3 and 0 < pump["probability"] <= 1
    assert pump["level"] == "asset" and pump["location"]["asset"] == PUMP
    assert pump["location"]["building"] == "B" and pump["as_of"] == body["as_of"]
    assert date.fromisoformat(pump["as_of"]) <= date.today() + timedelta(days=1)
    assert pump["model_version"].startswith("demo-asset-h7-")
    assert 1 <= len(pump["reasons"]) <= 3
    for reason in pump["reasons"]:
        assert reason["effect"] in ("raises", "lowers") and reason["text"] == reason["text_en"]
        assert reason["text_zh"] and reason["feature"]
    assert pump["action"] in ("inspect", "replace_component", "schedule_maintenance")
    _wait_for(lambda: _gauge_shows_the_ranking(system, planner), timeout_s=20)
    zh = planner.get("/v1/hotspots", params={"site": "demo", "limit": 3},
                     headers={"Accept-Language": "zh-CN"}).json()  # fmt: skip
    assert all(r["text"] == r["text_zh"] for i in zh["items"] for r in i["reasons"])

    floors = planner.get("/v1/hotspots", params={"level": "floor", "horizon_days": 30, "limit": 5})
    assert floors.status_code == 200 and floors.json()["items"][0]["key"].count("/") == 1
    mixed = planner.get("/v1/hotspots", params={"level": "building", "horizon_days": 14}).json()
    assert mixed["model_horizon_days"] in (7, 30) and {i["key"] for i in mixed["items"]} == {
        "A",
        "B",
    }

    # A work order: a maintenance ticket at the pump, raised once per hotspot.
    first = planner.post(f"/v1/hotspots/{pump['id']}/work-order", json={"note": "e2e"})
    assert first.status_code == 201, first.text
    ticket = first.json()
    assert ticket["kind"] == "maintenance" and ticket["category"] == "plumbing"
    assert ticket["location"]["building"] == "B"
    again = planner.post(f"/v1/hotspots/{pump['id']}/work-order")
    assert again.status_code == 200 and again.json()["id"] == ticket["id"]
    listed = admin.get("/v1/tickets", params={"asset_id": PUMP, "kind": "maintenance"}).json()
    assert [t["id"] for t in listed["items"]] == [ticket["id"]]

    # The demo site's day (its runs are dated in Asia/Shanghai, 8 hours ahead of UTC).
    today = datetime.now(SITE_ZONE).date()
    evaluation = planner.get("/v1/hotspots/evaluation", params={
        "from": (today - timedelta(days=30)).isoformat(), "to": today.isoformat(), "k": 5})  # fmt: skip
    assert evaluation.status_code == 200, evaluation.text
    rows = evaluation.json()["rows"]
    asset_rows = [r for r in rows if r["level"] == "asset" and r["horizon_days"] == 7]
    assert asset_rows and asset_rows[0]["runs"] >= 1 and asset_rows[0]["work_orders"] >= 1

    svg = planner.get("/v1/hotspots/heatmap.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in svg.text and "hotspot map" in svg.text
    page = planner.get("/v1/hotspots/report.html", params={"limit": 5})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert PUMP in page.text and "<svg" in page.text and "原因 / reasons" in page.text
    png = planner.get("/v1/hotspots/heatmap.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")

    # Tenants and technicians see no hotspots; staff see only their own site.
    assert as_user("tenant1").get("/v1/hotspots").status_code == 403
    assert as_user("tech1").get("/v1/hotspots").status_code == 403
    assert planner.get("/v1/hotspots", params={"site": "elsewhere"}).status_code == 403
    assert planner.post("/v1/hotspots/999999999/work-order").status_code == 404
    assert planner.get("/v1/hotspots", params={"horizon_days": 91}).status_code == 422
