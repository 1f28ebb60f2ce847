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

__all__ = ["ADAPTERS", "SUBSCRIPTIONS", "adapter_for", "route"]

#: One adapter per format; the first that claims a topic reads it.
ADAPTERS: tuple[FormatAdapter, ...] = (
    NativeFormat(),
    Zigbee2MQTTFormat(),
    TasmotaFormat(),
    ShellyGen2Format(),
)

#: Every topic filter the ingestor subscribes to (without the shared-subscription prefix).
SUBSCRIPTIONS: tuple[str, ...] = tuple(f for adapter in ADAPTERS for f in adapter.subscriptions)

_BY_FORMAT: Mapping[PayloadFormat, FormatAdapter] = {
    adapter.format: adapter for adapter in ADAPTERS
}


def route(topic: str) -> Route | None:
    """The route of the first adapter that claims the topic, or None when none does."""
    for adapter in ADAPTERS:
        if (found := adapter.route(topic)) is not None:
            return found
    return None


def adapter_for(fmt: PayloadFormat) -> FormatAdapter:
    """The adapter that reads messages of a format."""
    return _BY_FORMAT[fmt]
