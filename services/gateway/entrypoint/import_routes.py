"""`/v1/import/{kind}`: a history file as the request body (CSV or .xlsx), for admins. Small
files are imported before the answer; larger ones (over GATEWAY_IMPORT_AT_ONCE_BYTES) answer
202 with a job to poll at `/v1/import/jobs/{job_id}`. The same checks, all-or-nothing rule
and counts as the command line (`python -m services.importer`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.gateway.adapters.import_jobs import ImportJob, ImportJobs
from services.gateway.entrypoint.deps import Caller
from services.gateway.entrypoint.problems import problem
from services.importer.kinds import Targets
from services.importer.pipeline import Result, run_import
from services.importer.reader import ReadError

__all__ = ["router"]

router = APIRouter(prefix="/v1/import", tags=["import"])

KindName = Literal["places", "assets", "devices", "work_orders", "events", "telemetry"]
_SHOWN_PROBLEMS = 1_000


class RowProblemOut(BaseModel):
    line: int
    column: str
    reason: str


class ImportOut(BaseModel):
    """What the import did; with `rejected` and without `skip_bad`, nothing was written."""

    kind: str
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    dry_run: bool
    #: The first 1,000 problems, by line.
    problems: list[RowProblemOut]
    problems_total: int


class JobOut(BaseModel):
    job_id: str
    kind: str
    status: Literal["running", "done", "failed"]
    rows_sent: int
    started_at: datetime
    finished_at: datetime | None
    result: ImportOut | None
    error: str


def _out(result: Result) -> ImportOut:
    return ImportOut(
        kind=result.kind, inserted=result.inserted, updated=result.updated,
        unchanged=result.unchanged, rejected=result.rejected, dry_run=result.dry_run,
        problems=[RowProblemOut(line=p.line, column=p.column, reason=p.reason)
                  for p in result.problems[:_SHOWN_PROBLEMS]],
        problems_total=len(result.problems),
    )  # fmt: skip


def _job_out(job: ImportJob) -> JobOut:
    return JobOut(
        job_id=job.job_id, kind=job.kind, status=job.status, rows_sent=job.rows_sent,
        started_at=job.started_at, finished_at=job.finished_at,
        result=_out(job.result) if job.result else None, error=job.error,
    )  # fmt: skip


@router.post(
    "/{kind}",
    response_model=ImportOut,
    summary="Import a history file (CSV or .xlsx body); large files answer 202 with a job",
    responses={202: {"model": JobOut}, 422: {"model": ImportOut}},
)
async def import_file(
    kind: KindName,
    request: Request,
    caller: Caller,
    site: Annotated[str, Query(max_length=64, description="the site of rows that name none")] = "",
    dry_run: Annotated[bool, Query(description="check and count, write nothing")] = False,
    skip_bad: Annotated[bool, Query(description="write the good rows, report the bad")] = False,
    filename: Annotated[str, Query(max_length=200, description="e.g. orders.xlsx")] = "",
) -> Response:
    caller.require("admin")
    data = await request.body()
    if not data:
        return problem(422, "the request body is empty: send the file as the body")
    settings = request.app.state.import_settings
    targets = Targets(settings.intake_target, settings.ingestor_target, settings.grpc_tls)
    jobs: ImportJobs = request.app.state.import_jobs
    if len(data) > settings.import_at_once_bytes:
        job = jobs.start(kind, lambda progress: run_import(
            kind, data, filename, targets, site=site, dry_run=dry_run, skip_bad=skip_bad,
            progress=progress))  # fmt: skip
        return JSONResponse(_job_out(job).model_dump(mode="json"), status.HTTP_202_ACCEPTED,
                            headers={"Location": f"/v1/import/jobs/{job.job_id}"})  # fmt: skip
    try:
        result = await run_import(kind, data, filename, targets, site=site, dry_run=dry_run,
                                  skip_bad=skip_bad)  # fmt: skip
    except ReadError as exc:
        return problem(422, f"the file cannot be read: {exc}")
    code = 422 if result.rejected and not skip_bad else 200
    return JSONResponse(_out(result).model_dump(mode="json"), code)


@router.get("/jobs/{job_id}", response_model=JobOut, summary="An import job's progress or end")
async def import_job(
    job_id: Annotated[str, Path(max_length=64)], request: Request, caller: Caller
) -> JobOut | Response:
    caller.require("admin")
    job = request.app.state.import_jobs.get(job_id)
    if job is None:
        return problem(404, f"no import job {job_id!r} on this gateway (jobs live in memory)")
    return _job_out(job)
