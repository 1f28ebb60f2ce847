"""`/healthz`, `/readyz` and `/metrics` for operators."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.gateway.entrypoint.problems import problem

__all__ = ["router"]

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The gateway and the services it needs can take requests")
async def readyz(request: Request) -> Response:
    missing = await request.app.state.backends.not_ready()
    if not missing:
        return Response('{"status":"ready"}', media_type="application/json")
    return problem(503, f"not serving: {', '.join(missing)}", not_serving=missing)


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics), media_type=CONTENT_TYPE_LATEST)
