"""History from other systems (the importer's `devices`, `events` and `telemetry` kinds): each
import is one transaction, all or nothing. With any problem nothing is written and every
problem is returned (at most `MAX_PROBLEMS`); a dry run checks and counts, and writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from psycopg_pool import AsyncConnectionPool

from services.ingestor.adapters.devices_repo import DevicesRepository
from services.ingestor.adapters.history_repo import HistoryRepository
from services.ingestor.adapters.places_client import AssetSites, PlaceChecker
from services.ingestor.domain.history import (
    DeviceEvent,
    ImportOutcome,
    RowProblem,
    TelemetryColumns,
    capped,
    column_problems,
    event_problems,
)
from services.ingestor.domain.model import Device
from services.ingestor.domain.registry import device_problem
from services.ingestor.handlers.registry import DeviceCache

__all__ = ["History"]

log = logging.getLogger(__name__)


class _RollBack(Exception):
    """Ends an import's transaction without writing anything."""


def _no(what: str, name: str) -> str:
    return f"no {what} {name[:64]!r}"


def _outcome(outcome: ImportOutcome, problems: list[RowProblem]) -> ImportOutcome:
    return ImportOutcome(problems=capped(problems)) if problems else outcome


class History:
    """Imports history for the devices the ingestor owns; places and assets are checked with
    intake as a registration's are."""

    def __init__(
        self,
        pool: AsyncConnectionPool,
        cache: DeviceCache,
        places: PlaceChecker,
        assets: AssetSites,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._pool = pool
        self._cache = cache
        self._places = places
        self._assets = assets
        self._clock = clock

    async def _checked_devices(
        self, rows: Sequence[tuple[int, Device]], problems: list[RowProblem]
    ) -> list[tuple[int, Device]]:
        """The rows whose registration is right in itself and whose place exists; the
        others' problems go to `problems`."""
        good: list[tuple[int, Device]] = []
        first_line: dict[str, int] = {}
        first_source: dict[tuple[str, str], int] = {}
        places: dict[tuple[str, ...], tuple[str, str] | None] = {}
        for line, device in rows:
            if (found := device_problem(device)) is not None:
                problems.append(RowProblem(line, *found))
                continue
            if (seen := first_line.setdefault(device.device_id, line)) != line:
                problems.append(
                    RowProblem(line, "device_id", f"line {seen} has this device_id too")
                )
                continue
            source = (device.format.value, device.source_topic)
            if device.source_topic and (seen := first_source.setdefault(source, line)) != line:
                problems.append(
                    RowProblem(line, "source_topic", f"line {seen} has this source_topic too")
                )
                continue
            key = (device.site, device.building, device.floor, device.unit, device.asset)
            if key not in places:
                places[key] = await self._places.check(device)
            if (missing := places[key]) is not None:
                problems.append(RowProblem(line, *missing))
                continue
            good.append((line, device))
        return good

    async def import_devices(
        self, rows: Sequence[tuple[int, Device]], dry_run: bool, refused: Sequence[RowProblem] = ()
    ) -> ImportOutcome:
        """Create or replace devices by the rules of a registration; a device already stored
        keeps its thresholds (a file has none), and one stored as the row says is unchanged.
        `refused` are problems found while reading the rows."""
        problems = list(refused)
        good = await self._checked_devices(rows, problems)
        outcome, written = ImportOutcome(), []
        try:
            async with self._pool.connection() as conn, conn.transaction():
                repo = DevicesRepository(conn)
                stored = await repo.get_many([d.device_id for _, d in good])
                owners = await repo.source_owners(
                    [(d.format, d.source_topic) for _, d in good if d.source_topic]
                )
                for line, given in good:
                    owner = owners.get((given.format, given.source_topic), given.device_id)
                    if owner != given.device_id:
                        reason = f"device {owner!r} has this source_topic"
                        problems.append(RowProblem(line, "source_topic", reason))
                        continue
                    old = stored.get(given.device_id)
                    device = given if old is None else replace(given, thresholds=old.thresholds)
                    if device == old:
                        outcome.unchanged += 1
                        continue
                    await repo.put(device)
                    written.append(device)
                    outcome.inserted += old is None
                    outcome.updated += old is not None
                if problems or dry_run:
                    raise _RollBack
        except _RollBack:
            return _outcome(outcome, problems)
        for device in written:
            self._cache.remember(device)
        log.info("imported devices: %d new, %d changed", outcome.inserted, outcome.updated)
        return outcome

    async def _sites(
        self, rows: Sequence[tuple[int, DeviceEvent]]
    ) -> tuple[dict[str, str], dict[str, str | None]]:
        """The site of each device the rows name that exists, and of each asset (None for an
        asset intake does not know)."""
        async with self._pool.connection() as conn:
            devices = await DevicesRepository(conn).get_many({e.device_id for _, e in rows} - {""})
        assets = {a: await self._assets.site_of(a) for a in {e.asset_id for _, e in rows} - {""}}
        return {d.device_id: d.site for d in devices.values()}, assets

    async def import_events(
        self, rows: Sequence[tuple[int, DeviceEvent]], dry_run: bool
    ) -> ImportOutcome:
        """Store alarms and error codes by their key (device, asset, time, code): a new key
        is inserted, another severity or message updated. They open no tickets."""
        now = self._clock()
        device_sites, asset_sites = await self._sites(rows)
        problems: list[RowProblem] = []
        events: list[DeviceEvent] = []
        first_line: dict[tuple[str, str, datetime, str], int] = {}
        for line, raw in rows:
            event = raw.cleaned()
            found = event_problems(event, now)
            site = device_sites.get(event.device_id, "")
            if event.device_id and not site:
                found.append(("device_id", _no("device", event.device_id)))
            if event.asset_id:
                asset_site = asset_sites.get(event.asset_id)
                if asset_site is None:
                    found.append(("asset_id", _no("asset", event.asset_id)))
                elif site and asset_site != site:
                    found.append(("asset_id", f"{_no('asset', event.asset_id)} at site {site!r}"))
                site = site or asset_site or ""
            key = (event.device_id, event.asset_id, event.time, event.code)
            if (seen := first_line.setdefault(key, line)) != line:
                found.append(("", f"line {seen} has the same device, asset, time and code"))
            problems += [RowProblem(line, column, reason) for column, reason in found]
            events.append(replace(event, site=site))
        outcome = ImportOutcome()
        if problems:
            return _outcome(outcome, problems)
        try:
            async with self._pool.connection() as conn, conn.transaction():
                outcome.inserted, outcome.updated = await HistoryRepository(conn).put_events(events)
                outcome.unchanged = len(events) - outcome.inserted - outcome.updated
                if dry_run:
                    raise _RollBack
        except _RollBack:
            pass
        return outcome

    async def import_telemetry(
        self, chunks: AsyncIterable[TelemetryColumns], dry_run: bool
    ) -> ImportOutcome:
        """Store readings beside live telemetry, keyed by (device, metric, time): a new key
        is inserted, another value updated. Every chunk is checked; they are staged until the
        last has come and then moved in at once."""
        now = self._clock()
        problems: list[RowProblem] = []
        outcome = ImportOutcome()
        known: set[str] = set()
        unknown: set[str] = set()
        try:
            async with self._pool.connection() as conn, conn.transaction():
                stage = await HistoryRepository(conn).telemetry_stage()
                devices = DevicesRepository(conn)
                async for chunk in chunks:
                    named = {*chunk.device_ids}
                    if new := named - known - unknown:
                        found = (await devices.get_many(new)).keys()
                        known |= found
                        unknown |= new - found
                    problems += column_problems(chunk, now)
                    if missing := named & unknown:
                        problems += [RowProblem(line, "device_id", _no("device", d))
                                     for line, d in zip(chunk.lines, chunk.device_ids, strict=True)
                                     if d in missing]  # fmt: skip
                    if not problems:
                        await stage.add(chunk)
                if not problems:
                    stored = await stage.store()
                    if isinstance(stored, list):
                        problems += [RowProblem(line, "", f"line {first} has the same device, "
                                                "metric and time") for line, first in stored]  # fmt: skip
                    else:
                        outcome.inserted, outcome.updated = stored
                        outcome.unchanged = stage.rows - sum(stored)
                if problems or dry_run:
                    raise _RollBack
        except _RollBack:
            return _outcome(outcome, problems)
        log.info("imported telemetry: %d new, %d changed, %d unchanged",
                 outcome.inserted, outcome.updated, outcome.unchanged)  # fmt: skip
        return outcome
