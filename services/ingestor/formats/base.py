"""The one interface every payload format implements, and helpers they share."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.ingestor.domain.model import Device, Observation, PayloadFormat, Rejected

__all__ = ["MAX_FUTURE", "MAX_PAST", "FormatAdapter", "Route", "check_time", "number", "parse_time"]

MAX_FUTURE = timedelta(minutes=5)
MAX_PAST = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Route:
    """Which device a topic speaks for and what kind of message it carries.

    Native topics name the device (`device_id`); other formats name it by its own topic or
    friendly name (`source_topic`), which the registry maps to a device.
    """

    format: PayloadFormat
    channel: str
    device_id: str = ""
    source_topic: str = ""


class FormatAdapter(ABC):
    """Turns one MQTT message of one format into observations, or raises `Rejected`."""

    format: PayloadFormat
    #: MQTT topic filters to subscribe to (without the shared-subscription prefix).
    subscriptions: tuple[str, ...]
    #: How the topics of alert and status messages end: these are taken ahead of telemetry.
    urgent_suffixes: tuple[str, ...] = ()

    @abstractmethod
    def route(self, topic: str) -> Route | None:
        """The route for a topic of this format, or None when the topic is not one of ours
        or carries nothing to store (commands, bridge state)."""

    @abstractmethod
    def parse(
        self, route: Route, payload: bytes, device: Device, received_at: datetime
    ) -> list[Observation]:
        """The observations in the payload; raises Rejected(reason, detail) when unusable."""


def parse_time(value: object, received_at: datetime) -> datetime:
    """An ISO 8601 string with a zone or epoch seconds, checked against `received_at`.

    Missing (None) means `received_at`.
    """
    if value is None:
        return received_at
    if isinstance(value, bool):
        raise Rejected("bad_time", "time is a boolean")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise Rejected("bad_time", "time is not finite")
        try:
            when = datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise Rejected("bad_time", str(exc)) from None
    elif isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise Rejected("bad_time", f"not ISO 8601: {value[:40]!r}") from None
        if when.tzinfo is None:
            raise Rejected("bad_time", "time has no time zone")
    else:
        raise Rejected("bad_time", f"time is a {type(value).__name__}")
    return check_time(when.astimezone(UTC), received_at)


def check_time(when: datetime, received_at: datetime) -> datetime:
    """`when` if it is no more than 5 minutes ahead of or 30 days behind `received_at`."""
    if when > received_at + MAX_FUTURE:
        raise Rejected("time_out_of_range", f"{when.isoformat()} is in the future")
    if when < received_at - MAX_PAST:
        raise Rejected("time_out_of_range", f"{when.isoformat()} is too far in the past")
    return when


def number(name: str, value: object) -> float:
    """A metric value as a float: numbers and booleans; anything else is rejected."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    raise Rejected("bad_type", f"{name[:40]} is not a number")
