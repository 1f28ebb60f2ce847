"""Ingest one batch of MQTT messages: decode, detect, store, and turn alerts into incidents,
all in one transaction. The caller acknowledges the messages only after it commits."""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from psycopg_pool import AsyncConnectionPool

from services.ingestor import metrics
from services.ingestor.adapters.store import DeadLetter, DeviceTouch, IngestStore
from services.ingestor.domain.detection import Detector
from services.ingestor.domain.incidents import apply_signal
from services.ingestor.domain.model import (
    AlertSignal,
    AlertType,
    Device,
    Inbound,
    Observation,
    Reading,
    Rejected,
    StatusSignal,
)
from services.ingestor.formats import adapter_for, route
from services.ingestor.handlers.registry import DeviceCache

__all__ = ["BatchResult", "Ingest"]

log = logging.getLogger(__name__)

_KEEP_BYTES = 2048


@dataclass(slots=True)
class BatchResult:
    received: int = 0
    rows_stored: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    signals: int = 0
    opened: int = 0
    folded: int = 0


@dataclass(slots=True)
class _Decoded:
    rows: list[tuple[datetime, str, str, float]] = field(default_factory=list)
    touches: dict[str, DeviceTouch] = field(default_factory=dict)
    signals: list[AlertSignal] = field(default_factory=list)
    letters: list[DeadLetter] = field(default_factory=list)
    devices: dict[str, Device] = field(default_factory=dict)

    def touch(self, device_id: str, when: datetime, values: dict[str, float], online: bool) -> None:
        old = self.touches.get(device_id)
        if old is not None and old.last_seen_at > when:
            values, when, online = {**values, **old.last_values}, old.last_seen_at, old.online
        elif old is not None:
            values = {**old.last_values, **values}
        self.touches[device_id] = DeviceTouch(device_id, when, values, online)


class Ingest:
    """Turns batches of messages into committed rows, signals and incidents."""

    def __init__(
        self,
        pool: AsyncConnectionPool,
        cache: DeviceCache,
        detector: Detector,
        *,
        max_payload_bytes: int,
        rollup_window: timedelta,
        repeat_every: timedelta,
    ) -> None:
        self._pool = pool
        self._cache = cache
        self._detector = detector
        self._max_payload = max_payload_bytes
        self._rollup_window = rollup_window
        self._repeat_every = repeat_every

    async def _observations(self, msg: Inbound) -> tuple[Device, list[Observation]]:
        if len(msg.payload) > self._max_payload:
            raise Rejected(
                "too_large", f"{len(msg.payload)} bytes; the limit is {self._max_payload}"
            )
        where = route(msg.topic)
        if where is None:
            raise Rejected("unknown_topic", msg.topic[:200])
        device = await self._cache.find(where.format, where.device_id, where.source_topic)
        if device is None:
            raise Rejected("unknown_device", where.device_id or where.source_topic)
        return device, adapter_for(where.format).parse(where, msg.payload, device, msg.received_at)

    async def _decode(self, batch: list[Inbound]) -> _Decoded:
        out = _Decoded()
        for msg in batch:
            try:
                device, observations = await self._observations(msg)
            except Rejected as exc:
                out.letters.append(DeadLetter(msg.received_at, msg.topic, exc.reason, exc.detail,
                                              msg.payload[:_KEEP_BYTES], len(msg.payload)))  # fmt: skip
                continue
            out.devices[device.device_id] = device
            for obs in observations:
                if isinstance(obs, Reading):
                    out.rows += [
                        (obs.time, obs.device_id, name, value)
                        for name, value in obs.metrics.items()
                    ]
                    out.touch(obs.device_id, obs.time, dict(obs.metrics), True)
                    out.signals += self._detector.observe(device, obs)
                elif isinstance(obs, AlertSignal):
                    out.touch(obs.device_id, obs.time, {}, True)
                    out.signals.append(obs)
                elif isinstance(obs, StatusSignal):
                    out.touch(obs.device_id, obs.time, {}, obs.online)
                    if not obs.online:
                        out.signals.append(AlertSignal(obs.device_id, obs.time, AlertType.DEVICE_OFFLINE, True,
                                                       detail="the device says it is offline"))  # fmt: skip
        return out

    async def handle(self, batch: list[Inbound]) -> BatchResult:
        """Store a batch in one transaction; raises (and forgets detector state for the batch's
        devices, so a redelivery detects again) when it cannot commit."""
        await self._cache.refresh_if_stale()
        decoded = await self._decode(batch)
        result = BatchResult(
            received=len(batch), rejected=Counter(d.reason for d in decoded.letters)
        )
        started = time.perf_counter()
        try:
            async with self._pool.connection() as conn:
                store = IngestStore(conn)
                await store.prepare_session()
                async with conn.transaction():
                    await self._store(store, decoded, result)
        except Exception:
            for device_id in decoded.devices:
                self._detector.forget(device_id)
            metrics.STORE_FAILURES.inc()
            raise
        self._count(batch, result, time.perf_counter() - started)
        return result

    async def _store(self, store: IngestStore, decoded: _Decoded, result: BatchResult) -> None:
        result.rows_stored, back = await store.store_readings(
            decoded.rows, decoded.touches.values()
        )
        now = datetime.now(UTC)
        for device_id in back:
            decoded.signals.append(AlertSignal(device_id, now, AlertType.DEVICE_OFFLINE, False,
                                               detail="heard from again"))  # fmt: skip
        fresh = await store.new_signals(decoded.signals)
        await self.apply_signals(store, fresh, decoded.devices, result)
        await store.dead_letters(decoded.letters)

    async def apply_signals(
        self,
        store: IngestStore,
        signals: list[AlertSignal],
        devices: dict[str, Device],
        result: BatchResult,
    ) -> None:
        """Fold new signals into incidents; a new incident queues its ticket."""
        placed: list[tuple[AlertSignal, Device]] = []
        for signal in sorted(signals, key=lambda s: s.time):
            device = devices.get(signal.device_id) or await self._cache.find_by_id(signal.device_id)
            if device is not None:
                placed.append((signal, device))
        # The places this transaction decides about, locked in one order for all: the
        # telemetry loop, the urgent loop and the watchdog commit side by side.
        for place in sorted({(d.site, d.building, d.floor, s.alert_type) for s, d in placed}):
            await store.lock_place(*place)
        for signal, device in placed:
            mine = await store.incident_of(device.device_id, signal.alert_type)
            on_floor = None
            if mine is None and signal.active:
                on_floor = await store.incident_on_floor(
                    device.site, device.building, device.floor, signal.alert_type
                )
            outcome = apply_signal(signal, device, mine, on_floor,
                                   rollup_window=self._rollup_window, repeat_every=self._repeat_every)  # fmt: skip
            metrics.ALERTS.labels(
                signal.alert_type.value, "raised" if signal.active else "cleared"
            ).inc()
            result.signals += 1
            if outcome.incident is None:
                continue
            await store.save_incident(outcome.incident, outcome.opened)
            if outcome.note is not None:
                await store.enqueue_note(outcome.incident, outcome.note)
            if signal.active:
                result.opened += outcome.opened
                result.folded += not outcome.opened
                metrics.INCIDENTS.labels("opened" if outcome.opened else "folded").inc()

    @staticmethod
    def _count(batch: list[Inbound], result: BatchResult, seconds: float) -> None:
        metrics.RECEIVED.inc(result.received)
        metrics.STORED_ROWS.inc(result.rows_stored)
        for reason, count in result.rejected.items():
            metrics.REJECTED.labels(reason).inc(count)
        metrics.BATCH_SIZE.observe(len(batch))
        metrics.COMMIT_SECONDS.observe(seconds)
        now = time.monotonic()
        metrics.INGEST_LAG.observe(max(0.0, now - batch[0].arrived))
        if result.rejected:
            log.warning(
                "dead-lettered %d message(s): %s", result.rejected.total(), dict(result.rejected)
            )
