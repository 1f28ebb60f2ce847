"""Staff see and change only their own site's things: a supervisor of site demo cannot
list, read, read the telemetry of, register at, or take over the devices of another site;
cannot read or change its SLA policies and calendars (and changes no default); does not see
its deliveries or its messages in the role's shared inbox; and is refused when naming that
site (each route, over REST)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from services.launcher.stack import free_port
from tests.e2e.helpers import ok, raise_ticket, wait_for
from tests.e2e.system import System

Login = Callable[[str], httpx.Client]
THEIRS = "leak-scope-other-1"


def _other_site_with_a_device(admin: httpx.Client) -> None:
    for path in ("/v1/sites/scope2", "/v1/sites/scope2/buildings/S1",
                 "/v1/sites/scope2/buildings/S1/floors/1"):  # fmt: skip
        assert admin.put(path, json={"name": "scope"} if path.count("/") == 3 else None
                         ).status_code in (200, 201)  # fmt: skip
    device = {"kind": "leak", "location": {"site": "scope2", "building": "S1", "floor": "1"}}
    assert admin.put(f"/v1/devices/{THEIRS}", json=device).status_code in (200, 201)
    ours = {"kind": "leak", "location": {"site": "demo", "building": "A", "floor": "2"}}
    assert admin.put("/v1/devices/leak-scope-demo-1", json=ours).status_code in (200, 201)


def test_staff_see_and_change_only_their_own_sites_devices(as_user: Login) -> None:
    admin, supervisor = as_user("admin"), as_user("supervisor1")  # supervisor1: site demo
    _other_site_with_a_device(admin)
    assert supervisor.get("/v1/devices", params={"site": "scope2"}).status_code == 403
    listed = ok(supervisor.get("/v1/devices", params={"limit": 500}))["items"]
    assert listed and {d["location"]["site"] for d in listed} == {"demo"}
    assert supervisor.get(f"/v1/devices/{THEIRS}").status_code == 404
    assert supervisor.get(f"/v1/devices/{THEIRS}/telemetry").status_code == 404
    at_theirs = {"kind": "leak", "location": {"site": "scope2", "building": "S1", "floor": "1"}}
    assert supervisor.put("/v1/devices/leak-scope-mine", json=at_theirs).status_code == 403
    taken = {"kind": "leak", "location": {"site": "demo", "building": "A", "floor": "1"}}
    assert supervisor.put(f"/v1/devices/{THEIRS}", json=taken).status_code == 404
    assert ok(admin.get(f"/v1/devices/{THEIRS}"))["location"]["site"] == "scope2"
    everywhere = {d["location"]["site"] for d in ok(admin.get("/v1/devices",
                                                            params={"limit": 500}))["items"]}  # fmt: skip
    assert {"demo", "scope2"} <= everywhere
    csv = f"device_id,kind,site,building,floor\n{THEIRS},leak,demo,A,1\n"
    imported = supervisor.post("/v1/devices/import", content=csv,
                               headers={"content-type": "text/csv"})  # fmt: skip
    assert imported.status_code == 404


THEIR_BOSS = "scope2boss"  # supervisor of site scope2
THEIR_PASSWORD = "scope-two-boss"
FAST = {"respond_target_s": 1, "resolve_target_s": 3600, "calendar": "24x7",
        "escalations": [{"target": "respond", "after_share": 1.0, "action": "escalate",
                         "notify": ["role:supervisor", THEIR_BOSS]}]}  # fmt: skip
HOURS = {"time_zone": "Asia/Shanghai", "hours": [{"weekday": 1, "start": "09:00", "end": "17:00"}]}


def _their_supervisor(admin: httpx.Client, system: System) -> httpx.Client:
    _other_site_with_a_device(admin)
    user = {"role": "supervisor", "sites": ["scope2"], "password": THEIR_PASSWORD}
    assert admin.put(f"/v1/users/{THEIR_BOSS}", json=user).status_code in (200, 201)
    return system.client(system.token(THEIR_BOSS, THEIR_PASSWORD))


def _audited_site(admin: httpx.Client, path: str) -> str:
    def entry() -> list[dict[str, Any]]:
        items = ok(admin.get("/v1/admin/audit", params={"username": "admin", "limit": 50}))
        return [e for e in items["items"] if e["path"] == path]

    return str(wait_for(entry)[0]["site"])


def test_staff_read_their_sites_and_the_default_sla_config_and_change_only_their_own(
    as_user: Login, system: System
) -> None:
    admin, supervisor = as_user("admin"), as_user("supervisor1")
    theirs = _their_supervisor(admin, system)
    with theirs:
        policy = {**FAST, "name": "scope2 only", "category": "scope_test"}
        assert theirs.put("/v1/sla/policies/scope2-test", json=policy).status_code in (200, 201)
        calendar = {**HOURS, "name": "scope2 hours"}
        assert theirs.put("/v1/sla/calendars/scope2", json=calendar).status_code in (200, 201)
        assert ok(theirs.get("/v1/sla/calendars"))["items"]  # theirs and the defaults
    stored = {p["id"]: p for p in ok(admin.get("/v1/sla/policies"))["items"]}
    assert stored["scope2-test"]["site"] == "scope2"
    policies = ok(supervisor.get("/v1/sla/policies"))["items"]
    assert "p1-emergency" in {p["id"] for p in policies}
    assert {p["site"] for p in policies} <= {None, "demo"}
    calendars = ok(supervisor.get("/v1/sla/calendars"))["items"]
    assert {c["site"] for c in calendars} <= {None, "demo"} and "scope2" not in str(calendars)
    for path in ("/v1/sla/policies", "/v1/sla/calendars"):
        assert supervisor.get(path, params={"site": "scope2"}).status_code == 403
    mine = {**FAST, "category": "scope_test", "priority": "P4"}
    assert supervisor.put("/v1/sla/policies/scope2-test", json=mine).status_code == 404
    there = {**mine, "site": "scope2"}
    assert supervisor.put("/v1/sla/policies/scope2-demo", json=there).status_code == 403
    assert supervisor.put("/v1/sla/policies/p1-emergency", json=mine).status_code == 403
    assert supervisor.put("/v1/sla/calendars/scope2", json=HOURS).status_code == 404
    assert supervisor.put("/v1/sla/calendars/default", json=HOURS).status_code == 403
    assert ok(admin.get("/v1/sla/policies"))["items"] == list(stored.values())  # unchanged
    made = supervisor.put("/v1/sla/policies/demo-scope-test", json=mine)
    assert made.status_code == 201 and made.json()["site"] == "demo"
    listed = {
        p["id"] for p in ok(admin.get("/v1/sla/policies", params={"site": "scope2"}))["items"]
    }
    assert "scope2-test" in listed and "p1-emergency" in listed and "demo-scope-test" not in listed


def test_staff_see_only_their_sites_shared_inbox_and_deliveries(
    as_user: Login, system: System
) -> None:
    admin, supervisor = as_user("admin"), as_user("supervisor1")
    theirs = _their_supervisor(admin, system)
    nobody = f"http://127.0.0.1:{free_port()}/hook".replace("http", "json", 1)
    ok(admin.put(f"/v1/notifications/contacts/{THEIR_BOSS}", json={"apprise_urls": [nobody]}))
    policy = {**FAST, "name": "scope2 fast", "kind": "repair", "category": "plumbing"}
    ok(admin.put("/v1/sla/policies/scope2-fast", json={**policy, "site": "scope2"}))
    assert _audited_site(admin, "/v1/sla/policies/scope2-fast") == "scope2"  # not the admin's
    location = {"site": "scope2", "building": "S1", "floor": "1"}
    ticket = raise_ticket(admin, location=location)

    def escalated() -> list[dict[str, Any]]:
        items = ok(theirs.get("/v1/notifications", params={"limit": 200}))["items"]
        return [n for n in items if n["ticket_id"] == ticket["id"]]

    with theirs:
        told = wait_for(escalated, timeout_s=30)
        delivered = wait_for(lambda: ok(theirs.get("/v1/notifications/deliveries",
                                                   params={"ticket_id": ticket["id"]}))["items"])  # fmt: skip
    assert {d["site"] for d in delivered} == {"scope2"}
    inbox = ok(supervisor.get("/v1/notifications", params={"limit": 200}))["items"]
    assert ticket["id"] not in {n["ticket_id"] for n in inbox}
    marked = supervisor.post("/v1/notifications/read", json={"ids": [n["id"] for n in told]})
    assert ok(marked)["marked"] == 0
    deliveries = "/v1/notifications/deliveries"
    assert ok(supervisor.get(deliveries, params={"ticket_id": ticket["id"]}))["items"] == []
    assert ok(supervisor.get(deliveries, params={"recipient": THEIR_BOSS}))["items"] == []
    assert supervisor.get(deliveries, params={"site": "scope2"}).status_code == 403
    assert supervisor.get(f"/v1/tickets/{ticket['id']}/sla").status_code == 404
    again = {"ticket_ids": [ticket["id"]]}
    assert ok(supervisor.post("/v1/sla/recompute", json=again))["recompute_scheduled"] == 0
    assert ok(admin.post("/v1/sla/recompute", json=again))["recompute_scheduled"] == 1
    everywhere = ok(admin.get(deliveries, params={"ticket_id": ticket["id"], "site": "scope2"}))
    assert [d["id"] for d in everywhere["items"]] == [d["id"] for d in delivered]
    with _their_supervisor(admin, system) as theirs:
        still = [n for n in ok(theirs.get("/v1/notifications", params={"limit": 200}))["items"]
                 if n["ticket_id"] == ticket["id"]]  # fmt: skip
    assert still and all(n["read_at"] is None for n in still)
