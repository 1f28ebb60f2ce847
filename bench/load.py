"""A fixed-count HTTP load with N concurrent clients, reporting rate and latency percentiles."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

__all__ = ["LoadResult", "post_load"]


@dataclass(frozen=True, slots=True)
class LoadResult:
    count: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def per_s(self) -> float:
        return self.count / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]

    def line(self, label: str) -> str:
        return (
            f"{label:<22} {self.count:>6} requests in {self.seconds:6.2f}s = {self.per_s:8.1f}/s"
            f"  p50 {self.pct(50):6.1f} ms  p99 {self.pct(99):6.1f} ms"
            f"  mean {statistics.fmean(self.latencies_ms):6.1f} ms  errors {self.errors}"
        )


async def _run(
    url: str,
    body: Callable[[int], dict[str, Any]],
    headers: dict[str, str],
    count: int,
    concurrency: int,
    expect: int,
) -> LoadResult:
    latencies: list[float] = []
    errors = 0
    next_index = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def worker() -> None:
            nonlocal next_index, errors
            while next_index < count:
                index = next_index
                next_index += 1
                start = time.perf_counter()
                async with session.post(url, json=body(index)) as reply:
                    await reply.read()
                    if reply.status != expect:
                        errors += 1
                latencies.append((time.perf_counter() - start) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return LoadResult(count, errors, seconds, latencies)


def post_load(
    url: str,
    body: Callable[[int], dict[str, Any]],
    *,
    headers: dict[str, str] | None = None,
    count: int,
    concurrency: int,
    expect: int = 201,
) -> LoadResult:
    """POST `count` bodies to `url` from `concurrency` clients at once."""
    return asyncio.run(_run(url, body, headers or {}, count, concurrency, expect))
