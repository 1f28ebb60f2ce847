"""The audit log's entries: what is accepted, who records and reads, secrets hidden."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from services.gateway.entrypoint.audit import body_json
from services.intake.domain.audit import AuditEntry, check_entry, may_read_audit
from services.intake.domain.errors import Forbidden, InvalidInput
from services.intake.domain.model import Actor, Role

ADMIN = Actor("admin", Role.ADMIN)
ENTRY = AuditEntry("forged", Role.ADMIN, "", "PUT", "/v1/sites/x", 201, '{"name": "x"}', "r1")


def test_an_entry_is_the_actors_whoever_it_names_at_the_site_it_is_about() -> None:
    checked = check_entry(Actor("supervisor1", Role.SUPERVISOR, "demo"), replace(ENTRY, site="n"))
    assert (checked.username, checked.role, checked.site) == ("supervisor1", Role.SUPERVISOR,
                                                              "n")  # fmt: skip


@pytest.mark.parametrize(
    "change",
    [{"method": "GET"}, {"path": "v1/x"}, {"path": "/" + "x" * 600}, {"status": 42},
     {"body_json": "{not json"}, {"body_json": '"' + "x" * 20000 + '"'}, {"site": "s" * 65}],
)  # fmt: skip
def test_what_no_change_looks_like_is_refused(change: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        check_entry(ADMIN, replace(ENTRY, **change))  # type: ignore[arg-type]


def test_tenants_are_not_audited_and_only_admins_read() -> None:
    with pytest.raises(Forbidden):
        check_entry(Actor("tenant1", Role.TENANT), ENTRY)
    may_read_audit(ADMIN)
    with pytest.raises(Forbidden):
        may_read_audit(Actor("supervisor1", Role.SUPERVISOR, "demo"))


def test_secrets_are_hidden_and_other_bodies_named_by_type_and_size() -> None:
    sent = {"password": "p", "channels": [{"url": "x", "apiToken": "t"}], "name": "张三"}
    shown = json.loads(body_json(json.dumps(sent).encode(), "application/json"))
    assert shown == {"password": "***", "channels": [{"url": "x", "apiToken": "***"}],
                     "name": "张三"}  # fmt: skip
    assert json.loads(body_json(b"a,b\n1,2\n", "text/csv")) == {"content_type": "text/csv",
                                                                "bytes": 8}  # fmt: skip
    assert body_json(b"", "application/json") == ""
