"""The kinds of history file the importer reads, by the name the command line takes."""

from __future__ import annotations

from collections.abc import Mapping

from services.importer.kinds.assets import ASSETS
from services.importer.kinds.base import Kind, Outcome, Targets
from services.importer.kinds.devices import DEVICES
from services.importer.kinds.events import EVENTS
from services.importer.kinds.places import PLACES
from services.importer.kinds.telemetry import TELEMETRY
from services.importer.kinds.work_orders import WORK_ORDERS

__all__ = ["KINDS", "Kind", "Outcome", "Targets"]

KINDS: Mapping[str, Kind] = {
    k.name: k for k in (PLACES, ASSETS, DEVICES, WORK_ORDERS, EVENTS, TELEMETRY)
}
