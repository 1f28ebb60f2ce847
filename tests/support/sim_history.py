"""The simulator's history as a `ml.history.History`, in memory: what a backfill would
store and the predictor would read back, without a database (for fast model tests).

Telemetry is rolled up per device, metric and UTC day as the ingestor's daily view does.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pandas as pd
from maintenance.intake.v1 import intake_pb2 as pb

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
from sensors_sim.failures import SITE_TZ
from sensors_sim.fleet import BUILDINGS, FLOORS, UNITS_PER_FLOOR, build_fleet
from sensors_sim.tickets import sensor_tickets, tenant_tickets
from sensors_sim.world import World

__all__ = ["sim_history"]

_COMPONENTS = {
    "riser": "joint|pipe|valve",
    "power_panel": "breaker|busbar|meter",
    "elevator": "brake|controller|door_operator|motor",
}
_KINDS = {pb.TICKET_KIND_REPAIR: "repair", pb.TICKET_KIND_COMPLAINT: "complaint",
          pb.TICKET_KIND_INQUIRY: "inquiry", pb.TICKET_KIND_MAINTENANCE: "maintenance"}  # fmt: skip


def _places() -> pd.DataFrame:
    rows = []
    for b in BUILDINGS:
        for f in FLOORS:
            rows.append({"building": b, "floor": str(f), "unit": "", "floor_order": f})
            for n in range(1, UNITS_PER_FLOOR + 1):
                rows.append({"building": b, "floor": str(f), "unit": f"{b}-{f}{n:02d}",
                             "floor_order": f})  # fmt: skip
    return frame(PLACE_COLUMNS, rows)


def _assets() -> pd.DataFrame:
    rows = []
    for b, (riser, panel, elevator) in BUILDINGS.items():
        for asset, kind in ((riser, "riser"), (panel, "power_panel"), (elevator, "elevator")):
            rows.append({"asset_id": asset, "type": kind, "building": b, "floor": "1",
                         "installed_on": "2016-05-01", "criticality": 3,
                         "components": _COMPONENTS[kind]})  # fmt: skip
    return frame(ASSET_COLUMNS, rows)


def sim_history(days: float = 120.0, end: datetime | None = None, seed: int = 0,
                devices: int | None = None, interval_s: int = 3600) -> History:  # fmt: skip
    """`days` of the demo site's simulated history up to `end` (default 2026-06-01)."""
    end = end or datetime(2026, 6, 1, tzinfo=SITE_TZ)
    start = end - timedelta(days=days)
    fleet = build_fleet("demo", seed, devices)
    world = World(fleet, seed)
    alerts = world.alerts(start, end)
    raised = sensor_tickets(seed, fleet, alerts, end)
    day: date = start.astimezone(SITE_TZ).date()
    while day < end.astimezone(SITE_TZ).date():
        raised += [t for t in tenant_tickets(seed, "demo", day, end)
                   if t.created_at.seconds >= start.timestamp()]  # fmt: skip
        day += timedelta(days=1)
    tickets = []
    for t in raised:
        resolved = [s.at.seconds for s in t.steps if s.action == pb.ACTION_RESOLVE]
        tickets.append({
            "ticket_id": t.id, "created_at": datetime.fromtimestamp(t.created_at.seconds, UTC),
            "resolved_at": datetime.fromtimestamp(resolved[0], UTC) if resolved else None,
            "kind": _KINDS[t.kind], "category": t.category,
            "source": "sensor" if t.channel == pb.CHANNEL_SENSOR else "tenant",
            "building": t.location.building, "floor": t.location.floor, "unit": t.location.unit,
            "asset": t.location.asset, "component": "",
        })  # fmt: skip
    alarms = [
        {"time": a.time, "device_id": a.device_id, "code": a.type} for a in alerts if a.active
    ]
    first = math.ceil(start.timestamp() / interval_s) * interval_s
    samples = []
    for device in fleet:
        for ts in range(first, math.ceil(end.timestamp()), interval_s):
            for metric, value in world.sample(device, ts, interval_s).items():
                samples.append((ts, device.device_id, metric, value))
    raw = pd.DataFrame(samples, columns=["ts", "device_id", "metric", "value"])
    raw["bucket"] = pd.to_datetime(raw["ts"] // 86400 * 86400, unit="s", utc=True)
    daily = raw.groupby(["bucket", "device_id", "metric"])["value"].agg(
        ["count", "mean", "min", "max", "std"]).reset_index()  # fmt: skip
    daily.columns = ["bucket", "device_id", "metric", "samples", "avg", "min", "max", "stddev"]
    devices_rows = [{"device_id": d.device_id, "kind": d.kind, "building": d.location.building,
                     "floor": d.location.floor, "unit": d.location.unit,
                     "asset": d.location.asset} for d in fleet]  # fmt: skip
    return History(
        site="demo", timezone="Asia/Shanghai", places=_places(), assets=_assets(),
        devices=frame(DEVICE_COLUMNS, devices_rows), tickets=frame(TICKET_COLUMNS, tickets),
        alarms=frame(ALARM_COLUMNS, alarms),
        telemetry=frame(TELEMETRY_COLUMNS, daily.to_dict("records")),
    )  # fmt: skip
