"""Places as data over REST: a property manager builds a site's tree, names it in Chinese and
English, and cannot delete what tickets, users or devices still use."""

from __future__ import annotations

from collections.abc import Callable

import httpx

Login = Callable[[str], httpx.Client]


def test_an_admin_builds_a_site_and_floors_sort_as_people_expect(as_user: Login) -> None:
    admin = as_user("admin")
    created = admin.put("/v1/sites/park2", json={"name": "二号园区", "name_en": "Park 2",
                                                 "timezone": "Asia/Shanghai"})  # fmt: skip
    assert created.status_code == 201, created.text
    again = admin.put("/v1/sites/park2", json={"name": "二号园区", "name_en": "Park Two"})
    assert (again.status_code, again.json()["name_en"]) == (200, "Park Two")
    assert admin.put("/v1/sites/park2/buildings/T1", json={"name": "一号楼"}).status_code == 201
    for floor in ("10", "2", "B1", "1", "B2", "G", "RF"):
        reply = admin.put(f"/v1/sites/park2/buildings/T1/floors/{floor}")
        assert reply.status_code == 201, reply.text
    assert admin.put("/v1/sites/park2/buildings/T1/floors/1/units/T1-101",
                     json={"name": "101室", "name_en": "Room 101"}).status_code == 201  # fmt: skip
    tree = admin.get("/v1/sites/park2").json()
    floors = tree["buildings"][0]["floors"]
    assert [f["code"] for f in floors] == ["B2", "B1", "G", "1", "2", "10", "RF"]
    assert floors[3]["units"] == [{"code": "T1-101", "name": "101室", "name_en": "Room 101"}]
    assert "park2" in {s["code"] for s in admin.get("/v1/sites").json()["items"]}
    tenant = as_user("tenant1")
    assert tenant.get("/v1/sites/park2").status_code == 200
    assert tenant.put("/v1/sites/park2/buildings/T9").status_code == 403


def test_unknown_places_and_bad_input_are_422_naming_the_missing_level(as_user: Login) -> None:
    admin = as_user("admin")
    reply = admin.put("/v1/sites/demo/buildings/ZZ/floors/1")
    assert reply.status_code == 422 and "no building 'ZZ' at site 'demo'" in reply.json()["detail"]
    reply = admin.put("/v1/sites/nosuch/buildings/A")
    assert reply.status_code == 422 and "no site 'nosuch'" in reply.json()["detail"]
    bad_zone = admin.put("/v1/sites/park3", json={"name": "x", "timezone": "Mars/Olympus"})
    assert bad_zone.status_code == 422 and "time zone" in bad_zone.json()["detail"]
    assert admin.put("/v1/sites/park3", json={"name": ""}).status_code == 422
    assert admin.put("/v1/sites/demo/buildings/A%00B").status_code == 422
    assert admin.get("/v1/sites/nosuch").status_code == 404
    moved = admin.put("/v1/sites/demo/buildings/B/floors/5/units/A-301")
    assert moved.status_code == 409 and "unit 'A-301'" in moved.json()["detail"]


def test_a_place_in_use_cannot_be_deleted_an_unused_one_can(as_user: Login) -> None:
    admin = as_user("admin")
    tenant = as_user("tenant1")
    ticket = tenant.post("/v1/tickets", json={
        "kind": "repair", "category": "plumbing", "title": "漏水 leak",
        "location": {"site": "demo", "building": "A", "floor": "3", "unit": "A-301"}})  # fmt: skip
    assert ticket.status_code == 201, ticket.text
    in_use = admin.delete("/v1/sites/demo/buildings/A/floors/3/units/A-301")
    assert in_use.status_code == 409
    detail = in_use.json()["detail"]
    assert ticket.json()["number"] in detail and "tenant1" in detail
    assert admin.delete("/v1/sites/demo").status_code == 409

    assert admin.put("/v1/sites/demo/buildings/C").status_code == 201
    assert admin.put("/v1/sites/demo/buildings/C/floors/1").status_code == 201
    device = {"kind": "leak", "location": {"site": "demo", "building": "C", "floor": "1"}}
    assert admin.put("/v1/devices/leak-C-1", json=device).status_code == 201
    held = admin.delete("/v1/sites/demo/buildings/C")
    assert held.status_code == 409 and "leak-C-1" in held.json()["detail"]

    assert admin.put("/v1/sites/demo/buildings/D/floors/1/units/D-101").status_code == 422
    assert admin.put("/v1/sites/demo/buildings/D/floors/1").status_code == 422
    assert admin.put("/v1/sites/demo/buildings/D").status_code == 201
    assert admin.put("/v1/sites/demo/buildings/D/floors/1").status_code == 201
    assert admin.put("/v1/sites/demo/buildings/D/floors/1/units/D-101").status_code == 201
    assert admin.delete("/v1/sites/demo/buildings/D").status_code == 204
    assert all(b["code"] != "D" for b in admin.get("/v1/sites/demo").json()["buildings"])
    assert admin.delete("/v1/sites/demo/buildings/D").status_code == 404


def test_a_site_supervisor_manages_their_own_site_only(as_user: Login) -> None:
    supervisor = as_user("supervisor1")  # works at site demo
    assert supervisor.put("/v1/sites/demo/buildings/E", json={"name": "E栋"}).status_code == 201
    assert supervisor.put("/v1/sites/demo/buildings/E/floors/B1").status_code == 201
    assert supervisor.delete("/v1/sites/demo/buildings/E").status_code == 204
    assert supervisor.put("/v1/sites/demo", json={"name": "renamed"}).status_code == 403
    as_user("admin").put("/v1/sites/other", json={"name": "Other"})
    assert supervisor.put("/v1/sites/other/buildings/A").status_code == 403
