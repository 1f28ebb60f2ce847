"""ETags on the API's JSON answers, so that a screen polling a list downloads it again only
when it changed."""

from __future__ import annotations

import hashlib

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ETagMiddleware"]


class ETagMiddleware:
    """Gives every 200 JSON answer to a `GET /v1/...` an ETag (a hash of the body) and
    `Cache-Control: private, no-cache`, and answers 304 with no body when the request's
    If-None-Match names the same body. The answer is still computed: this saves the
    network (a phone on a slow link polling its tickets), not the server's work."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not scope["path"].startswith("/v1/")
        ):
            await self.app(scope, receive, send)
            return
        asked = Headers(scope=scope).get("if-none-match", "")
        start: Message = {}
        body: list[bytes] = []

        async def tagged(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                kind = Headers(raw=message["headers"]).get("content-type", "")
                if message["status"] != 200 or not kind.startswith("application/json"):
                    await send(message)
                    return
                start = message
                return
            if not start:
                await send(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body"):
                return
            await _finish(send, start, b"".join(body), asked)

        await self.app(scope, receive, tagged)


async def _finish(send: Send, start: Message, content: bytes, asked: str) -> None:
    tag = f'"{hashlib.sha256(content).hexdigest()[:32]}"'
    headers = MutableHeaders(raw=start["headers"])
    headers["ETag"] = tag
    headers["Cache-Control"] = "private, no-cache"
    if tag in (t.strip().removeprefix("W/") for t in asked.split(",")):
        del headers["content-length"]
        del headers["content-type"]
        await send({**start, "status": 304, "headers": headers.raw})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({**start, "headers": headers.raw})
    await send({"type": "http.response.body", "body": content})
