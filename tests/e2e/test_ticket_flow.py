"""A ticket's whole life over HTTP against the running system."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

import httpx

from tests.e2e.conftest import RATING_WINDOW_S
from tests.e2e.helpers import metrics_urls, ok, raise_ticket, transition, wait_for
from tests.e2e.system import System

Login = Callable[[str], httpx.Client]


def test_tenant_raises_staff_work_tenant_rates(as_user: Login) -> None:
    tenant, desk, tech = as_user("tenant1"), as_user("dispatcher1"), as_user("tech1")
    ticket = raise_ticket(tenant)
    assert ticket["status"] == "submitted"
    assert ticket["priority"] == "P1"  # "漏水" / "leak" is an emergency
    assert ticket["number"].startswith("T") and ticket["source"] == "tenant"
    tid = ticket["id"]

    assert transition(desk, tid, "accept").json()["status"] == "accepted"
    assigned = transition(desk, tid, "assign", assignee="tech1", note="riser A-1").json()
    assert (assigned["status"], assigned["assignee"]) == ("assigned", "tech1")
    assert transition(tech, tid, "start").json()["status"] == "in_progress"
    assert (
        transition(tech, tid, "resolve", note="replaced the trap").json()["status"]
        == "awaiting_rating"
    )

    rated = tenant.post(f"/v1/tickets/{tid}/rating", json={"stars": 5, "comment": "很快 fast"})
    assert rated.status_code == 200, rated.text
    assert rated.json()["status"] == "closed"
    assert rated.json()["rating"]["stars"] == 5

    events = tenant.get(f"/v1/tickets/{tid}/events").json()["items"]
    assert [e["type"] for e in events] == [
        "created", "accepted", "assigned", "started", "resolved", "awaiting_rating", "rated",
    ]  # fmt: skip
    assert [e["to_status"] for e in events][-1] == "closed"
    # The tenant sees staff by their role, not by user name (the desk sees the names).
    assert [e["actor"] for e in events] == [
        "tenant1", "dispatcher", "dispatcher", "technician", "technician", "system", "tenant1",
    ]  # fmt: skip
    stamps = [datetime.fromisoformat(e["occurred_at"]) for e in events]
    assert all(s.utcoffset() is not None for s in stamps)
    assert stamps == sorted(stamps)
    assert events[2]["payload"]["assignee"] == "technician" and events[2]["note"] == "riser A-1"
    desk_view = ok(as_user("dispatcher1").get(f"/v1/tickets/{tid}/events"))["items"]
    assert desk_view[2]["actor"] == "dispatcher1" and desk_view[2]["payload"]["assignee"] == "tech1"


def test_unrated_ticket_closes_by_itself(as_user: Login) -> None:
    tenant, admin = as_user("tenant1"), as_user("admin")
    tid = raise_ticket(tenant, category="hvac", title="空调不制冷 AC not cooling")["id"]
    transition(admin, tid, "assign", assignee="tech2")
    assert transition(admin, tid, "resolve").json()["status"] == "awaiting_rating"
    deadline = time.monotonic() + RATING_WINDOW_S + 10
    status = ""
    while time.monotonic() < deadline:
        status = tenant.get(f"/v1/tickets/{tid}").json()["status"]
        if status == "closed":
            break
        time.sleep(0.3)
    assert status == "closed"
    last = tenant.get(f"/v1/tickets/{tid}/events").json()["items"][-1]
    assert (last["type"], last["actor"], last["from_status"]) == (
        "closed",
        "system",
        "awaiting_rating",
    )


def test_reopen_returns_the_ticket_to_its_technician(as_user: Login) -> None:
    tenant, desk = as_user("tenant1"), as_user("dispatcher1")
    tid = raise_ticket(tenant, category="doors_windows", title="Door lock broken")["id"]
    transition(desk, tid, "assign", assignee="tech1")
    transition(as_user("tech1"), tid, "resolve")
    reopened = transition(tenant, tid, "reopen", note="still broken 还是坏的")
    assert reopened.status_code == 200, reopened.text
    assert (reopened.json()["status"], reopened.json()["assignee"]) == ("assigned", "tech1")


def test_tenants_see_only_their_own_tickets(as_user: Login) -> None:
    one, two = as_user("tenant1"), as_user("tenant2")
    mine = raise_ticket(one, title="Noise at night 夜间噪音", kind="complaint", category="noise")
    theirs = raise_ticket(
        two, title="Parking gate", category="parking",
        location={"site": "demo", "building": "B", "floor": "5", "unit": "B-502"},
    )  # fmt: skip
    for path in ("", "/events"):
        assert two.get(f"/v1/tickets/{mine['id']}{path}").status_code == 404
    assert transition(two, mine["id"], "cancel").status_code == 404
    assert two.post(f"/v1/tickets/{mine['id']}/rating", json={"stars": 1}).status_code == 404
    listed = {t["id"] for t in two.get("/v1/tickets", params={"limit": 200}).json()["items"]}
    assert theirs["id"] in listed and mine["id"] not in listed
    staff = {
        t["id"]
        for t in as_user("supervisor1").get("/v1/tickets", params={"limit": 200}).json()["items"]
    }
    assert {mine["id"], theirs["id"]} <= staff


def test_list_filters_and_cursor_pagination(as_user: Login) -> None:
    tenant = as_user("tenant2")
    created = [
        raise_ticket(
            tenant, kind="inquiry", category="fees", title=f"Invoice question {i}",
            location={"site": "demo", "building": "B", "floor": "5", "unit": "B-502"},
        )["id"]
        for i in range(5)
    ]  # fmt: skip
    seen: list[str] = []
    cursor = ""
    for _ in range(10):
        params = {"limit": "2", "category": "fees", "building": "B", "kind": "inquiry"}
        if cursor:
            params["cursor"] = cursor
        page = tenant.get("/v1/tickets", params=params).json()
        seen += [t["id"] for t in page["items"]]
        assert all(t["priority"] == "P4" for t in page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen))
    assert set(created) <= set(seen)
    by_status = tenant.get(
        "/v1/tickets", params={"status": ["submitted", "accepted"], "limit": 200}
    )
    assert by_status.status_code == 200
    assert {t["status"] for t in by_status.json()["items"]} <= {"submitted", "accepted"}


def test_idempotency_key_replays_and_conflicts(as_user: Login, system: System) -> None:
    tenant = as_user("tenant1")
    headers = {"Idempotency-Key": "e2e-key-1"}
    body = {
        "kind": "repair", "category": "electrical", "title": "灯不亮 light out",
        "location": {"site": "demo", "building": "A", "floor": "3"},
    }  # fmt: skip
    first = tenant.post("/v1/tickets", json=body, headers=headers)
    assert first.status_code == 201, first.text
    before = system.count_rows()
    again = tenant.post("/v1/tickets", json=body, headers=headers)
    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])
    changed = tenant.post("/v1/tickets", json={**body, "title": "other"}, headers=headers)
    assert changed.status_code == 409
    assert changed.headers["content-type"] == "application/problem+json"
    assert system.count_rows() == before


def test_attachments_upload_and_download(as_user: Login) -> None:
    tenant = as_user("tenant1")
    tid = raise_ticket(tenant, title="Cracked window 窗户裂了", category="doors_windows")["id"]
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    up = tenant.post(
        f"/v1/tickets/{tid}/attachments", files={"file": ("crack.png", png, "image/png")}
    )
    assert up.status_code == 201, up.text
    meta = up.json()
    down = tenant.get(meta["url"])
    assert down.status_code == 200
    assert (down.content, down.headers["content-type"]) == (png, "image/png")
    ticket = tenant.get(f"/v1/tickets/{tid}").json()
    assert [a["id"] for a in ticket["attachments"]] == [meta["id"]]
    assert as_user("tenant2").get(meta["url"]).status_code == 404


def test_operations_endpoints(system: System) -> None:
    with system.client() as anon:
        assert anon.get("/healthz").json() == {"status": "ok"}
        assert anon.get("/readyz").status_code == 200
        metrics = anon.get("/metrics").text
        assert "http_requests_total" in metrics
        spec = anon.get("/openapi.json").json()
        for path in ("/v1/auth/token", "/v1/tickets", "/v1/tickets/{ticket_id}",
                     "/v1/tickets/{ticket_id}/transitions", "/v1/tickets/{ticket_id}/events",
                     "/v1/tickets/{ticket_id}/rating", "/v1/tickets/{ticket_id}/attachments"):  # fmt: skip
            assert path in spec["paths"], path
        assert anon.get("/docs").status_code == 200


def test_claim_decline_pause_and_costly_approval_over_rest(as_user: Login) -> None:
    tenant, tech1, tech2 = as_user("tenant1"), as_user("tech1"), as_user("tech2")
    tid = raise_ticket(tenant, category="electrical", title="Socket sparks 插座打火")["id"]
    assert transition(tech1, tid, "claim").json()["assignee"] == "tech1"
    lost = transition(tech2, tid, "claim")
    assert lost.status_code == 409 and "already assigned" in lost.json()["detail"]
    declined = transition(tech1, tid, "decline", reason="no ladder")
    assert (declined.json()["status"], declined.json()["assignee"]) == ("accepted", None)
    assert transition(tech2, tid, "claim").status_code == 200
    transition(tech2, tid, "start")
    paused = transition(tech2, tid, "pause", reason="waiting_parts")
    assert paused.json()["waiting_reason"] == "waiting_parts"
    assert transition(tech2, tid, "resume").json()["waiting_reason"] is None
    resolved = transition(tech2, tid, "resolve", cost_cents=80000).json()
    assert (resolved["approval_pending"], resolved["cost_cents"]) == (True, 80000)
    blocked = tenant.post(f"/v1/tickets/{tid}/rating", json={"stars": 5})
    assert blocked.status_code == 409 and "approval" in blocked.json()["detail"]
    assert transition(tech2, tid, "approve").status_code == 403
    assert transition(as_user("supervisor1"), tid, "approve").json()["approval_pending"] is False
    assert tenant.post(f"/v1/tickets/{tid}/rating", json={"stars": 5}).json()["status"] == "closed"
    types = [e["type"] for e in tenant.get(f"/v1/tickets/{tid}/events").json()["items"]]
    assert types == ["created", "claimed", "claimed", "started", "paused", "resumed",
                     "resolved", "awaiting_rating", "rated"]  # fmt: skip
    resolved_seen = next(e for e in tenant.get(f"/v1/tickets/{tid}/events").json()["items"]
                         if e["type"] == "resolved")  # fmt: skip
    assert "cost_cents" not in resolved_seen["payload"]  # the tenant sees no costs
    staff = [
        e["type"] for e in ok(as_user("supervisor1").get(f"/v1/tickets/{tid}/events"))["items"]
    ]
    assert "declined" in staff and "approved" in staff


def test_the_tenant_and_the_technician_are_told_in_their_inbox(as_user: Login) -> None:
    tenant, desk, tech = as_user("tenant1"), as_user("dispatcher1"), as_user("tech1")
    tid = raise_ticket(tenant, category="hvac", title="暖气不热 heating cold")["id"]
    transition(desk, tid, "assign", assignee="tech1")

    def inbox(client: httpx.Client) -> list[dict[str, object]]:
        reply = client.get("/v1/notifications", params={"limit": 50})
        assert reply.status_code == 200, reply.text
        return [n for n in reply.json()["items"] if n["ticket_id"] == tid]

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (len(inbox(tenant)) < 2 or not inbox(tech)):
        time.sleep(0.2)
    tenant_types = {n["event_type"] for n in inbox(tenant)}
    assert {"created", "assigned"} <= tenant_types
    assert [n["event_type"] for n in inbox(tech)] == ["assigned"]
    assert inbox(as_user("tenant2")) == []


def test_a_ticket_shows_its_sla_deadlines(as_user: Login) -> None:
    tenant = as_user("tenant1")
    ticket = raise_ticket(tenant)  # a leak: P1, 24x7, respond within 15 minutes
    deadline = time.monotonic() + 10
    shown = ticket
    while time.monotonic() < deadline and shown["sla"] is None:
        time.sleep(0.2)
        shown = tenant.get(f"/v1/tickets/{ticket['id']}").json()
    assert shown["sla"] is not None, "the SLA service never saw the ticket"
    created = datetime.fromisoformat(ticket["created_at"])
    respond_by = datetime.fromisoformat(shown["sla"]["respond_by"])
    assert (respond_by - created).total_seconds() == 15 * 60
    assert shown["sla"]["breached"] is False
    listed = tenant.get("/v1/tickets", params={"limit": 5}).json()["items"]
    assert any(t["id"] == ticket["id"] and t["sla"] for t in listed)


def test_planned_maintenance_has_its_own_kind_priority_and_sla_policy(as_user: Login) -> None:
    supervisor = as_user("supervisor1")
    created = supervisor.post("/v1/tickets", json={
        "kind": "maintenance", "category": "plumbing",
        "title": "年检：B栋3号立管 / yearly inspection of riser B-3",
        "description": "检查上次漏水的接口 check the joint that leaked last time",
        "location": {"site": "demo", "building": "B", "floor": "1"}})  # fmt: skip
    assert created.status_code == 201, created.text
    ticket = created.json()
    assert (ticket["kind"], ticket["priority"], ticket["status"]) == (
        "maintenance",
        "P3",
        "submitted",
    )

    def timed() -> dict[str, object] | None:
        reply = supervisor.get(f"/v1/tickets/{ticket['id']}/sla")
        return reply.json() if reply.status_code == 200 else None

    sla = wait_for(timed)
    assert sla["policy_id"] == "maintenance-planned"
    listed = supervisor.get("/v1/tickets", params={"kind": "maintenance"}).json()["items"]
    assert ticket["id"] in {t["id"] for t in listed}


def test_a_tenant_asks_for_urgency_and_the_desk_confirms_it(as_user: Login) -> None:
    """A tenant's P1 is a request (triage sets the priority); a dispatcher confirms it when
    accepting. A tenant raises tickets only for their own unit."""
    tenant, desk = as_user("tenant1"), as_user("dispatcher1")
    asked = raise_ticket(tenant, kind="complaint", category="noise", priority="P1",
                         title="Party upstairs every night / 楼上每晚聚会")  # fmt: skip
    assert asked["priority"] != "P1" and asked["attributes"]["requested_priority"] == "P1"
    reply = transition(desk, asked["id"], "accept", priority="P1")
    assert reply.status_code == 200, reply.text
    assert reply.json()["priority"] == "P1"
    elsewhere = tenant.post("/v1/tickets", json={
        "kind": "repair", "category": "plumbing", "title": "Not my flat",
        "location": {"site": "demo", "building": "B", "floor": "5", "unit": "B-502"},
    })  # fmt: skip
    assert elsewhere.status_code == 403 and "own unit" in elsewhere.json()["detail"]
    wrong = transition(desk, asked["id"], "assign", assignee="tech1", priority="P2")
    assert wrong.status_code == 422 and "accepted" in wrong.json()["detail"], wrong.text


def _triage_trained(system: System) -> bool:
    """Intake trains its classifier in the background after it starts serving."""
    text = httpx.get(metrics_urls(system)["intake"]).text
    return any(line.startswith("intake_triage_model_examples ") and float(line.split()[1]) > 0
               for line in text.splitlines())  # fmt: skip


def test_triage_fills_what_the_tenant_left_out_and_the_desk_relabels(
    as_user: Login, system: System
) -> None:
    """No category: triage suggests one from the text (recorded on the ticket with its
    confidence and model); the desk relabels the ticket when accepting it."""
    tenant, desk = as_user("tenant1"), as_user("dispatcher1")
    wait_for(lambda: _triage_trained(system), timeout_s=60)
    leak = raise_ticket(tenant, category=None, title="water leaking under the sink",
                        description="")  # fmt: skip
    assert (leak["category"], leak["priority"]) == ("plumbing", "P1")
    assert leak["attributes"]["triage_category"] == "plumbing"
    upstairs = tenant.post("/v1/tickets", json={
        "kind": "complaint", "title": "楼上噪音",
        "location": {"site": "demo", "building": "A", "floor": "3", "unit": "A-301"},
    })  # fmt: skip
    ticket = ok(upstairs)
    assert (ticket["category"], ticket["priority"]) == ("noise", "P3")
    triage = {k: v for k, v in ticket["attributes"].items() if k.startswith("triage_")}
    assert triage["triage_category"] == "noise" and triage["triage_model"].startswith("triage-")
    assert 0.5 <= float(triage["triage_category_confidence"]) <= 1.0

    bad = transition(desk, ticket["id"], "accept", category="teleportation")
    assert bad.status_code == 422 and "unknown category" in bad.json()["detail"], bad.text
    relabelled = ok(transition(desk, ticket["id"], "accept", category="hvac", priority="P2"))
    assert (relabelled["category"], relabelled["priority"]) == ("hvac", "P2")
    events = ok(desk.get(f"/v1/tickets/{ticket['id']}/events"))["items"]
    assert events[-1]["payload"]["previous_category"] == "noise"
