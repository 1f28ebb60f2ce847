"""Device registry use cases, and the in-memory lookup the ingest path uses."""

from __future__ import annotations

import binascii
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from psycopg_pool import AsyncConnectionPool

from services.ingestor.adapters.devices_repo import DeviceRecord, DevicesRepository
from services.ingestor.adapters.history_repo import HistoryRepository, Point
from services.ingestor.adapters.places_client import PlaceChecker
from services.ingestor.domain.model import Device, PayloadFormat
from services.ingestor.domain.registry import InvalidDevice, validate_device

__all__ = ["DeviceCache", "DeviceNotFound", "Registry"]

log = logging.getLogger(__name__)


class DeviceNotFound(LookupError):
    """No device with that id."""


class DeviceCache:
    """Devices by id and by (format, source topic), reloaded when stale or on a miss."""

    def __init__(
        self, pool: AsyncConnectionPool, max_age_s: float = 5.0, miss_reload_s: float = 1.0
    ) -> None:
        self._pool = pool
        self._max_age_s = max_age_s
        self._miss_reload_s = miss_reload_s
        self._by_id: dict[str, Device] = {}
        self._by_source: dict[tuple[PayloadFormat, str], Device] = {}
        self._loaded_at = 0.0

    async def reload(self) -> None:
        async with self._pool.connection() as conn:
            devices = await DevicesRepository(conn).all_devices()
        self._by_id = {d.device_id: d for d in devices}
        self._by_source = {(d.format, d.source_topic): d for d in devices if d.source_topic}
        self._loaded_at = time.monotonic()

    def remember(self, device: Device) -> None:
        """Take a registration into account at once (this replica registered it)."""
        old = self._by_id.get(device.device_id)
        if old is not None and old.source_topic:
            self._by_source.pop((old.format, old.source_topic), None)
        self._by_id[device.device_id] = device
        if device.source_topic:
            self._by_source[(device.format, device.source_topic)] = device

    async def refresh_if_stale(self) -> None:
        if time.monotonic() - self._loaded_at > self._max_age_s:
            await self.reload()

    async def find(self, fmt: PayloadFormat, device_id: str, source_topic: str) -> Device | None:
        """The device a message speaks for; reloads once (at most every second) on a miss."""
        device = self._lookup(fmt, device_id, source_topic)
        if device is None and time.monotonic() - self._loaded_at > self._miss_reload_s:
            await self.reload()
            device = self._lookup(fmt, device_id, source_topic)
        return device

    async def find_by_id(self, device_id: str) -> Device | None:
        """A device by id, whatever its format."""
        device = self._by_id.get(device_id)
        if device is None and time.monotonic() - self._loaded_at > self._miss_reload_s:
            await self.reload()
            device = self._by_id.get(device_id)
        return device

    def _lookup(self, fmt: PayloadFormat, device_id: str, source_topic: str) -> Device | None:
        if device_id:
            device = self._by_id.get(device_id)
            return device if device is not None and device.format is fmt else None
        return self._by_source.get((fmt, source_topic))


class Registry:
    """Register and look up devices; a device's place must be one intake knows (`places`)."""

    def __init__(self, pool: AsyncConnectionPool, cache: DeviceCache, places: PlaceChecker) -> None:
        self._pool = pool
        self._cache = cache
        self._places = places

    async def _check_place(self, device: Device, prefix: str = "") -> None:
        if (problem := await self._places.problem(device)) is not None:
            raise InvalidDevice(f"{prefix}location: {problem}")

    @asynccontextmanager
    async def _repo(self) -> AsyncIterator[DevicesRepository]:
        async with self._pool.connection() as conn, conn.transaction():
            yield DevicesRepository(conn)

    async def put(self, device: Device) -> tuple[DeviceRecord, bool]:
        """Create or replace one device; InvalidDevice says what is wrong."""
        validate_device(device)
        await self._check_place(device)
        async with self._repo() as repo:
            record, created = await repo.put(device)
        self._cache.remember(device)
        log.info("device %s %s", device.device_id, "registered" if created else "updated")
        return record, created

    async def put_many(self, devices: list[Device]) -> tuple[int, int]:
        """Create or replace many devices, all or none; returns (created, updated)."""
        if not devices:
            raise InvalidDevice("no devices given")
        ids = [d.device_id for d in devices]
        if len(set(ids)) != len(ids):
            raise InvalidDevice("the same device_id appears twice")
        for number, device in enumerate(devices, start=1):
            prefix = f"device {number} ({device.device_id[:64]}): "
            try:
                validate_device(device)
            except InvalidDevice as exc:
                raise InvalidDevice(f"{prefix}{exc}") from None
            await self._check_place(device, prefix)
        created = 0
        async with self._repo() as repo:
            for device in devices:
                created += (await repo.put(device))[1]
        for device in devices:
            self._cache.remember(device)
        return created, len(devices) - created

    async def get(self, device_id: str) -> DeviceRecord:
        async with self._pool.connection() as conn:
            record = await DevicesRepository(conn).get(device_id)
        if record is None:
            raise DeviceNotFound(f"no device {device_id[:128]!r}")
        return record

    async def telemetry(
        self,
        device_id: str,
        metric: str,
        start: datetime | None,
        end: datetime | None,
        size: int,
        token: str,
    ) -> tuple[list[Point], str]:
        """A device's stored readings in time order, a page (at most 10,000) at a time."""
        size = min(size, 10_000) if size > 0 else 1000
        await self.get(device_id)  # DeviceNotFound for a device that is not registered
        try:
            async with self._pool.connection() as conn:
                return await HistoryRepository(conn).telemetry_page(
                    device_id, metric, start, end, size, token
                )
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise InvalidDevice("page_token is not one this service issued") from None

    async def page(
        self, site: str, building: str, kind: str, size: int, token: str, asset: str = ""
    ) -> tuple[list[DeviceRecord], str]:
        size = min(size, 500) if size > 0 else 100
        try:
            async with self._pool.connection() as conn:
                return await DevicesRepository(conn).page(site, building, kind, size, token, asset)
        except (binascii.Error, UnicodeDecodeError):
            raise InvalidDevice("page_token is not one this service issued") from None
