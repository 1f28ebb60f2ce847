"""`/app/`: the web application's files (`web/app`), and the browser library npm installed
for it (ECharts, `/app/vendor/echarts/`), gzip-compressed. The app calls the same public
`/v1` API as everyone else; nothing here reads or writes data."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from starlette.middleware.gzip import GZipMiddleware
from starlette.staticfiles import StaticFiles

__all__ = ["mount_web"]

log = logging.getLogger(__name__)


def mount_web(app: FastAPI, web_dir: Path) -> None:
    """Serve `web_dir`/app at /app/ and redirect / there; without that folder, log why not."""
    pages = web_dir / "app"
    if not pages.is_dir():
        log.warning("no web application at %s: /app/ is not served", pages)
        return
    charts = web_dir / "node_modules" / "echarts" / "dist"
    if not charts.is_dir():
        log.warning("ECharts is not installed (cd web && npm ci): the planner's charts are missing")
    app.mount(
        "/app/vendor/echarts",
        GZipMiddleware(StaticFiles(directory=charts, check_dir=False)),
        name="echarts",
    )
    app.mount("/app", GZipMiddleware(StaticFiles(directory=pages, html=True)), name="web")

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/app/")
