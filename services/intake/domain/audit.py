"""The audit log's rules: what an entry holds, who records and who reads."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from services.intake.domain.errors import Forbidden, InvalidInput
from services.intake.domain.model import Actor, Role

__all__ = ["AuditEntry", "check_entry", "may_read_audit"]

_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_MAX_PATH = 500
_MAX_BODY = 16 * 1024


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One change: who (as the gateway authenticated them), when, the call and its answer."""

    username: str
    role: Role
    site: str
    method: str
    path: str
    status: int
    body_json: str
    request_id: str
    at: datetime | None = None
    id: int = 0


def check_entry(actor: Actor, entry: AuditEntry) -> AuditEntry:
    """The entry as recorded for `actor` (its user and role are the actor's; its site the
    one the change is about); raises InvalidInput for what no change looks like."""
    if actor.role is Role.TENANT:
        raise Forbidden("tenants change no configuration: nothing of theirs is audited")
    if entry.method not in _METHODS:
        raise InvalidInput(f"method must be one of {', '.join(sorted(_METHODS))}")
    if not entry.path.startswith("/") or len(entry.path) > _MAX_PATH or "\x00" in entry.path:
        raise InvalidInput(f"path must start with / and be at most {_MAX_PATH} characters")
    if len(entry.site) > 64:
        raise InvalidInput("site must be at most 64 characters")
    if not 100 <= entry.status <= 599:
        raise InvalidInput("status must be an HTTP status")
    if len(entry.body_json) > _MAX_BODY:
        raise InvalidInput(f"body_json is longer than {_MAX_BODY} characters")
    if entry.body_json:
        try:
            json.loads(entry.body_json)
        except ValueError as exc:
            raise InvalidInput(f"body_json is not JSON: {exc}") from None
    return AuditEntry(actor.username, actor.role, entry.site, entry.method, entry.path,
                      entry.status, entry.body_json, entry.request_id[:64])  # fmt: skip


def may_read_audit(actor: Actor) -> None:
    """Admins read the audit log; nobody else."""
    if actor.role not in (Role.ADMIN, Role.SYSTEM):
        raise Forbidden(f"a {actor.role.value} may not read the audit log")
