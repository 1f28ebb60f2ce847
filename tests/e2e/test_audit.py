"""The audit log over REST: changes to how the system works are recorded with who, when,
the call and what was sent (passwords hidden); refused changes and tickets' own life are
not; only admins read it."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.e2e.helpers import ok, raise_ticket

Login = Callable[[str], httpx.Client]


def test_changes_are_recorded_with_who_and_what_and_secrets_hidden(as_user: Login) -> None:
    admin, supervisor, tenant = as_user("admin"), as_user("supervisor1"), as_user("tenant1")
    assert admin.put("/v1/sites/audit1", json={"name": "审计园区"}).status_code in (200, 201)
    person = {"role": "technician", "sites": ["demo"], "display_name": "审计 Tech",
              "password": "s3cret-pass-word"}  # fmt: skip
    assert admin.put("/v1/users/audit-tech", json=person).status_code in (200, 201)
    assert supervisor.put("/v1/sites/demo/buildings/AU", json={"name": "AU"}).status_code == 201
    refused = supervisor.put("/v1/sites/audit1/buildings/X", json={"name": "X"})
    assert refused.status_code == 403
    raise_ticket(tenant)  # a ticket's life is in its own event log

    entries = ok(admin.get("/v1/admin/audit", params={"limit": 50}))["items"]
    ours = [(e["username"], e["method"], e["path"]) for e in entries
            if e["path"] in ("/v1/sites/audit1", "/v1/users/audit-tech",
                             "/v1/sites/demo/buildings/AU", "/v1/sites/audit1/buildings/X")]  # fmt: skip
    assert ours == [
        ("supervisor1", "PUT", "/v1/sites/demo/buildings/AU"),
        ("admin", "PUT", "/v1/users/audit-tech"),
        ("admin", "PUT", "/v1/sites/audit1"),
    ]  # newest first; the refused one is not there
    user_entry = next(e for e in entries if e["path"] == "/v1/users/audit-tech")
    assert user_entry["body"]["password"] == "***" and user_entry["role"] == "admin"
    assert user_entry["body"]["display_name"] == "审计 Tech" and user_entry["status"] in (200, 201)
    assert not [e for e in entries if e["path"].startswith("/v1/tickets")]
    theirs = ok(admin.get("/v1/admin/audit", params={"username": "supervisor1"}))["items"]
    assert theirs and {e["username"] for e in theirs} == {"supervisor1"}
    assert supervisor.get("/v1/admin/audit").status_code == 403
