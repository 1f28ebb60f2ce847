"""Translation between protobuf messages and the intake domain."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

from google.protobuf.timestamp_pb2 import Timestamp
from maintenance.intake.v1 import intake_pb2 as pb

from services.common.protoenum import code_of, number_of
from services.intake.adapters.event_log import LoggedEvent
from services.intake.adapters.tickets_repo import AttachmentRow, TicketFilter
from services.intake.adapters.users_repo import UserRecord
from services.intake.domain.creation import NewTicket
from services.intake.domain.errors import InvalidInput
from services.intake.domain.history import HistoricalStep
from services.intake.domain.knowledge import Suggestion
from services.intake.domain.model import Action, Actor, Channel, Kind, Location, Priority, Role
from services.intake.handlers import ImportedTicket, TicketView
from services.intake.handlers.event_stream import Heartbeat

__all__ = [
    "action_from_pb",
    "actor_from_pb",
    "attachment_to_pb",
    "event_to_pb",
    "filter_from_pb",
    "imported_from_pb",
    "new_ticket_from_pb",
    "payload_from_json",
    "priority_from_pb",
    "stream_reply",
    "suggestions_to_pb",
    "ticket_to_pb",
    "timestamp",
    "user_to_pb",
]

E = TypeVar("E", Kind, Role, Channel, Action)


def timestamp(value: datetime) -> Timestamp:
    """A protobuf Timestamp of an aware datetime."""
    stamp = Timestamp()
    stamp.FromDatetime(value.astimezone(UTC))
    return stamp


def from_timestamp(stamp: Timestamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)


def _enum(
    kind: type[E], wrapper: pb.TicketKind.ValueType | int, enum_pb: object, prefix: str, what: str
) -> E:
    code = code_of(enum_pb, prefix, int(wrapper))
    try:
        return kind(code)
    except ValueError:
        raise InvalidInput(f"{what} is missing or unknown") from None


def actor_from_pb(actor: pb.Actor) -> Actor:
    if not actor.username:
        raise InvalidInput("actor.username is required")
    role = _enum(Role, actor.role, pb.Role, "ROLE_", "actor.role")
    channel = code_of(pb.Channel, "CHANNEL_", actor.channel) or "api"
    return Actor(actor.username, role, actor.site, Channel(channel), actor.unit)


def priority_from_pb(priority: int) -> Priority | None:
    """A priority, or None when unspecified."""
    code = code_of(pb.Priority, "PRIORITY_", priority, upper=True)
    return Priority(code) if code else None


def action_from_pb(action: int) -> Action:
    return _enum(Action, action, pb.Action, "ACTION_", "action")


def new_ticket_from_pb(req: pb.CreateTicketRequest) -> NewTicket:
    loc = req.location
    priority = code_of(pb.Priority, "PRIORITY_", req.priority, upper=True)
    return NewTicket(
        kind=_enum(Kind, req.kind, pb.TicketKind, "TICKET_KIND_", "kind"),
        category=req.category,
        title=req.title,
        description=req.description,
        location=Location(loc.site, loc.building, loc.floor, loc.unit, loc.asset),
        priority=Priority(priority) if priority else None,
        device_id=req.device_id,
        contact=req.contact,
        attributes=dict(req.attributes),
        component=req.component,
    )


def _step_from_pb(step: pb.HistoricalStep) -> HistoricalStep:
    role = _enum(Role, step.actor_role, pb.Role, "ROLE_", "step.actor_role")
    action = action_from_pb(step.action) if step.action else None
    return HistoricalStep(
        actor=Actor(step.actor, role), at=from_timestamp(step.at), action=action,
        assignee=step.assignee, note=step.note, stars=step.stars,
    )  # fmt: skip


def imported_from_pb(item: pb.HistoricalTicket) -> ImportedTicket:
    """A historical ticket; a missing id gets a fresh one."""
    if not item.HasField("created_at"):
        raise InvalidInput("a historical ticket needs created_at")
    loc = item.location
    priority = code_of(pb.Priority, "PRIORITY_", item.priority, upper=True)
    channel = code_of(pb.Channel, "CHANNEL_", item.channel) or "api"
    request = NewTicket(
        kind=_enum(Kind, item.kind, pb.TicketKind, "TICKET_KIND_", "kind"),
        category=item.category,
        title=item.title,
        description=item.description,
        location=Location(loc.site, loc.building, loc.floor, loc.unit, loc.asset),
        priority=Priority(priority) if priority else None,
        device_id=item.device_id,
        attributes=dict(item.attributes),
    )
    role = _enum(Role, item.requester_role, pb.Role, "ROLE_", "requester_role")
    return ImportedTicket(
        ticket_id=item.id or str(uuid.uuid4()),
        request=request,
        requester=Actor(item.requester, role, loc.site, Channel(channel)),
        created_at=from_timestamp(item.created_at),
        steps=[_step_from_pb(step) for step in item.steps],
    )


def filter_from_pb(flt: pb.TicketFilter) -> TicketFilter:
    return TicketFilter(
        statuses=tuple(code_of(pb.TicketStatus, "TICKET_STATUS_", s) for s in flt.statuses),
        kinds=tuple(code_of(pb.TicketKind, "TICKET_KIND_", k) for k in flt.kinds),
        categories=tuple(flt.categories),
        priorities=tuple(code_of(pb.Priority, "PRIORITY_", p, upper=True) for p in flt.priorities),
        site=flt.site,
        building=flt.building,
        floor=flt.floor,
        assignee=flt.assignee,
        source=flt.source,
        device_id=flt.device_id,
        requester=flt.requester,
        asset=flt.asset,
        created_after=from_timestamp(flt.created_after) if flt.HasField("created_after") else None,
        created_before=from_timestamp(flt.created_before)
        if flt.HasField("created_before")
        else None,
        ids=tuple(flt.ids),
    )


def attachment_to_pb(row: AttachmentRow) -> pb.Attachment:
    return pb.Attachment(
        id=row.id,
        filename=row.filename,
        content_type=row.content_type,
        size_bytes=row.size_bytes,
        sha256=row.sha256,
        uploaded_by=row.uploaded_by,
        created_at=timestamp(row.created_at),
    )


def suggestions_to_pb(found: Iterable[Suggestion]) -> list[pb.ArticleSuggestion]:
    return [pb.ArticleSuggestion(article_id=s.article_id, title=s.title, score=s.score)
            for s in found]  # fmt: skip


def ticket_to_pb(view: TicketView) -> pb.Ticket:
    t = view.ticket
    loc = t.location
    message = pb.Ticket(
        id=t.id,
        number=t.number,
        kind=number_of(pb.TicketKind, "TICKET_KIND_", t.kind.value),  # type: ignore[arg-type]
        category=t.category,
        status=number_of(pb.TicketStatus, "TICKET_STATUS_", t.status.value),  # type: ignore[arg-type]
        priority=number_of(pb.Priority, "PRIORITY_", t.priority.value),  # type: ignore[arg-type]
        title=t.title,
        description=t.description,
        location=pb.Location(
            site=loc.site, building=loc.building, floor=loc.floor, unit=loc.unit, asset=loc.asset
        ),
        requester=t.requester,
        assignee=t.assignee or "",
        channel=number_of(pb.Channel, "CHANNEL_", t.channel.value),  # type: ignore[arg-type]
        source=t.source.value,
        device_id=t.device_id,
        contact=t.contact,
        attributes=t.attributes,
        attachments=[attachment_to_pb(a) for a in view.attachments],
        version=t.version,
        created_at=timestamp(t.created_at),
        updated_at=timestamp(t.updated_at),
        waiting_reason=t.waiting_reason,
        component=t.component,
        cost_cents=t.cost_cents,
        approval_pending=t.approval_pending,
    )
    if t.rating is not None:
        message.rating.CopyFrom(
            pb.Rating(
                stars=t.rating.stars,
                comment=t.rating.comment,
                rated_at=timestamp(t.rating.rated_at),
            )
        )
    return message


def event_to_pb(event: LoggedEvent) -> pb.TicketEvent:
    return pb.TicketEvent(
        id=event.id,
        ticket_id=event.ticket_id,
        type=event.type,
        from_status=number_of(pb.TicketStatus, "TICKET_STATUS_", event.from_status or ""),  # type: ignore[arg-type]
        to_status=number_of(pb.TicketStatus, "TICKET_STATUS_", event.to_status or ""),  # type: ignore[arg-type]
        actor=event.actor,
        actor_role=number_of(pb.Role, "ROLE_", event.actor_role),  # type: ignore[arg-type]
        channel=number_of(pb.Channel, "CHANNEL_", event.channel),  # type: ignore[arg-type]
        note=event.note,
        payload_json=json.dumps(event.payload, ensure_ascii=False),
        occurred_at=timestamp(event.occurred_at),
        cursor=event.cursor,
        imported=event.imported,
    )


def stream_reply(item: LoggedEvent | Heartbeat) -> pb.StreamEventsResponse:
    """A StreamEvents reply: an event, or a heartbeat stamped now."""
    if isinstance(item, Heartbeat):
        beat = pb.StreamHeartbeat(cursor=item.cursor, sent_at=timestamp(datetime.now(UTC)))
        return pb.StreamEventsResponse(heartbeat=beat)
    return pb.StreamEventsResponse(event=event_to_pb(item))


def payload_from_json(text: str) -> dict[str, Any]:
    """An event payload: a JSON object, or empty."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        raise InvalidInput("payload_json is not JSON") from None
    if not isinstance(value, dict):
        raise InvalidInput("payload_json must be a JSON object")
    return value


def user_to_pb(user: UserRecord) -> pb.User:
    return pb.User(
        username=user.username,
        role=number_of(pb.Role, "ROLE_", user.role),  # type: ignore[arg-type]
        display_name=user.display_name,
        site=user.site,
        unit=user.unit,
        locale=user.locale,
    )
