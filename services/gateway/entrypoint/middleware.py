"""One pure-ASGI middleware for every request: request id, body size limit, metrics."""

from __future__ import annotations

import time
import uuid
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.logs import request_id_var
from services.gateway.entrypoint.problems import BodyTooLarge

__all__ = ["EdgeMiddleware"]

_REQUESTS = Counter("http_requests_total", "HTTP requests answered", ["method", "route", "status"])
_LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


class EdgeMiddleware:
    """Tags each request with an id (X-Request-ID in and out), refuses oversized bodies with
    413, and records count and latency per route template."""

    def __init__(
        self, app: ASGIApp, max_body_bytes: int, max_upload_bytes: int, max_import_bytes: int
    ) -> None:
        self.app = app
        self.max_body = max_body_bytes
        # multipart framing around the file itself
        self.max_upload = max_upload_bytes + 64 * 1024
        self.max_import = max_import_bytes

    def _limit(self, scope: Scope) -> int:
        if str(scope.get("path", "")).startswith("/v1/import/"):
            return self.max_import
        content_type = dict(scope["headers"]).get(b"content-type", b"")
        return self.max_upload if content_type.startswith(b"multipart/") else self.max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        request_id = (
            headers.get(b"x-request-id", b"").decode("latin-1")[:64] or uuid.uuid4().hex[:16]
        )
        token = request_id_var.set(request_id)
        limit = self._limit(scope)
        declared = headers.get(b"content-length")
        seen = 0
        status_code = 500

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tagged_send(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        start = time.perf_counter()
        try:
            if declared is not None and declared.isdigit() and int(declared) > limit:
                await _too_large(tagged_send, limit)
            else:
                await self.app(scope, limited_receive, tagged_send)
        finally:
            route: Any = scope.get("route")
            template = getattr(route, "path", "unmatched")
            _LATENCY.labels(scope["method"], template).observe(time.perf_counter() - start)
            _REQUESTS.labels(scope["method"], template, str(status_code)).inc()
            request_id_var.reset(token)


async def _too_large(send: Send, limit: int) -> None:
    body = (
        b'{"type":"about:blank","status":413,"title":"Payload too large","detail":"the request body is'
        b" larger than " + str(limit).encode() + b' bytes"}'
    )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
