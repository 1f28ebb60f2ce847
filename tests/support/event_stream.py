"""Reading intake's event stream handler in tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

from services.intake.adapters.event_log import LoggedEvent
from services.intake.handlers.event_stream import Heartbeat

__all__ = ["logged"]


async def logged(stream: AsyncIterator[LoggedEvent | Heartbeat]) -> list[LoggedEvent]:
    """Every event of a replay (a stream that does not follow, so it never beats)."""
    events = []
    async for item in stream:
        assert isinstance(item, LoggedEvent), f"a replay sent {item}"
        events.append(item)
    return events
