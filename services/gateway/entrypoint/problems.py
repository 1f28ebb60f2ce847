"""Every error leaves as `application/problem+json` with `status`, `title` and `detail`.

This is the one place where gRPC status codes become HTTP statuses.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import grpc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

__all__ = ["GRPC_TO_HTTP", "BodyTooLarge", "install_problem_handlers", "problem"]

log = logging.getLogger(__name__)

GRPC_TO_HTTP: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.INVALID_ARGUMENT: 422,
    grpc.StatusCode.OUT_OF_RANGE: 422,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}

_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Invalid request",
    429: "Too many requests",
    500: "Internal error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


class BodyTooLarge(Exception):
    """A request body passed the configured limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than {limit} bytes")


def problem(
    status: int, detail: str, headers: Mapping[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """An RFC 9457 problem response."""
    body = {
        "type": "about:blank",
        "status": status,
        "title": _TITLES.get(status, "Error"),
        "detail": detail,
    }
    return JSONResponse(
        {**body, **extra},
        status_code=status,
        headers=headers,
        media_type="application/problem+json",
    )


def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


async def _on_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "loc": _location(tuple(e.get("loc", ()))),
            "msg": e.get("msg", ""),
            "type": e.get("type", ""),
        }
        for e in exc.errors()
    ]
    detail = "; ".join(f"{e['loc']}: {e['msg']}" for e in errors[:5]) or "invalid request"
    return problem(422, detail, errors=errors)


async def _on_http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return problem(exc.status_code, str(exc.detail), headers=exc.headers)


async def _on_grpc(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, grpc.aio.AioRpcError)
    status = GRPC_TO_HTTP.get(exc.code(), 502)
    if status >= 500:
        log.warning(
            "%s %s: upstream %s %s",
            request.method,
            request.url.path,
            exc.code().name,
            exc.details(),
        )
        detail = "a backing service is unavailable; try again shortly"
    else:
        detail = exc.details() or exc.code().name.lower()
    return problem(status, detail)


async def _on_too_large(_: Request, exc: Exception) -> JSONResponse:
    return problem(413, str(exc))


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "unexpected error; it has been logged")


def install_problem_handlers(app: FastAPI) -> None:
    """Route every kind of failure to a problem+json response."""
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(HTTPException, _on_http)
    app.add_exception_handler(grpc.aio.AioRpcError, _on_grpc)
    app.add_exception_handler(BodyTooLarge, _on_too_large)
    app.add_exception_handler(Exception, _on_unexpected)
