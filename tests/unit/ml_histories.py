"""Small hand-made site histories for the ml tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from ml.history import (
    ALARM_COLUMNS,
    ASSET_COLUMNS,
    DEVICE_COLUMNS,
    PLACE_COLUMNS,
    TELEMETRY_COLUMNS,
    TICKET_COLUMNS,
    History,
    frame,
)

TZ = ZoneInfo("Asia/Shanghai")
#: Day 0 of the hand-made histories: 2026-01-01 00:00 site time.
T0 = datetime(2026, 1, 1, tzinfo=TZ)


def at(day: float, hour: float = 0.0) -> datetime:
    return T0 + timedelta(days=day, hours=hour)


def ticket(day: float, *, kind: str = "repair", category: str = "plumbing", building: str = "A",
           floor: str = "1", unit: str = "", asset: str = "", component: str = "",
           source: str = "tenant", resolved: float | None = None, hour: float = 10.0,
           ) -> dict[str, Any]:  # fmt: skip
    return {
        "ticket_id": f"t-{day}-{hour}-{asset or unit or floor}-{kind}", "created_at": at(day, hour),
        "resolved_at": at(resolved, hour) if resolved is not None else None, "kind": kind,
        "category": category, "source": source, "building": building, "floor": floor,
        "unit": unit, "asset": asset, "component": component,
    }  # fmt: skip


def history(
    tickets: Sequence[Mapping[str, Any]] = (),
    alarms: Sequence[Mapping[str, Any]] = (),
    telemetry: Sequence[Mapping[str, Any]] = (),
) -> History:
    """Site `s` with buildings A and B (floors 1-2, a unit each), a pump with a seal and a
    motor on A/1 and a pressure sensor on it, plus the given tickets, alarms and daily
    telemetry."""
    places = [
        {"building": b, "floor": str(f), "unit": u, "floor_order": f}
        for b in "AB" for f in (1, 2) for u in ("", f"{b}-{f}01")
    ]  # fmt: skip
    assets = [{"asset_id": "pump-1", "type": "pump", "model": "CR 10", "building": "A",
               "floor": "1", "installed_on": "2024-01-01", "criticality": 4,
               "components": "seal|motor"}]  # fmt: skip
    devices = [{"device_id": "p1", "kind": "pressure", "building": "A", "floor": "1",
                "asset": "pump-1"}]  # fmt: skip
    return History(
        site="s", timezone="Asia/Shanghai", places=frame(PLACE_COLUMNS, places),
        assets=frame(ASSET_COLUMNS, assets), devices=frame(DEVICE_COLUMNS, devices),
        tickets=frame(TICKET_COLUMNS, tickets), alarms=frame(ALARM_COLUMNS, alarms),
        telemetry=frame(TELEMETRY_COLUMNS, telemetry),
    )  # fmt: skip


def bucket(day: int, value: float, metric: str = "pressure", device: str = "p1") -> dict[str, Any]:
    """A daily roll-up of the UTC day `day` days after 2026-01-01."""
    return {"bucket": pd.Timestamp("2026-01-01", tz="UTC") + pd.Timedelta(days=day),
            "device_id": device, "metric": metric, "samples": 24, "avg": value,
            "min": value - 1, "max": value + 1, "stddev": 0.5}  # fmt: skip
