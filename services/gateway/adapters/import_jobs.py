"""Imports too large to answer at once run as jobs in the gateway process that took them;
their state is kept in memory (the most recent `keep` jobs), so a job is polled on the same
gateway and is gone after a restart (its import, all or nothing, either committed or not)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import grpc

from services.importer.pipeline import Result
from services.importer.reader import ReadError

__all__ = ["ImportJob", "ImportJobs"]

log = logging.getLogger(__name__)

Runner = Callable[[Callable[[int], None]], Awaitable[Result]]


@dataclass(slots=True)
class ImportJob:
    """One import running or done: rows sent so far, and how it ended."""

    job_id: str
    kind: str
    started_at: datetime
    status: Literal["running", "done", "failed"] = "running"
    rows_sent: int = 0
    finished_at: datetime | None = None
    result: Result | None = None
    error: str = ""
    task: asyncio.Task[None] | None = field(default=None, repr=False)


class ImportJobs:
    """Starts imports in the background, `at_once` at a time, and remembers the last `keep`."""

    def __init__(self, keep: int = 100, at_once: int = 2) -> None:
        self._jobs: OrderedDict[str, ImportJob] = OrderedDict()
        self._keep = keep
        self._slots = asyncio.Semaphore(at_once)

    def start(self, kind: str, run: Runner) -> ImportJob:
        """Start `run` (given a progress callback) as a job; returns it at once."""
        job = ImportJob(uuid.uuid4().hex, kind, datetime.now(UTC))
        job.task = asyncio.create_task(self._run(job, run), name=f"import-{job.job_id}")
        self._jobs[job.job_id] = job
        while len(self._jobs) > self._keep:
            oldest = next(iter(self._jobs.values()))
            if oldest.status == "running":
                break
            self._jobs.popitem(last=False)
        return job

    def get(self, job_id: str) -> ImportJob | None:
        return self._jobs.get(job_id)

    async def _run(self, job: ImportJob, run: Runner) -> None:
        def progress(rows: int) -> None:
            job.rows_sent += rows

        try:
            async with self._slots:
                job.result = await run(progress)
            job.status = "done"
        except ReadError as exc:
            job.status, job.error = "failed", f"the file cannot be read: {exc}"
        except grpc.aio.AioRpcError as exc:
            job.status, job.error = "failed", f"{exc.code().name}: {exc.details()}"
        except Exception as exc:
            log.exception("import job %s failed", job.job_id)
            job.status, job.error = "failed", f"internal error: {type(exc).__name__}"
        finally:
            job.finished_at = datetime.now(UTC)

    async def close(self) -> None:
        """Cancel the jobs still running (their transactions roll back)."""
        running = [j.task for j in self._jobs.values() if j.task and not j.task.done()]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
