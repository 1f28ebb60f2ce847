"""`/v1/notifications`: the caller's in-app inbox, contacts (language and apprise channels),
and, for supervisors and admins, the delivery outbox with its retries and dead letters.

Staff read their role's shared inbox and the deliveries only for their own site's tickets
(an account of no site: no shared messages, and 403 for deliveries); admins every site."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Response, status
from google.protobuf.timestamp_pb2 import Timestamp
from maintenance.notification.v1 import notification_pb2 as pb
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.common.protoenum import code_of, number_of
from services.gateway.entrypoint.deps import Call, Caller
from services.gateway.entrypoint.schemas import MAX_ID

__all__ = [
    "ContactIn",
    "ContactOut",
    "DeliveryList",
    "DeliveryOut",
    "NotificationList",
    "NotificationOut",
    "ReadIn",
    "ReadOut",
    "router",
]

router = APIRouter(prefix="/v1/notifications", tags=["notifications"])

_OPERATORS = ("supervisor", "admin")
DeliveryState = Literal["pending", "sent", "dead"]
Locale = Literal["zh-CN", "en"]
Username = Annotated[
    str, Path(min_length=1, max_length=64, description="A username, or `me` for the caller")
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NotificationOut(BaseModel):
    id: int
    ticket_id: str
    ticket_number: str
    #: The ticket event that caused it (`created`, `assigned`, `sla_escalated`, ...).
    event_type: str
    #: Which message it is (`received`, `dispatched`, `assigned_to_you`, ...).
    kind: str
    title: str
    body: str
    locale: str
    created_at: datetime
    #: Null while unread.
    read_at: datetime | None


class NotificationList(BaseModel):
    #: Newest first.
    items: list[NotificationOut]
    #: Pass as `cursor` to get the next page; null on the last page.
    next_cursor: str | None
    #: How many of the caller's notifications are unread, in all.
    unread_count: int


class ReadIn(_Strict):
    """Either `ids` (the caller's notifications to mark read) or `all: true`."""

    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(default_factory=list, max_length=500)
    all: bool = False

    @model_validator(mode="after")
    def _something(self) -> ReadIn:
        if not self.ids and not self.all:
            raise ValueError("give `ids` or `all: true`")
        return self


class ReadOut(BaseModel):
    #: How many notifications changed from unread to read.
    marked: int


class ContactIn(_Strict):
    locale: Locale = "zh-CN"
    #: apprise URLs: `mailto://`, `dingtalk://`, `wecom://`, `feishu://`, `slack://`,
    #: `msteams://`, SMS gateways, `json://` and `form://` webhooks, ...
    apprise_urls: list[Annotated[str, Field(min_length=3, max_length=2000)]] = Field(
        default_factory=list, max_length=10
    )
    in_app: bool = True


class ContactOut(BaseModel):
    username: str
    locale: str
    apprise_urls: list[str]
    in_app: bool
    #: False when nothing is stored and these are the defaults.
    stored: bool
    updated_at: datetime | None


class DeliveryOut(BaseModel):
    id: int
    #: `<event id>:<recipient>:<channel id>`: never queued twice.
    dedupe_key: str
    event_id: int
    ticket_id: str
    event_type: str
    kind: str
    recipient: str
    #: The channel with its secrets masked.
    channel: str
    state: DeliveryState
    attempts: int
    last_error: str
    title: str
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None
    #: The ticket's site; null for deliveries queued before sites were recorded.
    site: str | None


class DeliveryList(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None


def _time(message: pb.Notification | pb.Contact | pb.Delivery, field: str) -> datetime | None:
    if not message.HasField(field):  # type: ignore[arg-type]
        return None
    stamp: Timestamp = getattr(message, field)
    return stamp.ToDatetime(tzinfo=UTC)


def _notification_out(n: pb.Notification) -> NotificationOut:
    return NotificationOut(
        id=n.id, ticket_id=n.ticket_id, ticket_number=n.ticket_number, event_type=n.event_type,
        kind=n.kind, title=n.title, body=n.body, locale=n.locale,
        created_at=n.created_at.ToDatetime(tzinfo=UTC), read_at=_time(n, "read_at"),
    )  # fmt: skip


def _contact_out(c: pb.Contact, stored: bool) -> ContactOut:
    return ContactOut(
        username=c.username, locale=c.locale, apprise_urls=list(c.apprise_urls),
        in_app=c.in_app, stored=stored, updated_at=_time(c, "updated_at"),
    )  # fmt: skip


def _delivery_out(d: pb.Delivery) -> DeliveryOut:
    state = code_of(pb.DeliveryState, "DELIVERY_STATE_", d.state)
    return DeliveryOut(
        id=d.id, dedupe_key=d.dedupe_key, event_id=d.event_id, ticket_id=d.ticket_id,
        event_type=d.event_type, kind=d.kind, recipient=d.recipient, channel=d.channel,
        state=state,  # type: ignore[arg-type]
        attempts=d.attempts, last_error=d.last_error, title=d.title,
        created_at=d.created_at.ToDatetime(tzinfo=UTC),
        next_attempt_at=_time(d, "next_attempt_at"), sent_at=_time(d, "sent_at"),
        site=d.site or None,
    )  # fmt: skip


def _shared(caller: Call) -> tuple[list[str], str]:
    """The shared inboxes the caller reads and the site they are limited to ('' for
    every site): staff their role's ("role:supervisor") at their own site, admins theirs at
    every site; tenants and staff of no site none."""
    role, site = caller.user.role, caller.user.site
    if role == "admin":
        return [f"role:{role}"], ""
    return ([f"role:{role}"], site) if role != "tenant" and site else ([], "")


def _whose(caller: Call, username: str) -> str:
    """`me` is the caller; anyone else's contact is for admins only (404 for others)."""
    if username in ("me", caller.user.username):
        return caller.user.username
    if caller.user.role != "admin":
        raise HTTPException(404, "no such contact")
    return username


@router.get("", response_model=NotificationList, summary="The caller's inbox, newest first")
async def list_notifications(
    caller: Caller,
    unread: Annotated[bool, Query(description="Only unread notifications")] = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str, Query(max_length=40)] = "",
) -> NotificationList:
    """The caller's own messages and their role's shared ones about their site's tickets."""
    groups, site = _shared(caller)
    reply = await caller.notifications.ListInbox(
        pb.ListInboxRequest(
            username=caller.user.username,
            unread_only=unread,
            page_size=limit,
            page_token=cursor,
            groups=groups,
            site=site,
        ),
        **caller.opts,
    )
    return NotificationList(
        items=[_notification_out(n) for n in reply.notifications],
        next_cursor=reply.next_page_token or None,
        unread_count=reply.unread_count,
    )


@router.post("/read", response_model=ReadOut, summary="Mark the caller's notifications read")
async def mark_read(body: ReadIn, caller: Caller) -> ReadOut:
    """Only messages the caller's inbox lists (other ids change nothing)."""
    groups, site = _shared(caller)
    reply = await caller.notifications.MarkRead(
        pb.MarkReadRequest(
            username=caller.user.username, ids=body.ids, all=body.all, groups=groups, site=site
        ),
        **caller.opts,
    )
    return ReadOut(marked=reply.marked)


@router.get(
    "/deliveries",
    response_model=DeliveryList,
    summary="The delivery outbox: sent, pending (with retries) and dead, newest first",
)
async def list_deliveries(
    caller: Caller,
    ticket_id: Annotated[str, Query(max_length=64)] = "",
    state: Annotated[DeliveryState | None, Query()] = None,
    recipient: Annotated[str, Query(max_length=64)] = "",
    site: Annotated[str, Query(max_length=64, description="Only this site's")] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str, Query(max_length=40)] = "",
) -> DeliveryList:
    """Supervisors (their site's tickets) and admins (every site's, or `site`'s) only."""
    caller.require(*_OPERATORS)
    reply = await caller.notifications.ListDeliveries(
        pb.ListDeliveriesRequest(
            ticket_id=ticket_id, recipient=recipient, page_size=limit, page_token=cursor,
            site=caller.site_filter(site),
            state=number_of(pb.DeliveryState, "DELIVERY_STATE_", state or ""),  # type: ignore[arg-type]
        ),
        **caller.opts,
    )  # fmt: skip
    return DeliveryList(
        items=[_delivery_out(d) for d in reply.deliveries],
        next_cursor=reply.next_page_token or None,
    )


@router.get(
    "/contacts/{username}", response_model=ContactOut, summary="A contact (`me`: the caller's)"
)
async def get_contact(username: Username, caller: Caller) -> ContactOut:
    """Anyone may read their own; admins may read anyone's."""
    reply = await caller.notifications.GetContact(
        pb.GetContactRequest(username=_whose(caller, username)), **caller.opts
    )
    return _contact_out(reply.contact, reply.stored)


@router.put(
    "/contacts/{username}",
    response_model=ContactOut,
    summary="Set a user's language and channels (admins)",
)
async def put_contact(
    username: Username, body: ContactIn, caller: Caller, response: Response
) -> ContactOut:
    """201 when the contact is new, 200 when it replaced one. Every URL must be one apprise
    understands (422 otherwise)."""
    caller.require("admin")
    reply = await caller.notifications.PutContact(
        pb.PutContactRequest(
            contact=pb.Contact(
                username=_whose(caller, username), locale=body.locale,
                apprise_urls=body.apprise_urls, in_app=body.in_app,
            )
        ),
        **caller.opts,
    )  # fmt: skip
    response.status_code = status.HTTP_201_CREATED if reply.created else status.HTTP_200_OK
    return _contact_out(reply.contact, True)
