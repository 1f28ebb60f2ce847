"""Every bad request gets a 4xx problem with a reason and leaves the database as it was."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest

from tests.e2e.helpers import new_ticket, raise_ticket, transition
from tests.e2e.system import JWT_SECRET, System

Login = Callable[[str], httpx.Client]


def _assert_problem(reply: httpx.Response, status: int, needle: str = "") -> None:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    body = reply.json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert needle.lower() in body["detail"].lower(), body["detail"]


def _token(secret: str, **claims: Any) -> str:
    now = int(time.time())
    base = {"sub": "tenant1", "role": "tenant", "site": "demo", "iat": now, "exp": now + 600}
    return jwt.encode({**base, **claims}, secret, algorithm="HS256")


@pytest.mark.parametrize(
    ("token", "needle"),
    [
        (None, "sign in"),
        ("not-a-jwt", "not valid"),
        (_token("some-other-secret-that-is-long-enough-0123"), "not valid"),
        (_token(JWT_SECRET, exp=int(time.time()) - 10), "expired"),
        (_token(JWT_SECRET, role="overlord"), "role"),
    ],
)
def test_missing_forged_or_expired_tokens_get_401(
    system: System, token: str | None, needle: str
) -> None:
    with system.client(token) as client:
        _assert_problem(client.get("/v1/tickets"), 401, needle)


def test_wrong_password_gets_401(system: System) -> None:
    with system.client() as client:
        reply = client.post("/v1/auth/token", data={"username": "tenant1", "password": "nope"})
    _assert_problem(reply, 401, "wrong password")


def test_guessing_a_password_is_held_off_with_retry_after(system: System) -> None:
    """Five failed sign-ins for one name, then 429 with Retry-After, even with the right
    password; other names are not held."""
    guess = {"username": "e2e-guessed", "password": "guess"}
    with system.client() as client:
        for _ in range(5):
            _assert_problem(client.post("/v1/auth/token", data=guess), 401, "")
        held = client.post("/v1/auth/token", data=guess)
        _assert_problem(held, 429, "too many failed sign-ins")
        assert 0 < int(held.headers["Retry-After"]) <= 300
        ok = client.post("/v1/auth/token", data={"username": "tenant2", "password": "demo"})
        assert ok.status_code == 200, ok.text


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (new_ticket(category="teleportation"), "unknown category"),
        ({k: v for k, v in new_ticket().items() if k != "location"}, "location"),
        (new_ticket(location={"site": "demo", "building": "A"}), "floor"),
        (new_ticket(location={"site": "demo", "building": "A", "floor": "99"}), "no floor"),
        (
            new_ticket(location={"site": "demo", "building": "A", "floor": "3", "unit": "Z-1"}),
            "no unit",
        ),
        (new_ticket(kind="fix"), "kind"),
        (new_ticket(priority="P9"), "priority"),
        (new_ticket(title=""), "title"),
        (new_ticket(title="x" * 201), "title"),
        (new_ticket(description="y" * 5001), "description"),
        (new_ticket(title=12345), "title"),
        (new_ticket(unexpected="field"), "unexpected"),
    ],
)
def test_invalid_ticket_bodies_get_422(
    as_user: Login, system: System, body: dict[str, Any], needle: str
) -> None:
    # Raised by the desk: a tenant naming a unit that is not theirs is refused before the
    # unit is looked up (test_ticket_flow.py).
    before = system.count_rows()
    _assert_problem(as_user("dispatcher1").post("/v1/tickets", json=body), 422, needle)
    assert system.count_rows() == before


def test_malformed_json_gets_422(as_user: Login) -> None:
    reply = as_user("tenant1").post(
        "/v1/tickets", content=b'{"kind": "repair", ', headers={"content-type": "application/json"}
    )
    _assert_problem(reply, 422, "json")


def test_ten_megabyte_description_gets_413(as_user: Login, system: System) -> None:
    before = system.count_rows()
    reply = as_user("tenant1").post("/v1/tickets", json=new_ticket(description="漏" * 3_500_000))
    _assert_problem(reply, 413, "larger than")
    assert system.count_rows() == before


def test_role_rules_give_403(as_user: Login, system: System) -> None:
    tid = raise_ticket(as_user("tenant1"))["id"]
    before = system.count_rows()
    _assert_problem(transition(as_user("tenant1"), tid, "accept"), 403, "tenant")
    _assert_problem(as_user("planner1").post("/v1/tickets", json=new_ticket()), 403, "planner")
    transition(as_user("dispatcher1"), tid, "assign", assignee="tech1")
    _assert_problem(transition(as_user("tech2"), tid, "start"), 403, "assigned technician")
    assert system.count_rows()[0] == before[0]


def test_illegal_transitions_get_409(as_user: Login, system: System) -> None:
    tenant, desk = as_user("tenant1"), as_user("dispatcher1")
    tid = raise_ticket(tenant)["id"]
    _assert_problem(transition(desk, tid, "close"), 409, "submitted")
    _assert_problem(tenant.post(f"/v1/tickets/{tid}/rating", json={"stars": 4}), 409, "rate")
    assert transition(desk, tid, "cancel").status_code == 200
    before = system.count_rows()
    for action in ("accept", "assign", "cancel", "reopen"):
        extra = {"assignee": "tech1"} if action == "assign" else {}
        _assert_problem(transition(desk, tid, action, **extra), 409, "cancelled")
    assert system.count_rows() == before


def test_transition_from_closed_gets_409(as_user: Login) -> None:
    admin = as_user("admin")
    tid = raise_ticket(as_user("tenant1"))["id"]
    transition(admin, tid, "assign", assignee="tech1")
    transition(admin, tid, "resolve")
    assert transition(admin, tid, "close").json()["status"] == "closed"
    for action in ("start", "resolve", "cancel", "accept", "close"):
        _assert_problem(transition(admin, tid, action), 409, "closed")


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"action": "teleport"}, "action"),
        ({"action": "assign"}, "assignee"),
        ({"action": "assign", "assignee": "tenant2"}, "no technician"),
        ({"action": "accept", "note": "n" * 2001}, "note"),
    ],
)
def test_invalid_transition_bodies_get_422(
    as_user: Login, body: dict[str, Any], needle: str
) -> None:
    tid = raise_ticket(as_user("tenant1"))["id"]
    reply = as_user("dispatcher1").post(f"/v1/tickets/{tid}/transitions", json=body)
    _assert_problem(reply, 422, needle)


@pytest.mark.parametrize("stars", [0, 6, "five", None])
def test_invalid_ratings_get_422(as_user: Login, stars: object) -> None:
    tid = raise_ticket(as_user("tenant1"))["id"]
    _assert_problem(
        as_user("tenant1").post(f"/v1/tickets/{tid}/rating", json={"stars": stars}), 422, "stars"
    )


def test_unknown_ticket_gets_404(as_user: Login) -> None:
    desk = as_user("dispatcher1")
    for ticket_id in ("00000000-0000-0000-0000-000000000000", "not-a-uuid"):
        _assert_problem(desk.get(f"/v1/tickets/{ticket_id}"), 404, "no ticket")
        _assert_problem(transition(desk, ticket_id, "accept"), 404, "no ticket")


def test_bad_list_queries_get_422(as_user: Login) -> None:
    desk = as_user("dispatcher1")
    _assert_problem(desk.get("/v1/tickets", params={"status": "lost"}), 422, "status")
    _assert_problem(desk.get("/v1/tickets", params={"limit": 0}), 422, "limit")
    _assert_problem(desk.get("/v1/tickets", params={"cursor": "garbage"}), 422, "page_token")


def test_attachment_that_is_not_an_image_gets_422(as_user: Login, system: System) -> None:
    tenant = as_user("tenant1")
    tid = raise_ticket(tenant)["id"]
    before = system.count_rows()
    for name, content, kind in [
        ("photo.jpg", b"#!/bin/sh\nrm -rf /\n", "image/jpeg"),
        ("photo.png", b"\xff\xd8\xff\xe0" + b"\x00" * 32, "image/png"),
    ]:
        reply = tenant.post(f"/v1/tickets/{tid}/attachments", files={"file": (name, content, kind)})
        _assert_problem(reply, 422, "")
    huge = b"\x89PNG\r\n\x1a\n" + b"\x00" * (10 * 1024 * 1024 + 1)
    reply = tenant.post(
        f"/v1/tickets/{tid}/attachments", files={"file": ("big.png", huge, "image/png")}
    )
    _assert_problem(reply, 413, "larger than")
    assert system.count_rows() == before
