"""One ticket as analytics sees it: the facts it was raised with and what its event history
made of it, derived one event at a time.

The definitions every figure rests on live here (docs/design.md, "Analytics", has them as
a table):

- *accepted*: the first time a person (not a service) accepts, assigns, claims, starts or
  resolves the ticket; dispatch's automatic assignment is not a response (as for the SLA
  respond clock). *assigned*: the first assignment or claim, by anyone.
- *open spans*: from raising to resolution or cancellation, and again from each reopening;
  the backlog counts the tickets inside a span.
- *resolved*: the standing resolution (a reopening withdraws it until the next one).
- *handling*: working time after acceptance up to the standing resolution, leaving out
  pauses (waiting for the tenant or for parts) and the time spent resolved before a reopening.
- *first-time fix*: resolved, never reopened, started at most once, never paused for parts.
- *SLA*: the SLA service's own events say which clocks breached, escalated or came near
  their deadline; a clock that ended without a breach met its target. Imported history was
  never timed and has no SLA outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "Event",
    "Facts",
    "Outcome",
    "Span",
    "TicketState",
    "apply_event",
    "aware_time",
    "corrected_history",
    "open_ticket",
]

#: A stretch of time the ticket was open: (from, until), until None while it still is.
Span = tuple[datetime, datetime | None]

_RESPONSES = frozenset({"accepted", "assigned", "claimed", "started", "resolved"})
_WORKING = frozenset({"accepted", "assigned", "in_progress"})
_TARGETS = ("respond", "resolve")


class Outcome(StrEnum):
    """How an SLA clock ended."""

    MET = "met"
    BREACHED = "breached"


@dataclass(frozen=True, slots=True)
class Event:
    """A ticket event from intake's log, as far as analytics cares."""

    id: int
    type: str
    at: datetime
    #: The status the event left the ticket in ("" when it did not say).
    to_status: str = ""
    #: Made by a service (ROLE_SYSTEM), not by a person.
    by_system: bool = False
    imported: bool = False
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Facts:
    """What the ticket was raised with; intake says when analytics first sees it."""

    number: str
    site: str
    building: str
    floor: str
    unit: str
    asset: str
    kind: str
    category: str
    priority: str
    #: "tenant", "staff", "sensor" or "import".
    source: str
    device_id: str = ""
    #: When the sensor alert behind a sensor ticket fired (its `alerted_at` attribute).
    alerted_at: datetime | None = None


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


@dataclass(frozen=True, slots=True)
class TicketState:
    """A ticket's facts and what its events so far made of it."""

    ticket_id: str
    facts: Facts
    status: str
    created_at: datetime
    imported: bool = False
    technician: str = ""
    accepted_at: datetime | None = None
    assigned_at: datetime | None = None
    resolved_at: datetime | None = None
    cancelled_at: datetime | None = None
    first_reopened_at: datetime | None = None
    rated_at: datetime | None = None
    stars: int | None = None
    reopens: int = 0
    starts: int = 0
    parts_waits: int = 0
    paused: bool = False
    #: Handling seconds over the closed working stretches, and the open stretch's start.
    work_s: float = 0.0
    work_since: datetime | None = None
    #: The closed working stretches themselves (for business hours); None for a ticket
    #: whose stretches were not kept (counted before they were).
    work_spans: tuple[Span, ...] | None = ()
    spans: tuple[Span, ...] = ()
    respond_breached_at: datetime | None = None
    resolve_breached_at: datetime | None = None
    respond_escalated: bool = False
    resolve_escalated: bool = False
    respond_reminded: bool = False
    resolve_reminded: bool = False

    @property
    def response_s(self) -> float | None:
        """Raised to accepted."""
        return _seconds(self.created_at, self.accepted_at)

    @property
    def dispatch_s(self) -> float | None:
        """Raised to first assigned."""
        return _seconds(self.created_at, self.assigned_at)

    @property
    def handling_s(self) -> float | None:
        """Working time from acceptance to the standing resolution, pauses left out."""
        return self.work_s if self.resolved_at is not None else None

    @property
    def resolve_s(self) -> float | None:
        """Raised to the standing resolution, everything included."""
        return _seconds(self.created_at, self.resolved_at)

    @property
    def alert_to_ticket_s(self) -> float | None:
        """For a sensor ticket: from the alert to the ticket."""
        return _seconds(self.facts.alerted_at, self.created_at)

    @property
    def alert_to_assignment_s(self) -> float | None:
        """For a sensor ticket: from the alert to the first assignment."""
        return _seconds(self.facts.alerted_at, self.assigned_at)

    @property
    def sla_respond(self) -> Outcome | None:
        """Breached, met (accepted without a breach), or not known (yet)."""
        if self.imported:
            return None
        if self.respond_breached_at is not None:
            return Outcome.BREACHED
        return Outcome.MET if self.accepted_at is not None else None

    @property
    def sla_resolve(self) -> Outcome | None:
        """Breached, met (resolved without a breach), or not known (yet)."""
        if self.imported:
            return None
        if self.resolve_breached_at is not None:
            return Outcome.BREACHED
        return Outcome.MET if self.resolved_at is not None else None

    @property
    def first_time_fix(self) -> bool | None:
        """Resolved without a reopening, a second start or a wait for parts; None while
        not resolved."""
        if self.resolved_at is None:
            return None
        return self.reopens == 0 and self.starts <= 1 and self.parts_waits == 0

    @property
    def is_open(self) -> bool:
        """Inside an open span now (raised or reopened, not resolved or cancelled since)."""
        return bool(self.spans) and self.spans[-1][1] is None

    @property
    def last_at(self) -> datetime | None:
        """The latest instant any figure counts this ticket at; None while it is open (it
        counts in the backlog of every day to come)."""
        if self.is_open:
            return None
        times = [self.created_at, self.resolved_at, self.cancelled_at, self.first_reopened_at]
        times += [end for _, end in self.spans]
        return max(t for t in times if t is not None)


def open_ticket(ticket_id: str, facts: Facts, created: Event) -> TicketState:
    """The ticket as its `created` event leaves it."""
    return TicketState(
        ticket_id=ticket_id,
        facts=facts,
        status=created.to_status or "submitted",
        created_at=created.at,
        imported=created.imported,
        spans=((created.at, None),),
    )


def _close_span(spans: tuple[Span, ...], at: datetime) -> tuple[Span, ...]:
    if not spans or spans[-1][1] is not None:
        return spans
    start = spans[-1][0]
    return (*spans[:-1], (start, max(start, at)))


def _sla(t: TicketState, e: Event) -> dict[str, Any]:
    target = e.payload.get("target")
    if target not in _TARGETS:
        return {}
    if e.type == "sla_breached":
        key = f"{target}_breached_at"
        return {} if getattr(t, key) is not None else {key: e.at}
    if e.type == "sla_escalated":
        return {f"{target}_escalated": True}
    return {f"{target}_reminded": True}


def _assigned(t: TicketState, e: Event) -> dict[str, Any]:
    first = {"assigned_at": e.at} if t.assigned_at is None else {}
    return {"technician": str(e.payload.get("assignee") or ""), **first}


def _paused(t: TicketState, e: Event) -> dict[str, Any]:
    parts = e.payload.get("reason") == "waiting_parts"
    return {"paused": True, "parts_waits": t.parts_waits + parts}


def _reopened(t: TicketState, e: Event) -> dict[str, Any]:
    first = {"first_reopened_at": e.at} if t.first_reopened_at is None else {}
    spans = (*t.spans, (e.at, None))
    return {"resolved_at": None, "reopens": t.reopens + 1, "spans": spans, **first}


def _rated(t: TicketState, e: Event) -> dict[str, Any]:
    stars = e.payload.get("stars")
    return {"stars": stars, "rated_at": e.at} if isinstance(stars, int) else {}


_Change = Callable[[TicketState, Event], dict[str, Any]]
#: What each event type changes, before handling time is accounted.
_CHANGES: dict[str, _Change] = {
    "assigned": _assigned,
    "claimed": _assigned,
    "declined": lambda t, e: {"technician": ""},
    "started": lambda t, e: {"starts": t.starts + 1},
    "paused": _paused,
    "resumed": lambda t, e: {"paused": False},
    "resolved": lambda t, e: {"resolved_at": e.at, "paused": False,
                              "spans": _close_span(t.spans, e.at)},
    "cancelled": lambda t, e: {"cancelled_at": e.at, "paused": False,
                               "spans": _close_span(t.spans, e.at)},
    "reopened": _reopened,
    "rated": _rated,
    "sla_reminder": _sla,
    "sla_escalated": _sla,
    "sla_breached": _sla,
}  # fmt: skip


def apply_event(t: TicketState, e: Event) -> TicketState:
    """The ticket after `e` (events of types that say nothing analytics counts change
    nothing but the status they name)."""
    changes = _CHANGES[e.type](t, e) if e.type in _CHANGES else {}
    if e.type in _RESPONSES and not e.by_system and t.accepted_at is None:
        changes["accepted_at"] = e.at
    status = e.to_status or t.status
    working = (
        changes.get("accepted_at", t.accepted_at) is not None
        and status in _WORKING and not changes.get("paused", t.paused)
    )  # fmt: skip
    if t.work_since is not None and not working:
        worked = max(0.0, (e.at - t.work_since).total_seconds())
        changes.update(work_s=t.work_s + worked, work_since=None)
        if t.work_spans is not None:
            changes["work_spans"] = (*t.work_spans, (t.work_since, max(t.work_since, e.at)))
    elif t.work_since is None and working:
        changes["work_since"] = e.at
    return replace(t, **changes, status=status) if changes or status != t.status else t


def _when(payload: Mapping[str, Any], key: str) -> datetime | None:
    return aware_time(payload.get(key))


def aware_time(value: object) -> datetime | None:
    """An ISO 8601 time with its zone; None for anything else (no zone, not a time)."""
    if not isinstance(value, str):
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


def corrected_history(
    ticket_id: str, facts: Facts, technician: str, correction: Event
) -> TicketState | None:
    """The ticket an `import_corrected` event describes, replayed from the times it gives
    (opened, accepted, resolved and closed, as intake's work-order import records them);
    None when it names no opening time."""
    p = correction.payload
    opened = _when(p, "opened_at")
    if opened is None:
        return None
    accepted, resolved, closed = (_when(p, k) for k in ("accepted_at", "resolved_at", "closed_at"))
    started = accepted or opened
    steps: list[tuple[str, datetime | None, str, dict[str, Any]]] = [
        ("accepted", accepted, "accepted", {}),
    ]
    if correction.to_status == "cancelled":
        steps.append(("cancelled", closed or started, "cancelled", {}))
    else:
        steps += [
            ("assigned", started, "assigned", {"assignee": technician}),
            ("resolved", resolved, "resolved", {}),
            ("closed", closed, "closed", {}),
        ]
        if isinstance(p.get("stars"), int):
            steps.append(("rated", closed or resolved, "", {"stars": p["stars"]}))
    t = open_ticket(ticket_id, facts, Event(0, "created", opened, "submitted", imported=True))
    for n, (kind, at, status, payload) in enumerate(steps, start=1):
        if at is not None:
            t = apply_event(t, Event(n, kind, at, status, imported=True, payload=payload))
    return t
