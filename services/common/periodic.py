"""Background jobs that run forever at an interval and survive their own failures."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["every"]

log = logging.getLogger(__name__)


async def every(seconds: float, job: Callable[[], Awaitable[Any]], name: str) -> None:
    """Run `job`, then wait `seconds`, forever; a failure is logged and the next run goes on."""
    while True:
        try:
            await job()
        except Exception:
            log.exception("%s failed; will try again", name)
        await asyncio.sleep(seconds)
