"""Staff see and change only their own site's things: a supervisor of site demo cannot
list, read, read the telemetry of, register at, or take over the devices of another site,
and is refused when naming that site (each route, over REST)."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.e2e.helpers import ok

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
