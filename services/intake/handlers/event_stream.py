"""Hand out the event log to the services that follow it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from services.intake.adapters.event_log import LoggedEvent, parse_cursor, read_after
from services.intake.domain.errors import InvalidInput
from services.intake.handlers.base import HandlersBase

__all__ = ["StreamHandlers"]


class StreamHandlers(HandlersBase):
    """Streams the event log from a cursor."""

    async def stream_events(
        self, after_cursor: str, follow: bool, include_imported: bool = False, batch: int = 500
    ) -> AsyncIterator[LoggedEvent]:
        """Replay the event log after `after_cursor`; with `follow`, keep waiting for new
        events. Imported history is passed over unless `include_imported`."""
        try:
            parse_cursor(after_cursor)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from exc
        cursor = after_cursor
        while True:
            async with self._pool.connection() as conn:
                events = await read_after(conn, cursor, batch)
            for event in events:
                if include_imported or not event.imported:
                    yield event
                cursor = event.cursor
            if len(events) < batch:
                if not follow:
                    return
                await asyncio.sleep(self._stream_poll_s)
