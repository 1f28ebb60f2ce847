"""History at high speed: `python -m sensors_sim backfill`.

Month by simulated month (site local time) over `days` up to `end`: telemetry every
`interval_s` for every device COPYed into `ingestor.telemetry`, the alert signals of the
planted failures into `ingestor.alert_signals`, the tickets those alerts raised and the
tenants' own tickets through intake's `ImportTickets` in batches. The fleet is registered
in `ingestor.devices` first. The ground truth (which failures were planted, and for the
park the maintenance visits) goes to a JSON file and never into the database.

`fleet="park"` writes the park (`sensors_sim.park`) instead of the demo site: its places
and assets are imported into intake first, its failures are the wear-out failures of
`sensors_sim.wear`, maintenance visits become `maintenance` tickets, its warnings (true and
false) stay alarms without tickets, and its tenants ask for random repairs in their units. Everything is deterministic for a seed and idempotent:
a rerun over the same window adds nothing.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property, partial
from pathlib import Path
from typing import TextIO

import grpc
import psycopg
from maintenance.intake.v1 import intake_pb2 as pb
from maintenance.intake.v1 import intake_pb2_grpc as pb_grpc

from sensors_sim.failures import SITE_TZ
from sensors_sim.fleet import Device, Location, build_fleet
from sensors_sim.park import PARK_SITE, build_park, park_units
from sensors_sim.places import import_park
from sensors_sim.store import TelemetryRow, copy_telemetry, insert_alerts, register_devices
from sensors_sim.tickets import (
    WARNINGS,
    maintenance_ticket,
    sensor_tickets,
    tenant_tickets,
    unit_tickets,
)
from sensors_sim.wear import GRID_DIPS, WearPlanner
from sensors_sim.world import Alert, World

__all__ = ["BackfillOptions", "BackfillStats", "backfill", "months"]

_ACTOR = pb.Actor(username="sensors_sim", role=pb.ROLE_SYSTEM)
_RPC_TIMEOUT_S = 120.0
_COUNTS = ("telemetry_rows", "telemetry_new", "alerts_new", "tickets_imported", "tickets_skipped")


@dataclass(frozen=True, slots=True)
class BackfillOptions:
    """Where to write, over which window, from which seed."""

    database_url: str
    intake: str = "127.0.0.1:50051"
    days: float = 365.0
    seed: int = 0
    interval_s: int = 900
    truth_file: Path = Path("var/ground_truth.json")
    #: '' is the fleet's own site: `demo`, or `park`.
    site: str = ""
    devices: int | None = None
    #: `demo` (the demo site, `devices` of it) or `park` (about `assets` assets).
    fleet: str = "demo"
    assets: int = 300
    #: The end of the window; None is now, rounded down to the interval.
    end: datetime | None = None
    batch: int = 200


@dataclass(frozen=True, slots=True)
class BackfillStats:
    """What a backfill wrote: rows generated and new, alerts new, tickets imported/skipped."""

    telemetry_rows: int
    telemetry_new: int
    alerts_new: int
    tickets_imported: int
    tickets_skipped: int
    seconds: float


def months(start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """[start, end) cut at the first of each month, site local time."""
    cursor = start.astimezone(SITE_TZ)
    while cursor < end:
        year, month = divmod(cursor.month, 12)
        following = datetime(cursor.year + year, month + 1, 1, tzinfo=SITE_TZ)
        yield cursor, min(following, end)
        cursor = min(following, end)


def _telemetry(
    world: World, fleet: Sequence[Device], start: datetime, end: datetime, interval_s: int
) -> Iterator[TelemetryRow]:
    """Every device's readings at the multiples of `interval_s` in [start, end)."""
    first = math.ceil(start.timestamp() / interval_s) * interval_s
    times = [
        (ts, datetime.fromtimestamp(ts, UTC))
        for ts in range(first, math.ceil(end.timestamp()), interval_s)
    ]
    sample = world.sample
    for device in fleet:
        device_id = device.device_id
        for ts, when in times:
            for metric, value in sample(device, ts, interval_s).items():
                yield (when, device_id, metric, value)


def _import(stub: pb_grpc.IntakeServiceStub, tickets: list[pb.HistoricalTicket],
            batch: int) -> tuple[int, int]:  # fmt: skip
    imported = skipped = 0
    for i in range(0, len(tickets), batch):
        request = pb.ImportTicketsRequest(actor=_ACTOR, tickets=tickets[i : i + batch])
        reply = stub.ImportTickets(request, timeout=_RPC_TIMEOUT_S)
        imported, skipped = imported + reply.imported, skipped + reply.skipped
    return imported, skipped


def _days(start: datetime, end: datetime) -> Iterator[date]:
    day = start.astimezone(SITE_TZ).date()
    while day <= (end - timedelta(microseconds=1)).astimezone(SITE_TZ).date():
        yield day
        day += timedelta(days=1)


def _write_truth(window: _Window) -> None:
    options, start, end = window.options, window.start, window.end
    truth: dict[str, object] = {
        "site": window.site,
        "seed": options.seed,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "failures": [g.as_json() for g in window.world.failures(start, end)],
    }
    if window.plan is not None:
        truth["maintenance"] = [
            {"device_id": v.device.device_id, "asset": v.device.location.asset,
             "time": v.time.astimezone(UTC).isoformat()}
            for v in window.plan.visits(start, end)
        ]  # fmt: skip
    options.truth_file.parent.mkdir(parents=True, exist_ok=True)
    options.truth_file.write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n")


@dataclass
class _Window:
    """One backfill's fleet, window and what it will write, month by month."""

    options: BackfillOptions
    site: str
    fleet: list[Device]
    world: World
    start: datetime
    end: datetime
    #: The park's wear-out planner and places; None and [] for the demo site.
    plan: WearPlanner | None = None
    units: list[Location] = field(default_factory=list)

    @cached_property
    def series(self) -> list[tuple[str, str]]:
        """Every (device id, metric) the fleet reports."""
        ts, interval = self.start.timestamp(), self.options.interval_s
        return [(d.device_id, m) for d in self.fleet for m in self.world.sample(d, ts, interval)]

    @cached_property
    def alerts(self) -> list[Alert]:
        return self.world.alerts(self.start, self.end)

    @cached_property
    def sensor_tickets(self) -> list[pb.HistoricalTicket]:
        """A ticket per raised alert; in the park per failure only (warnings stay alarms)."""
        alerts = self.alerts
        if self.plan is not None:
            alerts = [a for a in alerts if a.type not in WARNINGS]
        return sensor_tickets(self.options.seed, self.fleet, alerts, self.end)

    def _planned(self, lo: datetime, hi: datetime) -> list[pb.HistoricalTicket]:
        """Tickets people raised in [lo, hi): the demo tenants', or the park's repairs in
        units and its maintenance."""
        seed, tickets = self.options.seed, []
        for day in _days(lo, hi):
            if self.plan is None:
                raised = tenant_tickets(seed, self.site, day, self.end)
            else:
                raised = unit_tickets(seed, [u for u in self.units if u.unit], day, self.end)
            tickets += [t for t in raised if lo.timestamp() <= t.created_at.seconds]
        if self.plan is not None:
            tickets += [maintenance_ticket(seed, v, self.end) for v in self.plan.visits(lo, hi)]
        return [t for t in tickets if t.created_at.seconds >= self.start.timestamp()]

    def month(
        self, conn: psycopg.Connection[tuple[object, ...]], stub: pb_grpc.IntakeServiceStub,
        lo: datetime, hi: datetime,
    ) -> tuple[int, int, int, int, int]:  # fmt: skip
        """Write [lo, hi); returns the counts named in `_COUNTS`."""
        opts = self.options
        rows = partial(_telemetry, self.world, self.fleet, lo, hi, opts.interval_s)
        copied, new = copy_telemetry(conn, rows, self.series, lo, hi)
        signals = insert_alerts(conn, [a for a in self.alerts if lo <= a.time < hi])
        conn.commit()
        tickets = [
            t for t in self.sensor_tickets
            if lo.timestamp() <= t.created_at.seconds < hi.timestamp()
        ]  # fmt: skip
        tickets += self._planned(lo, hi)
        imported, skipped = _import(stub, tickets, opts.batch)
        return copied, new, signals, imported, skipped


def backfill(options: BackfillOptions, out: TextIO = sys.stdout) -> BackfillStats:
    """Write the history; raises psycopg.Error or grpc.RpcError when a store refuses."""
    began = time.perf_counter()
    now = int(datetime.now(SITE_TZ).timestamp()) // options.interval_s * options.interval_s
    end = (options.end or datetime.fromtimestamp(now, SITE_TZ)).astimezone(SITE_TZ)
    start = end - timedelta(days=options.days)
    if options.fleet == "park":
        site = options.site or PARK_SITE
        fleet = build_park(site, options.assets)
        plan = WearPlanner(fleet, options.seed)
        window = _Window(options, site, fleet, World(fleet, options.seed, plan=plan, grid_dips=GRID_DIPS), start, end,
                         plan, park_units(site, options.assets))  # fmt: skip
    else:
        site = options.site or "demo"
        fleet = build_fleet(site, options.seed, options.devices)
        window = _Window(options, site, fleet, World(fleet, options.seed), start, end)
    totals = dict.fromkeys(_COUNTS, 0)
    with (
        psycopg.connect(options.database_url) as conn,
        grpc.insecure_channel(options.intake) as channel,
    ):
        if window.plan is not None:
            places, assets = import_park(channel, window.units, fleet, window.plan)
            out.write(f"{places} new places and {assets} new assets in {site}\n")
        added = register_devices(conn, fleet)
        conn.commit()
        out.write(f"{len(fleet)} devices ({added} new), {window.start:%Y-%m-%d %H:%M} to "
                  f"{end:%Y-%m-%d %H:%M} every {options.interval_s} s\n")  # fmt: skip
        stub = pb_grpc.IntakeServiceStub(channel)
        for lo, hi in months(window.start, end):
            tick = time.perf_counter()
            counts = window.month(conn, stub, lo, hi)
            for name, value in zip(_COUNTS, counts, strict=True):
                totals[name] += value
            copied, new, signals, imported, skipped = counts
            speed = copied / max(time.perf_counter() - tick, 1e-9)
            out.write(f"{lo:%Y-%m}: {copied:,} telemetry rows ({new:,} new, {speed:,.0f} rows/s),"
                      f" {signals} alert signals, {imported} tickets imported,"
                      f" {skipped} already there\n")  # fmt: skip
            out.flush()
    _write_truth(window)
    stats = BackfillStats(**totals, seconds=time.perf_counter() - began)
    out.write(f"done in {stats.seconds:.1f} s: {stats.telemetry_rows:,} telemetry rows "
              f"({stats.telemetry_rows / stats.seconds:,.0f} rows/s), truth in "
              f"{options.truth_file}\n")  # fmt: skip
    return stats
