"""The leader's cycle runs in a daemon thread that a stopping service does not wait for."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from services.predictor.main import _in_daemon_thread


async def test_the_result_and_the_failure_come_back() -> None:
    assert await _in_daemon_thread(lambda: 42) == 42

    def fail() -> int:
        raise ValueError("no model")

    with pytest.raises(ValueError, match="no model"):
        await _in_daemon_thread(fail)


async def test_cancelling_does_not_wait_for_the_thread() -> None:
    release = threading.Event()
    names: list[str] = []

    def slow() -> None:
        names.append(threading.current_thread().name)
        assert threading.current_thread().daemon
        release.wait(5)

    task = asyncio.create_task(_in_daemon_thread(slow))
    await asyncio.sleep(0.05)
    began = time.perf_counter()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.perf_counter() - began < 0.5 and names == ["predictor-cycle"]
    release.set()
