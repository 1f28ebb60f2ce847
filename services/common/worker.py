"""A background job that runs whenever woken and polls as well: the wake-or-poll loop.

`wake()` is for whoever just queued work (a LISTEN callback, a handler). The wake-up is
cleared before each run, so one that comes while the job runs is not lost: the loop goes
round once more instead of waiting. The wait is `asyncio.timeout`, not `asyncio.wait_for`:
on Python 3.11 the latter swallows a cancellation that comes as the wake-up is set, and
the loop would then outlive its service's shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

__all__ = ["Worker"]

log = logging.getLogger(__name__)


class Worker:
    """Owns one wake-up and runs one job forever on it."""

    def __init__(self) -> None:
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Work was queued: run now rather than at the next poll."""
        self._wake.set()

    async def run_forever(
        self,
        work: Callable[[], Awaitable[object]],
        every_s: float,
        what: str,
        *,
        due_in: Callable[[], Awaitable[float | None]] | None = None,
        wake_after_failure: bool = True,
    ) -> None:
        """Run `work` forever. When it returns something true (it did work; more may be
        due) run it again at once; otherwise wait until woken, at most `every_s`, or less
        when `due_in()` says the next piece of work is due sooner (None: nothing known).

        A failure of `work` or `due_in` is logged as "`what` failed" and followed by a wait
        of `every_s`, which a wake-up cuts short unless `wake_after_failure` is False.
        """
        while True:
            self._wake.clear()
            try:
                if await work():
                    continue
                wait_s = every_s
                if due_in is not None and (due := await due_in()) is not None:
                    wait_s = min(every_s, due)
            except Exception:
                log.exception("%s failed; will try again", what)
                if not wake_after_failure:
                    await asyncio.sleep(every_s)
                    continue
                wait_s = every_s
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait_s):
                    await self._wake.wait()
