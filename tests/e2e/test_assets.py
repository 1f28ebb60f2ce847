"""The asset registry over REST: a pump with named components, its place checked, tickets
about one of its components, a leak sensor on it, and its last maintenance per component."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.e2e.helpers import transition

Login = Callable[[str], httpx.Client]

PUMP = {
    "type": "pump", "name": "2号生活水泵 / Domestic water pump 2", "make": "Grundfos",
    "model": "CR 10-4", "serial": "A1234567", "installed_on": "2016-05-01", "criticality": 4,
    "components": ["seal", "motor", "bearing", "motor"],
    "location": {"site": "demo", "building": "B", "floor": "1"},
}  # fmt: skip


def test_an_asset_is_registered_checked_and_shows_its_tickets_devices_and_maintenance(
    as_user: Login,
) -> None:
    admin = as_user("admin")
    created = admin.put("/v1/assets/pump-B-1-2", json=PUMP)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["components"] == ["bearing", "motor", "seal"] and body["criticality"] == 4
    assert admin.put("/v1/assets/pump-B-1-2", json={**PUMP, "criticality": 5}).status_code == 200

    nowhere = {**PUMP, "location": {"site": "demo", "building": "Z"}}
    reply = admin.put("/v1/assets/pump-Z", json=nowhere)
    assert reply.status_code == 422 and "no building 'Z' at site 'demo'" in reply.json()["detail"]
    for bad in ({"type": "spaceship"}, {"components": ["Seal!"]}, {"installed_on": "2999-01-01"}):
        assert admin.put("/v1/assets/pump-bad", json={**PUMP, **bad}).status_code == 422, bad

    sensor = {"kind": "leak", "location": {"site": "demo", "building": "B", "floor": "1",
                                           "asset": "pump-B-1-2"}}  # fmt: skip
    assert admin.put("/v1/devices/leak-pump-B-1-2", json=sensor).status_code == 201
    sensor["location"]["asset"] = "no-such-pump"  # type: ignore[index]
    refused = admin.put("/v1/devices/leak-pump-x", json=sensor)
    assert refused.status_code == 422 and "no asset 'no-such-pump'" in refused.json()["detail"]

    supervisor = as_user("supervisor1")
    job = supervisor.post("/v1/tickets", json={
        "kind": "maintenance", "category": "plumbing", "title": "更换机械密封 replace the seal",
        "location": {"site": "demo", "building": "B", "floor": "1"},
        "asset_id": "pump-B-1-2", "component": "seal"})  # fmt: skip
    assert job.status_code == 201, job.text
    assert (job.json()["asset_id"], job.json()["component"]) == ("pump-B-1-2", "seal")
    wrong = supervisor.post("/v1/tickets", json={
        "kind": "repair", "category": "plumbing", "title": "noise",
        "location": {"site": "demo", "building": "B", "floor": "1"},
        "asset_id": "pump-B-1-2", "component": "impeller"})  # fmt: skip
    assert wrong.status_code == 422 and "has no component 'impeller'" in wrong.json()["detail"]

    shown = admin.get("/v1/assets/pump-B-1-2").json()
    assert [t["number"] for t in shown["open_tickets"]] == [job.json()["number"]]
    assert shown["devices"] == ["leak-pump-B-1-2"] and shown["last_maintenance"] == {}
    listed = admin.get("/v1/tickets", params={"asset_id": "pump-B-1-2"}).json()["items"]
    assert [t["id"] for t in listed] == [job.json()["id"]]

    ticket_id = job.json()["id"]
    tech = as_user("tech1")
    for who, action, extra in [
        (supervisor, "accept", {}),
        (supervisor, "assign", {"assignee": "tech1"}),
        (tech, "start", {}),
        (tech, "resolve", {"note": "seal replaced"}),
    ]:
        assert transition(who, ticket_id, action, **extra).status_code == 200, action
    done = admin.get("/v1/assets/pump-B-1-2").json()
    assert set(done["last_maintenance"]) == {"seal"} and done["open_tickets"] == []
    pumps = admin.get("/v1/assets", params={"site": "demo", "type": "pump"}).json()["items"]
    assert [a["asset_id"] for a in pumps] == ["pump-B-1-2"]
    assert as_user("tenant1").get("/v1/assets/pump-B-1-2").status_code == 403
