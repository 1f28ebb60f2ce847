"""Translation between protobuf messages and the notification domain."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from maintenance.intake.v1 import intake_pb2 as intake_pb
from maintenance.notification.v1 import notification_pb2 as pb

from services.common.protoenum import code_of, number_of
from services.notification.adapters.inbox_repo import InboxItem
from services.notification.adapters.outbox_repo import DeliveryFilter, DeliveryRow
from services.notification.domain.model import Contact, DeliveryState, EventFacts

__all__ = [
    "contact_from_pb",
    "contact_to_pb",
    "delivery_to_pb",
    "event_from_pb",
    "filter_from_pb",
    "notification_to_pb",
]


def _ts(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value.astimezone(UTC))
    return stamp


def _payload(text: str) -> dict[str, Any]:
    """An event payload: a JSON object, or empty when it is missing or malformed."""
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def event_from_pb(event: intake_pb.TicketEvent) -> EventFacts:
    return EventFacts(
        id=event.id,
        ticket_id=event.ticket_id,
        type=event.type,
        actor=event.actor,
        occurred_at=event.occurred_at.ToDatetime(tzinfo=UTC),
        note=event.note,
        payload=_payload(event.payload_json),
    )


def notification_to_pb(item: InboxItem) -> pb.Notification:
    message = pb.Notification(
        id=item.id, username=item.username, ticket_id=item.ticket_id,
        ticket_number=item.ticket_number, event_type=item.event_type, kind=item.kind,
        title=item.title, body=item.body, locale=item.locale, created_at=_ts(item.created_at),
    )  # fmt: skip
    if item.read_at is not None:
        message.read_at.CopyFrom(_ts(item.read_at))
    return message


def contact_to_pb(contact: Contact) -> pb.Contact:
    message = pb.Contact(
        username=contact.username, locale=contact.locale,
        apprise_urls=list(contact.apprise_urls), in_app=contact.in_app,
    )  # fmt: skip
    if contact.updated_at is not None:
        message.updated_at.CopyFrom(_ts(contact.updated_at))
    return message


def contact_from_pb(contact: pb.Contact) -> Contact:
    return Contact(
        username=contact.username,
        locale=contact.locale,
        apprise_urls=tuple(contact.apprise_urls),
        in_app=contact.in_app,
    )


def _state(number: int) -> DeliveryState | None:
    code = code_of(pb.DeliveryState, "DELIVERY_STATE_", number)
    return DeliveryState(code) if code else None


def filter_from_pb(request: pb.ListDeliveriesRequest) -> DeliveryFilter:
    return DeliveryFilter(
        ticket_id=request.ticket_id,
        state=_state(request.state),
        recipient=request.recipient,
        site=request.site,
    )


def delivery_to_pb(row: DeliveryRow) -> pb.Delivery:
    message = pb.Delivery(
        id=row.id, dedupe_key=row.dedupe_key, event_id=row.event_id, ticket_id=row.ticket_id,
        event_type=row.event_type, kind=row.kind, recipient=row.recipient, channel=row.channel,
        state=number_of(pb.DeliveryState, "DELIVERY_STATE_", row.state.value),  # type: ignore[arg-type]
        attempts=row.attempts, last_error=row.last_error, title=row.title,
        created_at=_ts(row.created_at), site=row.site,
    )  # fmt: skip
    if row.state is DeliveryState.PENDING:
        message.next_attempt_at.CopyFrom(_ts(row.due_at))
    if row.sent_at is not None:
        message.sent_at.CopyFrom(_ts(row.sent_at))
    return message
