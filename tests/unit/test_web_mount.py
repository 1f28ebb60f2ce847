"""The gateway serves the web application's files at /app/, compressed, and nothing when
they are missing."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.gateway.entrypoint.web_app import mount_web

PAGE = "<!doctype html><title>app</title>" + "<p>物业报修</p>" * 200


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.fixture
def web_dir(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "index.html").write_text(PAGE, encoding="utf-8")
    charts = tmp_path / "node_modules" / "echarts" / "dist"
    charts.mkdir(parents=True)
    (charts / "echarts.min.js").write_text("var echarts = {};" * 100)
    return tmp_path


async def test_the_app_and_its_chart_library_are_served_compressed(web_dir: Path) -> None:
    app = FastAPI()
    mount_web(app, web_dir)
    async with _client(app) as client:
        page = await client.get("/app/", headers={"Accept-Encoding": "gzip"})
        charts = await client.get("/app/vendor/echarts/echarts.min.js")
        home = await client.get("/")
    assert page.status_code == 200
    assert page.headers["content-encoding"] == "gzip"
    assert page.text == PAGE
    assert charts.status_code == 200
    assert charts.text.startswith("var echarts")
    assert (home.status_code, home.headers["location"]) == (307, "/app/")


async def test_without_the_app_folder_nothing_is_served(tmp_path: Path) -> None:
    app = FastAPI()
    mount_web(app, tmp_path)
    async with _client(app) as client:
        assert (await client.get("/app/")).status_code == 404
