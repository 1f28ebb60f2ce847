"""Bring the predictor's read model up to date: places, assets, devices and tickets.

Tickets come from intake's event log, imported history included (`include_imported`),
read from the cursor kept in `predictor.event_cursor` up to the end of what is settled,
then the stream ends (no follow): each batch of events and the cursor that follows it are
written in one transaction, so a crash loses nothing and repeats nothing. A `created`
event lacks the ticket's place, so the new tickets of a batch are fetched with
`GetTicket` (in parallel) before the transaction opens. Places, assets and devices are
registries and are copied whole per site (intake's PlaceService and AssetService, the
ingestor's DeviceService). The predictor service runs this every few seconds as leader;
`python -m ml` runs it before it reads, so both read the same tables the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import grpc
import psycopg
from maintenance.ingestor.v1 import ingestor_pb2, ingestor_pb2_grpc
from maintenance.intake.v1 import (
    assets_pb2,
    assets_pb2_grpc,
    intake_pb2,
    intake_pb2_grpc,
    places_pb2,
    places_pb2_grpc,
)
from psycopg.types.json import Jsonb

__all__ = ["ACTOR", "SyncCounts", "Targets", "sync"]

log = logging.getLogger(__name__)

ACTOR = intake_pb2.Actor(username="predictor", role=intake_pb2.ROLE_SYSTEM,
                         channel=intake_pb2.CHANNEL_API)  # fmt: skip
_CONSUMER = "predictor"
_BATCH = 500
_LOCK = 0x707265646963  # "predic": one sync at a time per database
Connection = psycopg.Connection[tuple[Any, ...]]


@dataclass(frozen=True)
class Targets:
    """Where intake and the ingestor listen, how long a call may take, and how a channel
    to them is opened (plaintext unless the caller dials with its own credentials)."""

    intake: str = "127.0.0.1:50051"
    ingestor: str = "127.0.0.1:50057"
    timeout_s: float = 30.0
    dial: Callable[[str], grpc.Channel] = grpc.insecure_channel


@dataclass
class SyncCounts:
    sites: int = 0
    assets: int = 0
    devices: int = 0
    events: int = 0
    tickets: int = 0

    def __str__(self) -> str:
        return (f"sites={self.sites} assets={self.assets} devices={self.devices}"
                f" events={self.events} tickets={self.tickets}")  # fmt: skip


def _name(enum: Any, prefix: str, number: int) -> str:
    if not number:
        return ""
    try:
        return str(enum.Name(number)).removeprefix(prefix).lower()
    except ValueError:
        return ""


def _time(ts: Any) -> datetime:
    return datetime.fromtimestamp(ts.seconds + ts.nanos / 1e9, UTC)


def _sites(conn: Connection, channel: grpc.Channel, t: Targets) -> list[str]:
    stub = places_pb2_grpc.PlaceServiceStub(channel)
    listed = stub.ListSites(places_pb2.ListSitesRequest(actor=ACTOR), timeout=t.timeout_s).sites
    codes = []
    for brief in listed:
        site = stub.GetSite(places_pb2.GetSiteRequest(actor=ACTOR, site=brief.code),
                            timeout=t.timeout_s).site  # fmt: skip
        rows = []
        for b in site.buildings:
            for order, f in enumerate(b.floors):
                rank = f.order if f.HasField("order") else order
                rows.append((site.code, b.code, f.code, "", f.name or b.name, f.name_en, rank))
                rows += [
                    (site.code, b.code, f.code, u.code, u.name, u.name_en, rank) for u in f.units
                ]
        with conn.transaction():
            conn.execute(
                "INSERT INTO predictor.sites (site, timezone, name, name_en, synced_at)"
                " VALUES (%s, %s, %s, %s, now()) ON CONFLICT (site) DO UPDATE SET"
                " timezone = EXCLUDED.timezone, name = EXCLUDED.name, name_en = EXCLUDED.name_en,"
                " synced_at = now()",
                (site.code, site.timezone or "UTC", site.name, site.name_en),
            )
            conn.execute("DELETE FROM predictor.places WHERE site = %s", (site.code,))
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO predictor.places (site, building, floor, unit, name, name_en,"
                    " floor_order) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    rows,
                )
        codes.append(site.code)
    return codes


def _pages(fetch: Any) -> Iterator[Any]:
    token = ""
    while True:
        reply = fetch(token)
        yield reply
        token = reply.next_page_token
        if not token:
            return


def _assets(conn: Connection, channel: grpc.Channel, site: str, t: Targets) -> int:
    stub = assets_pb2_grpc.AssetServiceStub(channel)
    rows = []
    for page in _pages(lambda token: stub.ListAssets(assets_pb2.ListAssetsRequest(
            actor=ACTOR, site=site, page_size=500, page_token=token), timeout=t.timeout_s)):  # fmt: skip
        for a in page.assets:
            rows.append((a.asset_id, a.site, a.type, a.name, a.model, a.building, a.floor, a.unit,
                         a.installed_on or None, a.criticality, list(a.components)))  # fmt: skip
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("DELETE FROM predictor.assets WHERE site = %s", (site,))
        cur.executemany(
            "INSERT INTO predictor.assets (asset_id, site, type, name, model, building, floor,"
            " unit, installed_on, criticality, components) VALUES"
            " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (asset_id) DO UPDATE SET"
            " site = EXCLUDED.site, type = EXCLUDED.type, name = EXCLUDED.name,"
            " model = EXCLUDED.model, building = EXCLUDED.building, floor = EXCLUDED.floor,"
            " unit = EXCLUDED.unit, installed_on = EXCLUDED.installed_on,"
            " criticality = EXCLUDED.criticality, components = EXCLUDED.components",
            rows,
        )
    return len(rows)


def _devices(conn: Connection, channel: grpc.Channel, site: str, t: Targets) -> int:
    stub = ingestor_pb2_grpc.DeviceServiceStub(channel)
    rows = []
    for page in _pages(lambda token: stub.ListDevices(ingestor_pb2.ListDevicesRequest(
            site=site, page_size=500, page_token=token), timeout=t.timeout_s)):  # fmt: skip
        for d in page.devices:
            loc = d.location
            rows.append((d.device_id, loc.site, _name(ingestor_pb2.DeviceKind, "DEVICE_KIND_", d.kind),
                         loc.building, loc.floor, loc.unit, loc.asset, Jsonb(dict(d.thresholds))))  # fmt: skip
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("DELETE FROM predictor.devices WHERE site = %s", (site,))
        cur.executemany(
            "INSERT INTO predictor.devices (device_id, site, kind, building, floor, unit, asset,"
            " thresholds) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (device_id) DO"
            " UPDATE SET site = EXCLUDED.site, kind = EXCLUDED.kind, building = EXCLUDED.building,"
            " floor = EXCLUDED.floor, unit = EXCLUDED.unit, asset = EXCLUDED.asset,"
            " thresholds = EXCLUDED.thresholds",
            rows,
        )
    return len(rows)


def _ticket_row(t: intake_pb2.Ticket, imported: bool) -> tuple[Any, ...]:
    loc = t.location
    return (t.id, loc.site, loc.building, loc.floor, loc.unit, loc.asset, t.component,
            _name(intake_pb2.TicketKind, "TICKET_KIND_", t.kind), t.category, t.source,
            t.device_id, _name(intake_pb2.TicketStatus, "TICKET_STATUS_", t.status),
            _time(t.created_at), imported)  # fmt: skip


def _fetch(stub: intake_pb2_grpc.IntakeServiceStub, ids: Iterable[str], t: Targets
           ) -> dict[str, intake_pb2.Ticket]:  # fmt: skip
    calls = {i: stub.GetTicket.future(intake_pb2.GetTicketRequest(actor=ACTOR, ticket_id=i),
                                      timeout=t.timeout_s) for i in ids}  # fmt: skip
    found = {}
    for ticket_id, call in calls.items():
        try:
            found[ticket_id] = call.result().ticket
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.NOT_FOUND:
                raise
    return found


_SETTLED = ("awaiting_rating", "closed", "cancelled")


def _apply(conn: Connection, events: list[intake_pb2.TicketEvent],
           tickets: dict[str, intake_pb2.Ticket]) -> int:  # fmt: skip
    imported = {e.ticket_id for e in events if e.imported}
    moves = [
        {"status": _name(intake_pb2.TicketStatus, "TICKET_STATUS_", e.to_status),
         "at": _time(e.occurred_at), "id": e.ticket_id, "settled": list(_SETTLED)}
        for e in events if e.to_status and e.to_status != e.from_status
    ]  # fmt: skip
    with conn.transaction(), conn.cursor() as cur:
        if tickets:
            cur.executemany(
                "INSERT INTO predictor.tickets (ticket_id, site, building, floor, unit, asset,"
                " component, kind, category, source, device_id, status, created_at, imported)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (ticket_id) DO UPDATE SET site = EXCLUDED.site,"
                " building = EXCLUDED.building, floor = EXCLUDED.floor, unit = EXCLUDED.unit,"
                " asset = EXCLUDED.asset, component = EXCLUDED.component, kind = EXCLUDED.kind,"
                " category = EXCLUDED.category, source = EXCLUDED.source",
                [_ticket_row(t, i in imported) for i, t in tickets.items()],
            )
        if moves:
            # The latest resolution counts; reopening clears it, closing keeps it.
            cur.executemany(
                "UPDATE predictor.tickets SET status = %(status)s, resolved_at = CASE"
                " WHEN %(status)s = 'resolved' THEN %(at)s"
                " WHEN %(status)s = ANY(%(settled)s) THEN resolved_at END"
                " WHERE ticket_id = %(id)s",
                moves,
            )
        cur.execute(
            "INSERT INTO predictor.event_cursor (consumer, cursor) VALUES (%s, %s)"
            " ON CONFLICT (consumer) DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = now()",
            (_CONSUMER, events[-1].cursor),
        )
    return len(tickets)


_REFETCH = frozenset({"created", "updated", "recategorised", "recategorized", "moved"})


def _events(conn: Connection, channel: grpc.Channel, t: Targets, counts: SyncCounts) -> None:
    stub = intake_pb2_grpc.IntakeServiceStub(channel)
    row = conn.execute("SELECT cursor FROM predictor.event_cursor WHERE consumer = %s",
                       (_CONSUMER,)).fetchone()  # fmt: skip
    cursor = str(row[0]) if row else ""
    stream = stub.StreamEvents(intake_pb2.StreamEventsRequest(
        after_cursor=cursor, follow=False, include_imported=True), timeout=t.timeout_s * 20)  # fmt: skip
    batch: list[intake_pb2.TicketEvent] = []

    def flush() -> None:
        wanted = {e.ticket_id for e in batch if e.type in _REFETCH}
        counts.tickets += _apply(conn, batch, _fetch(stub, wanted, t))
        counts.events += len(batch)
        batch.clear()

    for reply in stream:
        batch.append(reply.event)
        if len(batch) >= _BATCH:
            flush()
    if batch:
        flush()


def sync(conn: Connection, targets: Targets, sites: bool = True) -> SyncCounts:
    """Catch the read model up with intake and the ingestor (one sync at a time per
    database: a second waits for the first). `conn` must be in autocommit mode: each step
    is a short transaction of its own, because an open writing transaction anywhere on the
    server holds back intake's event log for every follower. Raises grpc.RpcError or
    psycopg.Error."""
    if not conn.autocommit:
        raise ValueError("sync needs an autocommit connection")
    counts = SyncCounts()
    conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK,))
    try:
        with targets.dial(targets.intake) as intake:
            if sites:
                codes = _sites(conn, intake, targets)
                counts.sites = len(codes)
                for code in codes:
                    counts.assets += _assets(conn, intake, code, targets)
                with targets.dial(targets.ingestor) as ingestor:
                    for code in codes:
                        counts.devices += _devices(conn, ingestor, code, targets)
            _events(conn, intake, targets, counts)
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK,))
    log.info("read model synced: %s", counts)
    return counts
