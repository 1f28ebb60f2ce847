"""ETags on GET /v1 JSON answers: a repeated poll of an unchanged list is a 304 with no body."""

from __future__ import annotations

import httpx
from fastapi import FastAPI, HTTPException
from fastapi.responses import PlainTextResponse

from services.gateway.entrypoint.etag import ETagMiddleware


def _app() -> tuple[FastAPI, list[str]]:
    items = ["a"]
    app = FastAPI()

    @app.get("/v1/items")
    async def listed() -> dict[str, list[str]]:
        return {"items": items}

    @app.post("/v1/items")
    async def added() -> dict[str, list[str]]:
        items.append("b")
        return {"items": items}

    @app.get("/v1/missing")
    async def missing() -> None:
        raise HTTPException(404, "no")

    @app.get("/v1/text", response_class=PlainTextResponse)
    async def text() -> str:
        return "plain"

    app.add_middleware(ETagMiddleware)
    return app, items


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_an_unchanged_answer_is_not_sent_again() -> None:
    app, _ = _app()
    async with _client(app) as client:
        first = await client.get("/v1/items")
        again = await client.get("/v1/items", headers={"If-None-Match": first.headers["etag"]})
        posted = await client.post("/v1/items", headers={"If-None-Match": first.headers["etag"]})
        changed = await client.get("/v1/items", headers={"If-None-Match": first.headers["etag"]})
    assert first.status_code == 200
    assert first.json() == {"items": ["a"]}
    assert first.headers["cache-control"] == "private, no-cache"
    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["etag"] == first.headers["etag"]
    assert "etag" not in posted.headers
    assert changed.status_code == 200
    assert changed.json() == {"items": ["a", "b"]}
    assert changed.headers["etag"] != first.headers["etag"]


async def test_errors_and_other_answers_carry_no_etag() -> None:
    app, _ = _app()
    async with _client(app) as client:
        missing = await client.get("/v1/missing")
        text = await client.get("/v1/text")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "no"
    assert "etag" not in missing.headers
    assert text.text == "plain"
    assert "etag" not in text.headers
