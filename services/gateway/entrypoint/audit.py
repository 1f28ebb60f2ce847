"""The audit log's writer: every successful change to how the system works that passes
the gateway (places, assets, devices, users, dispatch, SLA, notification contacts,
articles, imports, admin actions) is recorded at intake with who made it, when, the call,
its answer and what was sent (secrets replaced). Tickets' own life is in their event log,
and tenants change no configuration, so neither is recorded here. `GET /v1/admin/audit`
reads it (admins)."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from maintenance.intake.v1 import audit_pb2 as pb
from maintenance.intake.v1 import intake_pb2
from prometheus_client import Counter
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.logs import request_id_var
from services.common.protoenum import code_of
from services.gateway.entrypoint.deps import Caller, actor_of
from services.gateway.entrypoint.schemas import MAX_ID, time_of
from services.gateway.entrypoint.security import Principal

__all__ = ["AUDITED", "AuditMiddleware", "about_site", "router"]

log = logging.getLogger(__name__)

#: The paths whose changes are audited.
AUDITED = ("/v1/sites", "/v1/assets", "/v1/devices", "/v1/users", "/v1/dispatch", "/v1/sla",
           "/v1/notifications/contacts", "/v1/kb/articles", "/v1/import", "/v1/admin")  # fmt: skip
_CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_SECRETS = ("password", "secret", "token")
_MAX_BODY = 16 * 1024
_FAILED = Counter(
    "gateway_audit_failures_total", "Changes made whose audit entry could not be recorded"
)

router = APIRouter(prefix="/v1/admin", tags=["operations"])


def _hidden(value: Any) -> Any:
    """`value` with every secret replaced (keys naming a password, secret or token)."""
    if isinstance(value, dict):
        return {k: "***" if any(s in k.lower() for s in _SECRETS) else _hidden(v)
                for k, v in value.items()}  # fmt: skip
    if isinstance(value, list):
        return [_hidden(v) for v in value]
    return value


def body_json(body: bytes, content_type: str) -> str:
    """What was sent, as JSON for the log: a JSON body with its secrets replaced (cut to a
    size), anything else by its type and size."""
    if content_type.startswith("application/json") and body:
        try:
            text = json.dumps(_hidden(json.loads(body)), ensure_ascii=False)
        except ValueError:
            text = ""
        if text and len(text) <= _MAX_BODY:
            return text
    if not body:
        return ""
    return json.dumps({"content_type": content_type[:100], "bytes": len(body)})


def about_site(request: Request, site: str) -> None:
    """Record `site` ('' for something of every site) as the site the request's change is
    about, instead of the caller's."""
    request.state.audit_site = site


class AuditMiddleware:
    """Records each successful change to an audited path after it is answered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if (scope["type"] != "http" or scope.get("method") not in _CHANGES
                or not path.startswith(AUDITED)):  # fmt: skip
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        status = 0

        async def kept(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        async def reading() -> Message:
            message = await receive()
            if message["type"] == "http.request" and sum(map(len, chunks)) <= _MAX_BODY:
                chunks.append(message.get("body", b""))
            return message

        await self.app(scope, reading, kept)
        state = scope.get("state", {})
        who = state.get("principal")
        if isinstance(who, Principal) and who.role != "tenant" and 200 <= status < 400:
            headers = dict(scope["headers"])
            content_type = headers.get(b"content-type", b"").decode("latin-1")
            sent = body_json(b"".join(chunks), content_type)
            await _record(scope, who, status, sent, state.get("audit_site"))


async def _record(scope: Scope, who: Principal, status: int, sent: str, about: str | None) -> None:
    entry = pb.AuditEntry(
        username=who.username, site=who.site, method=str(scope["method"]),
        path=str(scope["path"])[:500], status=status, body_json=sent,
        request_id=request_id_var.get(),
    )  # fmt: skip
    try:
        await scope["app"].state.backends.audit.RecordAudit(
            pb.RecordAuditRequest(actor=actor_of(who), entry=entry, site=about), timeout=10
        )
    except Exception:  # the change is made: say loudly that its record is missing
        _FAILED.inc()
        log.exception("audit entry not recorded: %s %s by %s", entry.method, entry.path,
                      who.username)  # fmt: skip


class AuditOut(BaseModel):
    id: int
    at: datetime
    username: str
    role: str
    site: str
    method: str
    path: str
    status: int
    body: Any


class AuditList(BaseModel):
    items: list[AuditOut]
    #: Pass as `before_id` for the next (older) page; null on the last.
    next_before_id: int | None


def _out(e: pb.AuditEntry) -> AuditOut:
    return AuditOut(
        id=e.id, at=time_of(e.at), username=e.username,
        role=code_of(intake_pb2.Role, "ROLE_", e.role), site=e.site, method=e.method,
        path=e.path, status=e.status, body=json.loads(e.body_json) if e.body_json else None,
    )  # fmt: skip


@router.get("/audit", response_model=AuditList, summary="Who changed what, newest first")
async def list_audit(
    call: Caller,
    username: str = Query(default="", max_length=64),
    before_id: int = Query(default=0, ge=0, le=MAX_ID),
    limit: int = Query(default=100, ge=1, le=500),
) -> AuditList:
    call.require("admin")
    reply = await call.audit.ListAudit(
        pb.ListAuditRequest(actor=call.actor(), username=username, before_id=before_id,
                            limit=limit), **call.opts,
    )  # fmt: skip
    items = [_out(e) for e in reply.entries]
    full = len(items) == limit
    return AuditList(items=items, next_before_id=items[-1].id if full and items else None)
