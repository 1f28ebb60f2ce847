"""Hand out the event log to the services that follow it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from services.intake import metrics
from services.intake.adapters.event_log import (
    LoggedEvent,
    horizon_age_s,
    parse_cursor,
    read_after,
)
from services.intake.domain.errors import InvalidInput
from services.intake.handlers.base import HandlersBase

__all__ = ["Heartbeat", "StreamHandlers"]

#: A followed stream that has sent nothing for this long sends a heartbeat.
HEARTBEAT_S = 5.0


@dataclass(frozen=True)
class Heartbeat:
    """Sent on a followed stream that has been quiet for a while (waiting at the head of
    the log, or passing over imported history): it is alive, and has read up to `cursor`."""

    cursor: str


class StreamHandlers(HandlersBase):
    """Streams the event log from a cursor, and measures what holds its readers back."""

    async def measure_held_back(self) -> float:
        """How long readers have been held back by the oldest writing transaction on the
        server (also set in intake_event_log_held_back_seconds)."""
        async with self._pool.connection() as conn:
            age = await horizon_age_s(conn)
        metrics.HELD_BACK.set(age)
        return age

    async def stream_events(
        self, after_cursor: str, follow: bool, include_imported: bool = False, batch: int = 500,
        heartbeat_s: float = HEARTBEAT_S,
    ) -> AsyncIterator[LoggedEvent | Heartbeat]:  # fmt: skip
        """Replay the event log after `after_cursor`; with `follow`, keep waiting for new
        events, and send a heartbeat after `heartbeat_s` without one. Imported history is
        passed over unless `include_imported`."""
        try:
            parse_cursor(after_cursor)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from exc
        cursor = after_cursor
        sent_at = time.monotonic()
        while True:
            async with self._pool.connection() as conn:
                events = await read_after(conn, cursor, batch)
            for event in events:
                if include_imported or not event.imported:
                    yield event
                    sent_at = time.monotonic()
                cursor = event.cursor
            if len(events) < batch and not follow:
                return
            if follow and time.monotonic() - sent_at >= heartbeat_s:
                yield Heartbeat(cursor)
                sent_at = time.monotonic()
            if len(events) < batch:
                await asyncio.sleep(self._stream_poll_s)
