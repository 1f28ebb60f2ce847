"""The ticket and the vocabulary around it, as plain dataclasses and string enums."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "CATEGORIES",
    "Action",
    "Actor",
    "Channel",
    "Kind",
    "Location",
    "NewEvent",
    "Priority",
    "Rating",
    "Role",
    "Source",
    "Status",
    "Ticket",
]


class Kind(StrEnum):
    REPAIR = "repair"
    COMPLAINT = "complaint"
    INQUIRY = "inquiry"
    #: Planned or preventive work (an inspection, a scheduled replacement): same lifecycle.
    MAINTENANCE = "maintenance"


class Status(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    AWAITING_RATING = "awaiting_rating"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Priority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class Action(StrEnum):
    ACCEPT = "accept"
    ASSIGN = "assign"
    START = "start"
    RESOLVE = "resolve"
    CLOSE = "close"
    CANCEL = "cancel"
    REOPEN = "reopen"
    RATE = "rate"
    CLAIM = "claim"
    DECLINE = "decline"
    PAUSE = "pause"
    RESUME = "resume"
    APPROVE = "approve"


class Role(StrEnum):
    TENANT = "tenant"
    TECHNICIAN = "technician"
    DISPATCHER = "dispatcher"
    SUPERVISOR = "supervisor"
    PLANNER = "planner"
    ADMIN = "admin"
    SYSTEM = "system"


class Channel(StrEnum):
    WEB = "web"
    APP = "app"
    WECHAT = "wechat"
    PHONE = "phone"
    SENSOR = "sensor"
    API = "api"


class Source(StrEnum):
    TENANT = "tenant"
    STAFF = "staff"
    SENSOR = "sensor"
    #: History brought in from another system or a spreadsheet.
    IMPORT = "import"


#: Category code -> (English name, Chinese name, default priority).
CATEGORIES: dict[str, tuple[str, str, Priority]] = {
    "plumbing": ("Water and plumbing", "给排水", Priority.P2),
    "electrical": ("Electrical and power", "电力", Priority.P2),
    "elevator": ("Elevator", "电梯", Priority.P2),
    "hvac": ("Heating, ventilation, air conditioning", "暖通空调", Priority.P3),
    "doors_windows": ("Doors and windows", "门窗", Priority.P3),
    "cleaning": ("Cleaning", "保洁", Priority.P4),
    "noise": ("Noise", "噪音", Priority.P3),
    "parking": ("Parking", "停车", Priority.P3),
    "security": ("Security", "安保", Priority.P2),
    "fees": ("Fees and billing", "费用", Priority.P4),
    "other": ("Other", "其他", Priority.P3),
}


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: an authenticated user, or the system itself."""

    username: str
    role: Role
    site: str = ""
    channel: Channel = Channel.API
    #: A tenant's own unit; empty for staff.
    unit: str = ""


@dataclass(frozen=True, slots=True)
class Location:
    site: str
    building: str
    floor: str
    unit: str = ""
    asset: str = ""


@dataclass(frozen=True, slots=True)
class Rating:
    stars: int
    comment: str
    rated_at: datetime


@dataclass(frozen=True, slots=True)
class NewEvent:
    """A change to record in the ticket event log, in the same transaction as the change."""

    type: str
    from_status: Status | None
    to_status: Status | None
    actor: str
    actor_role: Role
    channel: Channel
    occurred_at: datetime
    note: str = ""
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Ticket:
    """A ticket; lifecycle functions change it and return the events they caused."""

    id: str
    number: str
    kind: Kind
    category: str
    status: Status
    priority: Priority
    title: str
    description: str
    location: Location
    requester: str
    requester_role: Role
    channel: Channel
    source: Source
    created_at: datetime
    updated_at: datetime
    status_changed_at: datetime
    assignee: str | None = None
    device_id: str = ""
    contact: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    rating: Rating | None = None
    version: int = 1
    #: Why work is paused ("waiting_tenant", "waiting_parts"), or "".
    waiting_reason: str = ""
    #: The component of the ticket's asset it is about, or "".
    component: str = ""
    #: The reported cost of the repair, in cents.
    cost_cents: int = 0
    #: The cost passed the approval threshold and awaits a supervisor.
    approval_pending: bool = False
