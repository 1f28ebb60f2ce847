"""Work orders from another system or a spreadsheet: finished tickets with the times they
really had, replayed through the same lifecycle rules as live ones.

A work order is known by its site and external id, so a file can be imported again: the same
row changes nothing, a corrected row updates the ticket in place. Every event of an imported
ticket carries `"imported": true` in its payload; the followers (dispatch, SLA, notification)
leave such events alone, so nothing fires for work done years ago.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, fields
from datetime import datetime
from typing import TypeVar

from services.intake.domain.assets import check_component_name
from services.intake.domain.creation import NewTicket
from services.intake.domain.errors import DomainError, InvalidInput
from services.intake.domain.history import HistoricalStep, replay
from services.intake.domain.model import (
    CATEGORIES,
    Action,
    Actor,
    Kind,
    Location,
    NewEvent,
    Priority,
    Rating,
    Role,
    Source,
    Status,
    Ticket,
)
from services.intake.domain.place_import import RowProblem

__all__ = [
    "FINISHED",
    "KIND_NAMES",
    "PRIORITY_NAMES",
    "STATUS_NAMES",
    "WorkOrder",
    "category_code",
    "check_work_order",
    "corrected_event",
    "from_name",
    "replay_work_order",
    "work_order_id",
]

#: The statuses a work order may have: only finished work is history.
FINISHED = frozenset({Status.RESOLVED, Status.CLOSED, Status.CANCELLED})
_NAMESPACE = uuid.UUID("6f1c4a52-9d0e-4b7a-8a59-3c2f61d0b7e4")
_IMPORTER = "importer"
_EXTERNAL_ID_CHARS = 100
_T = TypeVar("_T")
_CORRECTABLE = ("kind", "category", "status", "priority", "title", "description", "location",
                "assignee", "cost_cents", "rating", "component", "created_at",
                "status_changed_at")  # fmt: skip

#: The words files use for each kind, status and priority (matched without case).
KIND_NAMES: dict[str, Kind] = {
    **{k.value: k for k in Kind}, "报修": Kind.REPAIR, "维修": Kind.REPAIR,
    "投诉": Kind.COMPLAINT, "咨询": Kind.INQUIRY, "保养": Kind.MAINTENANCE,
    "维保": Kind.MAINTENANCE, "巡检": Kind.MAINTENANCE, "preventive": Kind.MAINTENANCE,
}  # fmt: skip
STATUS_NAMES: dict[str, Status] = {
    "resolved": Status.RESOLVED, "completed": Status.RESOLVED, "done": Status.RESOLVED,
    "已解决": Status.RESOLVED, "已完成": Status.RESOLVED, "已完工": Status.RESOLVED,
    "closed": Status.CLOSED, "已关闭": Status.CLOSED, "已结单": Status.CLOSED,
    "cancelled": Status.CANCELLED, "canceled": Status.CANCELLED, "已取消": Status.CANCELLED,
    **{s.value: s for s in Status},
}  # fmt: skip
PRIORITY_NAMES: dict[str, Priority] = {
    **{p.value.casefold(): p for p in Priority}, **{p.value[1]: p for p in Priority},
    "紧急": Priority.P1, "高": Priority.P2, "中": Priority.P3, "低": Priority.P4,
}  # fmt: skip


def from_name(names: dict[str, _T], text: str, column: str) -> _T:
    """The value a file's word stands for; InvalidInput naming the column when none."""
    found = names.get(text.strip().casefold())
    if found is None:
        known = ", ".join(n for n in names if n.isascii())
        raise InvalidInput(f"{column} {text[:40]!r} is not one of: {known}", column)
    return found


@dataclass(frozen=True, slots=True)
class WorkOrder:
    """One line of a work orders file, its place already resolved (from the asset if the
    line names only that); times are aware."""

    line: int
    external_id: str
    kind: Kind
    category: str
    status: Status
    location: Location
    opened_at: datetime
    title: str
    priority: Priority | None = None
    component: str = ""
    accepted_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    assignee: str = ""
    requester: str = ""
    cost_cents: int = 0
    rating: int = 0
    description: str = ""

    def fingerprint(self) -> str:
        """A hash of everything the line says (not its line number): equal for a re-import."""
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "line"}
        loc = self.location
        values["location"] = [loc.site, loc.building, loc.floor, loc.unit, loc.asset]
        canonical = json.dumps(values, default=str, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()


def category_code(text: str) -> str:
    """A category's code from its code, English name or Chinese name ('' when none)."""
    wanted = text.strip().casefold()
    for code, (english, chinese, _) in CATEGORIES.items():
        if wanted in (code, english.casefold(), chinese):
            return code
    return ""


def work_order_id(site: str, external_id: str) -> str:
    """The ticket id of a work order: the same for the same site and external id."""
    return str(uuid.uuid5(_NAMESPACE, f"{site}\x1f{external_id}"))


def _timeline(w: WorkOrder) -> list[tuple[str, datetime | None]]:
    return [("opened_at", w.opened_at), ("accepted_at", w.accepted_at),
            ("resolved_at", w.resolved_at), ("closed_at", w.closed_at)]  # fmt: skip


def _status_problems(w: WorkOrder) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if w.status not in FINISHED:
        found.append(("status", "only finished work is history: status must be resolved,"
                      f" closed or cancelled, not {w.status.value}"))  # fmt: skip
    if w.status in (Status.RESOLVED, Status.CLOSED) and w.resolved_at is None:
        found.append(("resolved_at", f"a {w.status.value} work order needs resolved_at"))
    if w.status is Status.CLOSED and w.closed_at is None:
        found.append(("closed_at", "a closed work order needs closed_at"))
    if w.status is Status.CANCELLED and w.resolved_at is not None:
        found.append(("resolved_at", "a cancelled work order was never resolved"))
    if w.rating and w.status is Status.CANCELLED:
        found.append(("rating", "a cancelled work order has no rating"))
    return found


def _time_problems(w: WorkOrder) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    earlier = ("opened_at", w.opened_at)
    for column, at in _timeline(w)[1:]:
        if at is None:
            continue
        if at < earlier[1]:
            found.append((column, f"{column} ({at.isoformat()}) is before {earlier[0]}"))
        earlier = (column, at)
    return found


def check_work_order(w: WorkOrder) -> list[RowProblem]:
    """What is wrong with the line as it stands (its place and asset are checked against the
    stored tree elsewhere)."""
    found = _status_problems(w) + _time_problems(w)
    if not w.external_id.strip() or len(w.external_id) > _EXTERNAL_ID_CHARS:
        found.append(("external_id", f"external_id must be 1-{_EXTERNAL_ID_CHARS} characters"))
    if w.rating and not 1 <= w.rating <= 5:
        found.append(("rating", "rating must be a whole number of stars from 1 to 5"))
    if w.cost_cents < 0:
        found.append(("cost", "cost must not be negative"))
    if w.component:
        try:
            check_component_name(w.component)
        except InvalidInput as exc:
            found.append(("component", str(exc)))
    return [RowProblem(w.line, column, reason) for column, reason in found]


def _steps(w: WorkOrder, importer: Actor) -> list[HistoricalStep]:
    steps: list[HistoricalStep] = []
    started = w.accepted_at or w.opened_at
    if w.accepted_at is not None:
        steps.append(HistoricalStep(importer, w.accepted_at, Action.ACCEPT))
    if w.status is Status.CANCELLED:
        steps.append(HistoricalStep(importer, w.closed_at or started, Action.CANCEL))
        return steps
    assert w.resolved_at is not None
    steps.append(HistoricalStep(importer, started, Action.ASSIGN, w.assignee or _IMPORTER))
    steps.append(HistoricalStep(importer, w.resolved_at, Action.RESOLVE))
    if w.status is Status.CLOSED:
        assert w.closed_at is not None
        steps.append(HistoricalStep(importer, w.closed_at, Action.CLOSE))
    return steps


def replay_work_order(importer: Actor, w: WorkOrder) -> tuple[Ticket, list[NewEvent]]:
    """The ticket the work order left and the events of its history, each marked imported.

    Raises InvalidInput (or another DomainError) when the history breaks the lifecycle rules.
    """
    request = NewTicket(
        kind=w.kind, category=w.category, title=w.title, description=w.description,
        location=w.location, priority=w.priority, component=w.component,
        attributes={"external_id": w.external_id, "import_fingerprint": w.fingerprint()},
    )  # fmt: skip
    requester = Actor(w.requester or _IMPORTER, Role.SYSTEM, importer.site, importer.channel)
    admin = Actor(importer.username, Role.ADMIN, importer.site, importer.channel)
    try:
        ticket, events = replay(importer, work_order_id(w.location.site, w.external_id),
                                request, requester, w.opened_at, _steps(w, admin))  # fmt: skip
    except DomainError as exc:
        raise InvalidInput(f"{exc}", getattr(exc, "field", "")) from None
    ticket.source = Source.IMPORT
    if w.cost_cents:
        ticket.cost_cents = w.cost_cents
        for event in events:
            if event.type == "resolved":
                event.payload.update(cost_cents=w.cost_cents)
    if w.rating:
        at = w.closed_at or w.resolved_at
        assert at is not None
        ticket.rating = Rating(w.rating, "", at)
        events.append(NewEvent("rated", ticket.status, ticket.status, admin.username, admin.role,
                               admin.channel, at, payload={"stars": w.rating, "imported": True}))  # fmt: skip
    return ticket, events


def corrected_event(importer: Actor, before: Ticket, after: Ticket, w: WorkOrder) -> NewEvent:
    """The one event a corrected re-import appends: the ticket's new facts, times included
    (the log is append-only, so readers take a corrected ticket's times from here)."""
    changed = sorted(name for name in _CORRECTABLE if getattr(before, name) != getattr(after, name))
    times = {column: at.isoformat() if at else None for column, at in _timeline(w)}
    return NewEvent(
        "import_corrected", before.status, after.status, importer.username, importer.role,
        importer.channel, after.updated_at,
        payload={"imported": True, "changed": changed, "external_id": w.external_id, **times,
                 "stars": w.rating or None, "cost_cents": w.cost_cents},
    )  # fmt: skip
