"""The payload formats the ingestor reads, and which one a topic belongs to.

A telemetry message with no usable value still gives a reading, with no metrics: the
device was heard from, which clears `device_offline`.
"""

from __future__ import annotations

from collections.abc import Mapping

from services.ingestor.domain.model import PayloadFormat
from services.ingestor.formats.base import FormatAdapter, Route
from services.ingestor.formats.native import NativeFormat
from services.ingestor.formats.shelly import ShellyGen2Format
from services.ingestor.formats.tasmota import TasmotaFormat
from services.ingestor.formats.zigbee2mqtt import Zigbee2MQTTFormat

__all__ = ["ADAPTERS", "SUBSCRIPTIONS", "adapter_for", "is_urgent", "route"]

#: One adapter per format; the first that claims a topic reads it.
ADAPTERS: tuple[FormatAdapter, ...] = (
    NativeFormat(),
    Zigbee2MQTTFormat(),
    TasmotaFormat(),
    ShellyGen2Format(),
)

#: Every topic filter the ingestor subscribes to (without the shared-subscription prefix).
SUBSCRIPTIONS: tuple[str, ...] = tuple(f for adapter in ADAPTERS for f in adapter.subscriptions)

_URGENT_SUFFIXES = tuple(s for adapter in ADAPTERS for s in adapter.urgent_suffixes)

_BY_FORMAT: Mapping[PayloadFormat, FormatAdapter] = {
    adapter.format: adapter for adapter in ADAPTERS
}


def route(topic: str) -> Route | None:
    """The route of the first adapter that claims the topic, or None when none does."""
    for adapter in ADAPTERS:
        if (found := adapter.route(topic)) is not None:
            return found
    return None


def is_urgent(topic: str) -> bool:
    """Whether the topic carries alerts or device status, which go ahead of telemetry (a
    cheap test of the topic's end, made for every message as it arrives)."""
    return topic.endswith(_URGENT_SUFFIXES)


def adapter_for(fmt: PayloadFormat) -> FormatAdapter:
    """The adapter that reads messages of a format."""
    return _BY_FORMAT[fmt]
