"""Ingest one batch of MQTT messages: decode, detect, store, and turn alerts into incidents,
in one transaction when nothing goes wrong. The caller acknowledges the messages only after
`Ingest.handle` returns, which it does once every message is stored or dead-lettered."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg_pool import AsyncConnectionPool

from services.ingestor import metrics
from services.ingestor.adapters.store import DeadLetter, DeviceTouch, IngestStore
from services.ingestor.domain.detection import Detector
from services.ingestor.domain.incidents import apply_signal
from services.ingestor.domain.model import (
    AlertSignal,
    AlertType,
    ClockState,
    Device,
    Inbound,
    Reading,
    Rejected,
    StatusSignal,
)
from services.ingestor.formats import adapter_for, route
from services.ingestor.formats.base import Parsed
from services.ingestor.handlers.registry import DeviceCache

__all__ = ["BatchResult", "Ingest"]

log = logging.getLogger(__name__)

_KEEP_BYTES = 2048
#: SQLSTATE classes that blame the data: data exception, integrity violation, limit exceeded.
_CONTENT_ERROR_CLASSES = frozenset({"22", "23", "54"})
Clock = tuple[ClockState | None, float | None]


@dataclass(slots=True)
class BatchResult:
    received: int = 0
    rows_stored: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    signals: int = 0
    opened: int = 0
    folded: int = 0

    def add(self, other: BatchResult) -> None:
        """Count a committed part of the batch in this result."""
        self.rows_stored += other.rows_stored
        self.rejected.update(other.rejected)
        self.signals += other.signals
        self.opened += other.opened
        self.folded += other.folded


@dataclass(slots=True)
class _Decoded:
    rows: list[tuple[datetime, str, str, float]] = field(default_factory=list)
    touches: dict[str, DeviceTouch] = field(default_factory=dict)
    signals: list[AlertSignal] = field(default_factory=list)
    letters: list[DeadLetter] = field(default_factory=list)
    devices: dict[str, Device] = field(default_factory=dict)

    def touch(
        self, device_id: str, when: datetime, values: dict[str, float], online: bool,
        clock: Clock = (None, None),
    ) -> None:  # fmt: skip
        old = self.touches.get(device_id)
        if old is not None and old.last_seen_at > when:
            values, when, online = {**values, **old.last_values}, old.last_seen_at, old.online
            clock = (old.clock, old.clock_offset_s) if old.clock is not None else clock
        elif old is not None:
            values = {**old.last_values, **values}
            clock = clock if clock[0] is not None else (old.clock, old.clock_offset_s)
        self.touches[device_id] = DeviceTouch(device_id, when, values, online, *clock)


def _letter(msg: Inbound, reason: str, detail: str, keep: int = _KEEP_BYTES) -> DeadLetter:
    return DeadLetter(msg.received_at, msg.topic, reason, detail, msg.payload[:keep],
                      len(msg.payload))  # fmt: skip


def _refused(exc: Exception) -> bool:
    """Whether a failure to store comes from the batch's own content (then the batch is split
    to find the message at fault) rather than from the database being away or busy (then
    the same batch is tried again): PostgreSQL's data exceptions, integrity violations and
    limits exceeded, and any error raised on our side while encoding the batch."""
    if isinstance(exc, psycopg.Error):
        return (exc.sqlstate or "")[:2] in _CONTENT_ERROR_CLASSES
    return not isinstance(exc, OSError | TimeoutError)


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
        retry_max_s: float = 5.0,
    ) -> None:
        self._pool = pool
        self._cache = cache
        self._detector = detector
        self._max_payload = max_payload_bytes
        self._rollup_window = rollup_window
        self._repeat_every = repeat_every
        self._retry_max_s = retry_max_s

    async def _observations(self, msg: Inbound) -> tuple[Device, Parsed]:
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
        try:
            parsed = adapter_for(where.format).parse(where, msg.payload, device, msg.received_at)
        except Rejected:
            raise
        except Exception as exc:  # a reader's own fault: this message is lost, no other
            log.exception(
                "the %s reader failed on a message from %s", where.format, device.device_id
            )
            raise Rejected("reader_error", f"{type(exc).__name__}: {exc}"[:200]) from None
        for skipped in parsed.skipped:
            metrics.FIELDS_SKIPPED.labels(device.format.value, skipped.reason).inc()
        if parsed.clock is not None and parsed.clock is not ClockState.OK:
            metrics.CLOCK_REPLACED.labels(device.format.value, parsed.clock.value).inc()
        return device, parsed

    async def _decode(self, batch: list[Inbound]) -> _Decoded:
        out = _Decoded()
        for msg in batch:
            try:
                device, parsed = await self._observations(msg)
            except Rejected as exc:
                out.letters.append(_letter(msg, exc.reason, exc.detail))
                continue
            out.devices[device.device_id] = device
            clock = (parsed.clock, parsed.clock_offset_s)
            for obs in parsed.observations:
                if isinstance(obs, Reading):
                    out.rows += [
                        (obs.time, obs.device_id, name, value)
                        for name, value in obs.metrics.items()
                    ]
                    out.touch(obs.device_id, obs.time, dict(obs.metrics), True, clock)
                    out.signals += self._detector.observe(device, obs)
                elif isinstance(obs, AlertSignal):
                    out.touch(obs.device_id, obs.time, {}, True, clock)
                    out.signals.append(obs)
                elif isinstance(obs, StatusSignal):
                    out.touch(obs.device_id, obs.time, {}, obs.online, clock)
                    if not obs.online:
                        out.signals.append(AlertSignal(obs.device_id, obs.time, AlertType.DEVICE_OFFLINE, True,
                                                       detail="the device says it is offline"))  # fmt: skip
        return out

    async def handle(self, batch: list[Inbound]) -> BatchResult:
        """Store every message of the batch, or dead-letter it with its reason, and return
        what was done. Never fails because of what a message says: a message the database
        refuses is found by splitting the batch, dead-lettered, and the rest is committed.
        While the database itself is away it waits and tries again (with backoff), so when
        this returns every message is accounted for and may be acknowledged."""
        result = BatchResult(received=len(batch))
        started = time.perf_counter()
        await self._commit_part(batch, result)
        self._count(batch, result, time.perf_counter() - started)
        return result

    async def _commit_part(self, part: list[Inbound], result: BatchResult) -> None:
        refused = await self._attempt(lambda: self._decoded(part), result, len(part))
        if refused is None:
            return
        if len(part) > 1:
            half = len(part) // 2
            await self._commit_part(part[:half], result)
            await self._commit_part(part[half:], result)
            return
        msg = part[0]
        log.error("a message on %r was refused by the database (%s); dead-lettered",
                  msg.topic[:200], str(refused)[:200])  # fmt: skip
        letter = _letter(msg, "unstorable", _describe(refused), keep=self._max_payload)

        async def alone() -> _Decoded:
            return _Decoded(letters=[letter])

        if await self._attempt(alone, result, 1) is not None:  # a cleaned letter cannot be
            log.error("the dead letter was refused too; the message is dropped")

    async def _attempt(
        self, decode: Callable[[], Awaitable[_Decoded]], result: BatchResult, size: int
    ) -> Exception | None:
        """Commit what `decode` gives, waiting out (with backoff) a database that is away;
        None once committed, or the failure when the content itself was refused."""
        delay = 0.1
        while True:
            try:
                result.add(await self._commit(await decode()))
                return None
            except Exception as exc:
                metrics.STORE_FAILURES.inc()
                if _refused(exc):
                    return exc
                log.warning("batch of %d not stored (%s); retrying in %.1fs", size, exc, delay)
                await asyncio.sleep(delay)
                delay = min(self._retry_max_s, delay * 2)

    async def _decoded(self, part: list[Inbound]) -> _Decoded:
        await self._cache.refresh_if_stale()
        return await self._decode(part)

    async def _commit(self, decoded: _Decoded) -> BatchResult:
        """Store one decoded part in one transaction; on failure forget the detector's state
        for its devices (so that the next attempt detects again) and raise."""
        result = BatchResult(rejected=Counter(d.reason for d in decoded.letters))
        try:
            async with self._pool.connection() as conn:
                store = IngestStore(conn)
                await store.prepare_session()
                async with conn.transaction():
                    await self._store(store, decoded, result)
        except Exception:
            for device_id in decoded.devices:
                self._detector.forget(device_id)
            raise
        metrics.COMMITS.committed()
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


def _describe(exc: Exception) -> str:
    """What the database (or the encoder) said about a refused message."""
    if isinstance(exc, psycopg.Error) and exc.sqlstate:
        return f"{exc.sqlstate}: {exc}"[:500]
    return f"{type(exc).__name__}: {exc}"[:500]
