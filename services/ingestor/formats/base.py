"""The one interface every payload format implements, and what a parse reports besides its
observations.

Real devices are sloppy, so a message is read as far as it can be: a field that cannot be
read is skipped and noted (`Skipped`), a device time that cannot be believed is replaced by
the time the message was received and the device's clock is noted (`ClockState`). Only a
message with nothing usable in it is rejected (`Rejected`), and then as a whole.
"""

from __future__ import annotations

import itertools
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import NamedTuple

from services.ingestor.domain.model import (
    MAX_METRIC_CHARS,
    ClockState,
    Device,
    Observation,
    PayloadFormat,
    Reading,
    Rejected,
    is_metric_name,
)
from services.ingestor.domain.text import clean_text

__all__ = [
    "MAX_FUTURE",
    "MAX_METRICS",
    "MAX_NAME_CHARS",
    "MAX_PAST",
    "FormatAdapter",
    "Notes",
    "Parsed",
    "Route",
    "Skipped",
]

MAX_FUTURE = timedelta(minutes=5)
MAX_PAST = timedelta(days=30)
#: The longest metric or reading name kept; longer names are skipped as `bad_name`.
MAX_NAME_CHARS = MAX_METRIC_CHARS
#: The most metrics read from one message; the rest are skipped as `too_many`.
MAX_METRICS = 256
_MAX_TEXT_CHARS = 500
#: Words devices use for true and false (Tasmota's ON/OFF, strings for booleans).
_TRUE_WORDS = frozenset({"true", "on", "yes", "1"})
_FALSE_WORDS = frozenset({"false", "off", "no", "0"})


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


@dataclass(frozen=True, slots=True)
class Skipped:
    """A field of a message that could not be read, and why (`bad_type`, `bad_name`, ...)."""

    field: str
    reason: str


class Parsed(NamedTuple):
    """What one message says: its observations, the fields skipped, and what its time says
    of the device's clock (`clock`: None when the message carries no time; the device's
    offset from the receive time in seconds when its time was skewed)."""

    observations: list[Observation]
    skipped: tuple[Skipped, ...] = ()
    clock: ClockState | None = None
    clock_offset_s: float | None = None


class Notes:
    """Collects, while one message is read, what `Parsed` reports besides observations; the
    readers (`number`, `numbers`, `flag`, `time`, `text`) never raise."""

    __slots__ = ("clock", "clock_offset_s", "received_at", "skipped")

    def __init__(self, received_at: datetime) -> None:
        self.received_at = received_at
        self.skipped: list[Skipped] = []
        self.clock: ClockState | None = None
        self.clock_offset_s: float | None = None

    def skip(self, name: str, reason: str) -> None:
        self.skipped.append(Skipped(name[:MAX_NAME_CHARS], reason))

    def number(self, name: str, value: object) -> float | None:
        """A metric value as a float: numbers, booleans as 1/0, numbers and on/off words
        written as strings; None (and the field skipped) for anything else or a bad name."""
        if not is_metric_name(name):
            self.skip(name, "bad_name")
            return None
        found = _as_number(value)
        if found is None:
            self.skip(name, "bad_type")
        return found

    def numbers(self, values: object, name: str) -> dict[str, float]:
        """Every readable value of an object of metrics; a value that is not an object is
        skipped as a whole."""
        if not isinstance(values, dict):
            if values is not None:
                self.skip(name, "bad_type")
            return {}
        items = values.items()
        if len(values) > MAX_METRICS:
            self.skip(name, "too_many")
            items = dict(itertools.islice(items, MAX_METRICS)).items()
        found: dict[str, float] = {}
        for key, value in items:
            kind = type(value)
            if (
                (kind is float or kind is int)
                and 0 < len(key) <= MAX_NAME_CHARS
                and key.isprintable()
            ):
                try:
                    number = float(value)
                except OverflowError:
                    number = math.inf
                if math.isfinite(number):
                    found[key] = number
                    continue
            if (number_or_none := self.number(key, value)) is not None:
                found[key] = number_or_none
        return found

    def flag(self, name: str, value: object) -> bool | None:
        """A true/false field: booleans, 1/0, and words such as "true", "ON", "off"."""
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str):
            word = value.strip().lower()
            if word in _TRUE_WORDS or word in _FALSE_WORDS:
                return word in _TRUE_WORDS
        self.skip(name, "bad_type")
        return None

    def text(self, name: str, value: object) -> str:
        """A free text field, without control characters and at most 500 characters."""
        if value is None:
            return ""
        if not isinstance(value, str):
            self.skip(name, "bad_type")
            return ""
        return clean_text(value, _MAX_TEXT_CHARS)

    def time(self, value: object, utc_offset_h: float | None = None) -> datetime:
        """The device's time: ISO 8601 or epoch seconds. Missing means the receive time; so
        does a time that cannot be read (skipped as `bad_time`), one without a zone when the
        device has no registered offset (`ClockState.NO_ZONE`) and one that is implausible
        (`ClockState.SKEWED`)."""
        if value is None:
            return self.received_at
        when = _read_time(value, utc_offset_h)
        if when is None:
            self.skip("time", "bad_time")
            return self.received_at
        if when.tzinfo is None:
            self.clock, self.clock_offset_s = ClockState.NO_ZONE, None
            return self.received_at
        return self.checked(when)

    def checked(self, when: datetime) -> datetime:
        """`when` if it is no more than 5 minutes ahead of or 30 days behind the receive
        time; otherwise the receive time, and the device's clock is noted as skewed."""
        try:
            when = when.astimezone(UTC)
            offset: float | None = (when - self.received_at).total_seconds()
        except (OverflowError, ValueError):  # beyond what a datetime holds, once in UTC
            offset = None
        if offset is not None and -MAX_PAST.total_seconds() <= offset <= MAX_FUTURE.total_seconds():
            self.clock, self.clock_offset_s = ClockState.OK, None
            return when
        self.clock = ClockState.SKEWED
        self.clock_offset_s = None if offset is None else round(offset, 3)
        return self.received_at

    def parsed(self, observations: list[Observation]) -> Parsed:
        """The result; rejects the message when fields were skipped and nothing is left."""
        if self.skipped and _nothing_read(observations):
            first = self.skipped[0]
            raise Rejected(first.reason, f"{first.field}: nothing in the message could be read")
        return Parsed(observations, tuple(self.skipped), self.clock, self.clock_offset_s)


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

    def parse(self, route: Route, payload: bytes, device: Device, received_at: datetime) -> Parsed:
        """What the payload says; raises Rejected(reason, detail) when nothing is usable."""
        notes = Notes(received_at)
        return notes.parsed(self.read(route, payload, device, notes))

    @abstractmethod
    def read(self, route: Route, payload: bytes, device: Device, notes: Notes) -> list[Observation]:
        """The observations in the payload, noting skipped fields and clock trouble in
        `notes`; raises Rejected when the message as a whole is unusable."""


def _as_number(value: object) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE_WORDS or word in _FALSE_WORDS:
            return 1.0 if word in _TRUE_WORDS else 0.0
        if len(word) > 64:
            return None
        try:
            value = float(word)
        except ValueError:
            return None
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:
            return None
        return number if math.isfinite(number) else None
    return None


def _read_time(value: object, utc_offset_h: float | None) -> datetime | None:
    """A datetime (naive when the text has no zone and no offset is given), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        if when.tzinfo is None and utc_offset_h is not None:
            when = when.replace(tzinfo=timezone(timedelta(hours=utc_offset_h)))
    except (ValueError, OverflowError):
        return None
    return when


def _nothing_read(observations: list[Observation]) -> bool:
    return all(isinstance(o, Reading) and not o.metrics for o in observations)
