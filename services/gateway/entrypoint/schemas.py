"""The REST API's bodies, and their translation from the intake protobuf messages."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal

from google.protobuf.timestamp_pb2 import Timestamp
from maintenance.intake.v1 import intake_pb2 as pb
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.common.protoenum import code_of

__all__ = [
    "MAX_ID",
    "AttachmentOut",
    "CreatedTicketOut",
    "EventList",
    "EventOut",
    "LocationIn",
    "LocationOut",
    "RatingIn",
    "SuggestionOut",
    "TicketIn",
    "TicketList",
    "TicketOut",
    "TokenOut",
    "TransitionIn",
    "attachment_out",
    "event_out",
    "stamp_of",
    "suggestion_out",
    "ticket_out",
    "time_of",
]

Kind = Literal["repair", "complaint", "inquiry", "maintenance"]
Status = Literal[
    "submitted",
    "accepted",
    "assigned",
    "in_progress",
    "resolved",
    "awaiting_rating",
    "closed",
    "cancelled",
]
PriorityCode = Literal["P1", "P2", "P3", "P4"]
#: The largest id a service stores (PostgreSQL bigint, protobuf int64): a larger one is
#: refused here instead of failing on its way to the service.
MAX_ID = 2**63 - 1
ActionCode = Literal[
    "accept", "assign", "start", "resolve", "close", "cancel", "reopen",
    "claim", "decline", "pause", "resume", "approve",
]  # fmt: skip
ChannelCode = Literal["web", "app", "wechat", "phone", "api"]
Source = Literal["tenant", "staff", "sensor", "import"]

_Code = Field(min_length=1, max_length=64)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LocationIn(_Strict):
    site: str = _Code
    building: str = _Code
    floor: str = Field(min_length=1, max_length=16)
    unit: str | None = Field(default=None, max_length=64)
    asset: str | None = Field(default=None, max_length=64)


class TicketIn(_Strict):
    """A new ticket. Left out (or `other`), the category comes from triage, a classifier of
    the title and description; left out, the priority comes from the text and category.
    The ticket then records the suggestion in `attributes` (`triage_category`,
    `triage_priority`, their `*_confidence` and `triage_model`)."""

    kind: Kind
    category: str | None = Field(default=None, min_length=1, max_length=64, examples=["plumbing"])
    title: str = Field(
        min_length=1, max_length=200, examples=["厨房水槽下漏水 / Leak under kitchen sink"]
    )
    description: str = Field(default="", max_length=5000)
    location: LocationIn
    priority: PriorityCode | None = None
    contact: str = Field(default="", max_length=200)
    channel: ChannelCode = "web"
    attributes: dict[str, str] = Field(default_factory=dict, max_length=50)
    #: The asset the ticket is about (the same as `location.asset`, which it fills).
    asset_id: str | None = Field(default=None, min_length=1, max_length=64)
    #: One of the asset's components (`seal`, `door_operator`); needs the asset.
    component: str | None = Field(default=None, min_length=1, max_length=40)

    @model_validator(mode="after")
    def _one_asset(self) -> TicketIn:
        if self.asset_id and self.location.asset and self.asset_id != self.location.asset:
            raise ValueError("asset_id and location.asset name different assets")
        return self


class TransitionIn(_Strict):
    """`assignee` for assign; `reason` for decline (why) and pause (`waiting_tenant` or
    `waiting_parts`); `cost_cents` for resolve (above the approval threshold the ticket
    waits for a supervisor's `approve` before it can close); `priority` and `category` for
    accept (the desk confirms or changes the ticket's priority and category; a tenant's
    priority is only a request, kept in `attributes.requested_priority`; a change to what
    triage suggested is kept to train it)."""

    action: ActionCode
    assignee: str | None = Field(default=None, min_length=1, max_length=64)
    note: str = Field(default="", max_length=2000)
    reason: str = Field(default="", max_length=500)
    cost_cents: int = Field(default=0, ge=0, le=10**10)
    priority: PriorityCode | None = None
    category: str | None = Field(default=None, min_length=1, max_length=64)


class RatingIn(_Strict):
    stars: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=2000)


class LocationOut(BaseModel):
    site: str
    #: Null only on a sensor's ticket whose device's building or floor was removed since
    #: (the ticket then says so in `attributes.place_problem`).
    building: str | None
    floor: str | None
    unit: str | None
    asset: str | None


class RatingOut(BaseModel):
    stars: int
    comment: str
    rated_at: datetime


class AttachmentOut(BaseModel):
    id: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_by: str
    created_at: datetime
    url: str


class SlaOut(BaseModel):
    respond_by: datetime | None
    resolve_by: datetime | None
    breached: bool


class TicketOut(BaseModel):
    id: str
    number: str
    kind: Kind
    category: str
    status: Status
    priority: PriorityCode
    title: str
    description: str
    location: LocationOut
    requester: str
    assignee: str | None
    channel: str
    source: Source
    device_id: str | None
    #: The asset (as `location.asset`) and the component of it the ticket is about.
    asset_id: str | None
    component: str | None
    contact: str
    attributes: dict[str, str]
    rating: RatingOut | None
    attachments: list[AttachmentOut]
    sla: SlaOut | None
    #: Why work is paused (`waiting_tenant`, `waiting_parts`), or null.
    waiting_reason: str | None
    cost_cents: int
    approval_pending: bool
    version: int
    created_at: datetime
    updated_at: datetime


class SuggestionOut(BaseModel):
    """A knowledge-base article that may answer a question; `score` is higher for better
    matches and comparable only within one answer."""

    article_id: str
    title: str
    score: float


class CreatedTicketOut(TicketOut):
    #: For an inquiry: the articles that may answer it, best first (say one answered it at
    #: `POST /v1/kb/articles/{article_id}/answered` with the ticket's id).
    suggestions: list[SuggestionOut]


class TicketList(BaseModel):
    items: list[TicketOut]
    #: Pass as `cursor` to get the next page; null on the last page.
    next_cursor: str | None
    #: How many tickets the whole list holds, where it is known (an analytics drill-down).
    total: int | None = None


class EventOut(BaseModel):
    id: int
    type: str
    from_status: Status | None
    to_status: Status | None
    actor: str
    actor_role: str
    channel: str
    note: str
    payload: dict[str, Any]
    occurred_at: datetime


class EventList(BaseModel):
    items: list[EventOut]


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    role: str


def time_of(stamp: Timestamp) -> datetime:
    """A protobuf Timestamp as an aware UTC datetime."""
    return stamp.ToDatetime(tzinfo=UTC)


def stamp_of(value: datetime) -> Timestamp:
    """A datetime (naive ones are UTC) as a protobuf Timestamp."""
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def attachment_out(ticket_id: str, a: pb.Attachment) -> AttachmentOut:
    return AttachmentOut(
        id=a.id, filename=a.filename, content_type=a.content_type, size_bytes=a.size_bytes,
        sha256=a.sha256, uploaded_by=a.uploaded_by, created_at=time_of(a.created_at),
        url=f"/v1/tickets/{ticket_id}/attachments/{a.id}",
    )  # fmt: skip


def ticket_out(t: pb.Ticket) -> TicketOut:
    loc = t.location
    sla = None
    if t.HasField("sla"):
        sla = SlaOut(
            respond_by=time_of(t.sla.respond_by) if t.sla.HasField("respond_by") else None,
            resolve_by=time_of(t.sla.resolve_by) if t.sla.HasField("resolve_by") else None,
            breached=t.sla.breached,
        )
    rating = None
    if t.HasField("rating"):
        rating = RatingOut(
            stars=t.rating.stars, comment=t.rating.comment, rated_at=time_of(t.rating.rated_at)
        )
    return TicketOut(
        id=t.id,
        number=t.number,
        kind=code_of(pb.TicketKind, "TICKET_KIND_", t.kind),  # type: ignore[arg-type]
        category=t.category,
        status=code_of(pb.TicketStatus, "TICKET_STATUS_", t.status),  # type: ignore[arg-type]
        priority=code_of(pb.Priority, "PRIORITY_", t.priority, upper=True),  # type: ignore[arg-type]
        title=t.title,
        description=t.description,
        location=LocationOut(
            site=loc.site,
            building=loc.building or None,
            floor=loc.floor or None,
            unit=loc.unit or None,
            asset=loc.asset or None,
        ),
        requester=t.requester,
        assignee=t.assignee or None,
        channel=code_of(pb.Channel, "CHANNEL_", t.channel),
        source=t.source,  # type: ignore[arg-type]
        device_id=t.device_id or None,
        asset_id=t.location.asset or None,
        component=t.component or None,
        contact=t.contact,
        attributes=dict(t.attributes),
        rating=rating,
        attachments=[attachment_out(t.id, a) for a in t.attachments],
        sla=sla,
        waiting_reason=t.waiting_reason or None,
        cost_cents=t.cost_cents,
        approval_pending=t.approval_pending,
        version=t.version,
        created_at=time_of(t.created_at),
        updated_at=time_of(t.updated_at),
    )


def suggestion_out(s: pb.ArticleSuggestion) -> SuggestionOut:
    return SuggestionOut(article_id=s.article_id, title=s.title, score=round(s.score, 6))


def event_out(e: pb.TicketEvent) -> EventOut:
    return EventOut(
        id=e.id,
        type=e.type,
        from_status=code_of(pb.TicketStatus, "TICKET_STATUS_", e.from_status) or None,  # type: ignore[arg-type]
        to_status=code_of(pb.TicketStatus, "TICKET_STATUS_", e.to_status) or None,  # type: ignore[arg-type]
        actor=e.actor,
        actor_role=code_of(pb.Role, "ROLE_", e.actor_role),
        channel=code_of(pb.Channel, "CHANNEL_", e.channel),
        note=e.note,
        payload=json.loads(e.payload_json or "{}"),
        occurred_at=time_of(e.occurred_at),
    )
