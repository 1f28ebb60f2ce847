"""The wake-or-poll loop shared by the services' background workers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import pytest

from services.common.worker import Worker

#: Long enough that a test never sees a poll: a run within it came from work, a wake or `due_in`.
NEVER = 60.0


class Job:
    """A job that records its runs; `then` runs inside each (its result is the job's)."""

    def __init__(self, then: Callable[[int], object] = lambda n: None) -> None:
        self.runs: asyncio.Queue[int] = asyncio.Queue()
        self._then = then
        self._count = 0

    async def __call__(self) -> object:
        self._count += 1
        self.runs.put_nowait(self._count)
        return self._then(self._count)

    async def ran(self) -> None:
        await asyncio.wait_for(self.runs.get(), 1.0)

    async def idle(self, for_s: float = 0.1) -> bool:
        """No run within `for_s`."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.runs.get(), for_s)
            return False
        return True


def fail(_: int) -> None:
    raise RuntimeError("boom")


@asynccontextmanager
async def running(loop: Coroutine[Any, Any, None]) -> AsyncIterator[None]:
    task = asyncio.create_task(loop)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_work_done_runs_again_at_once_until_there_is_none() -> None:
    job = Job(lambda n: {1: 3, 2: 1}.get(n, 0))
    async with running(Worker().run_forever(job, NEVER, "job")):
        for _ in range(3):
            await job.ran()
        assert await job.idle()


async def test_it_polls_every_s_without_a_wake() -> None:
    job = Job()
    async with running(Worker().run_forever(job, 0.02, "job")):
        for _ in range(3):
            await job.ran()


async def test_a_wake_cuts_the_wait_short() -> None:
    worker, job = Worker(), Job()
    async with running(worker.run_forever(job, NEVER, "job")):
        await job.ran()
        assert await job.idle(0.05)
        worker.wake()
        await job.ran()


async def test_a_wake_while_working_is_not_lost() -> None:
    worker = Worker()
    job = Job(lambda n: worker.wake() if n == 1 else None)  # queued while the run was busy
    async with running(worker.run_forever(job, NEVER, "job")):
        await job.ran()
        await job.ran()
        assert await job.idle()


async def test_it_stops_when_cancelled_even_with_a_wake_up_pending() -> None:
    """With `asyncio.wait_for` as the wait, most of these trials lose the cancel on 3.11."""
    for trial in range(20):
        worker = Worker()

        async def always_more(worker: Worker = worker) -> None:
            await asyncio.sleep(0)
            worker.wake()

        task = asyncio.create_task(worker.run_forever(always_more, NEVER, "busy job"))
        await asyncio.sleep(0.001 * (trial % 4))
        task.cancel()
        await asyncio.wait({task}, timeout=1.0)
        assert task.cancelled(), f"trial {trial}: the loop outlived its cancellation"


@pytest.mark.parametrize(("due", "again"), [(0.01, True), (None, False), (2 * NEVER, False)])
async def test_due_in_shortens_the_wait_but_never_lengthens_it(
    due: float | None, again: bool
) -> None:
    async def due_in() -> float | None:
        return due

    job = Job()
    async with running(Worker().run_forever(job, NEVER, "job", due_in=due_in)):
        await job.ran()
        assert await job.idle() is not again


async def test_a_failure_is_logged_and_tried_again_after_every_s(
    caplog: pytest.LogCaptureFixture,
) -> None:
    job = Job(fail)
    with caplog.at_level(logging.ERROR, "services.common.worker"):
        async with running(Worker().run_forever(job, 0.02, "flaky job")):
            await job.ran()
            await job.ran()
    assert "flaky job failed; will try again" in caplog.messages


async def test_a_failing_due_in_counts_as_a_failure(caplog: pytest.LogCaptureFixture) -> None:
    async def due_in() -> float | None:
        raise RuntimeError("database away")

    job = Job()
    with caplog.at_level(logging.ERROR, "services.common.worker"):
        async with running(Worker().run_forever(job, 0.02, "job", due_in=due_in)):
            await job.ran()
            await job.ran()
    assert "job failed; will try again" in caplog.messages


@pytest.mark.parametrize("wake_after_failure", [True, False])
async def test_a_wake_cuts_the_pause_after_a_failure_short_unless_told_not_to(
    wake_after_failure: bool, caplog: pytest.LogCaptureFixture
) -> None:
    worker, job = Worker(), Job(fail)
    loop = worker.run_forever(job, NEVER, "job", wake_after_failure=wake_after_failure)
    with caplog.at_level(logging.CRITICAL, "services.common.worker"):
        async with running(loop):
            await job.ran()
            await asyncio.sleep(0.01)  # the loop is in its pause now
            worker.wake()
            assert await job.idle() is not wake_after_failure
