"""Devices that fall silent raise `device_offline`, through the same incidents as any alert."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from psycopg_pool import AsyncConnectionPool

from services.ingestor import metrics
from services.ingestor.adapters.store import IngestStore
from services.ingestor.domain.model import AlertSignal, AlertType
from services.ingestor.handlers.ingest import BatchResult, Ingest

__all__ = ["Watchdog"]

log = logging.getLogger(__name__)


class Watchdog:
    def __init__(self, pool: AsyncConnectionPool, ingest: Ingest, offline_factor: float) -> None:
        self._pool = pool
        self._ingest = ingest
        self._factor = offline_factor

    async def check(self) -> int:
        """Mark silent devices offline and raise their alerts; returns how many went offline."""
        now = datetime.now(UTC)
        async with self._pool.connection() as conn, conn.transaction():
            store = IngestStore(conn)
            silent = await store.mark_offline(self._factor)
            signals = [
                AlertSignal(device_id, now, AlertType.DEVICE_OFFLINE, True,
                            detail=f"silent since {last_seen.isoformat()}")
                for device_id, last_seen in silent
            ]  # fmt: skip
            fresh = await store.new_signals(signals)
            await self._ingest.apply_signals(store, fresh, {}, BatchResult())
            offline, clock_wrong = await store.count_troubled()
        metrics.DEVICES_OFFLINE.set(offline)
        metrics.DEVICES_CLOCK_WRONG.set(clock_wrong)
        if silent:
            log.info(
                "%d device(s) went silent: %s", len(silent), ", ".join(d for d, _ in silent[:10])
            )
        return len(silent)
