"""People as data over REST: an admin registers a tenant in a unit and a technician at a
site, resets a password and disables a user instead of deleting them."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.e2e.system import System

Login = Callable[[str], httpx.Client]

UNIT = {"site": "demo", "building": "A", "floor": "3", "unit": "A-302"}


def _sign_in(system: System, username: str, password: str) -> int:
    with system.client() as anonymous:
        reply = anonymous.post("/v1/auth/token", data={"username": username, "password": password})
    return reply.status_code


def test_an_admin_registers_people_who_then_sign_in(as_user: Login, system: System) -> None:
    admin = as_user("admin")
    body = {"role": "tenant", "display_name": "周杰 Zhou Jie", "locale": "zh-CN",
            "units": [UNIT], "password": "correct horse"}  # fmt: skip
    created = admin.put("/v1/users/tenant3", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["sites"] == ["demo"] and created.json()["units"] == [UNIT]
    assert "password" not in created.json()
    assert _sign_in(system, "tenant3", "correct horse") == 200

    renamed = admin.put(
        "/v1/users/tenant3", json={**body, "display_name": "Zhou Jie", "password": None}
    )
    assert renamed.status_code == 200 and renamed.json()["display_name"] == "Zhou Jie"
    assert _sign_in(system, "tenant3", "correct horse") == 200  # the password stays
    assert (
        admin.put("/v1/users/tenant3", json={**body, "password": "battery staple"}).status_code
        == 200
    )
    assert _sign_in(system, "tenant3", "correct horse") == 401
    assert admin.put("/v1/users/tenant3", json={**body, "disabled": True}).status_code == 200
    assert _sign_in(system, "tenant3", "battery staple") == 401

    tech = admin.put(
        "/v1/users/tech9", json={"role": "technician", "sites": ["demo"], "password": "wrench-123"}
    )
    assert tech.status_code == 201, tech.text
    supervisor = as_user("supervisor1")
    listed = supervisor.get("/v1/users", params={"role": "technician"}).json()["items"]
    assert "tech9" in {u["username"] for u in listed}
    assert as_user("tenant1").get("/v1/users/tenant1").json()["units"][0]["unit"] == "A-301"
    assert as_user("tenant1").get("/v1/users").status_code == 403
    assert as_user("tenant1").get("/v1/users/tenant2").status_code == 404
    assert (
        supervisor.put(
            "/v1/users/tech10", json={"role": "technician", "sites": ["demo"]}
        ).status_code
        == 403
    )


def test_bad_registrations_are_422_saying_why(as_user: Login) -> None:
    admin = as_user("admin")
    for body, words in [
        ({"role": "tenant", "units": []}, "needs the unit"),
        ({"role": "tenant", "units": [{**UNIT, "unit": "A-399"}]}, "no unit 'A-399'"),
        ({"role": "technician"}, "needs the site"),
        ({"role": "technician", "sites": ["nowhere"]}, "no site 'nowhere'"),
        ({"role": "technician", "sites": ["demo"], "password": "short"}, "at least 8"),
        ({"role": "technician", "sites": ["demo"], "units": [UNIT]}, "only tenants"),
    ]:
        reply = admin.put("/v1/users/someone", json=body)
        assert reply.status_code == 422 and words in reply.text, (body, reply.text)
    assert admin.put("/v1/users/Bad Name", json={"role": "admin"}).status_code == 422
    assert admin.put("/v1/users/x1", json={"role": "system"}).status_code == 422
