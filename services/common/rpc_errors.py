"""Turn a service's own exceptions into gRPC status codes, in one decorator per service."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import grpc
import psycopg

__all__ = ["PERMANENT_CODES", "translate_errors"]

#: Status codes that say the same call will fail again: give up (and say so) instead of
#: retrying. Everything else (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED,
#: INTERNAL, UNKNOWN...) may pass and is retried with backoff.
PERMANENT_CODES = frozenset(
    {
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.OUT_OF_RANGE,
        grpc.StatusCode.ALREADY_EXISTS,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.UNIMPLEMENTED,
    }
)

def _refused(exc: psycopg.errors.IntegrityError) -> tuple[grpc.StatusCode, str]:
    what = exc.diag.message_detail or exc.diag.message_primary or str(exc)
    if isinstance(exc, psycopg.errors.UniqueViolation):
        return grpc.StatusCode.ALREADY_EXISTS, f"already exists: {what}"
    if isinstance(exc, psycopg.errors.ForeignKeyViolation):
        return grpc.StatusCode.INVALID_ARGUMENT, f"names something that does not exist: {what}"
    return grpc.StatusCode.INVALID_ARGUMENT, f"not accepted: {what}"


Req = TypeVar("Req")
Resp = TypeVar("Resp")
Method = Callable[[Any, Req, grpc.aio.ServicerContext[Any, Any]], Awaitable[Resp]]


def translate_errors(
    codes: Mapping[type[Exception], grpc.StatusCode],
) -> Callable[[Method[Req, Resp]], Method[Req, Resp]]:
    """A decorator for servicer methods: an exception whose class (or a base) is in `codes`
    ends the call with that status and the exception's message as details.

    A request the database refuses as a whole (naming something that does not exist, or
    that exists already) is the caller's error, never an unknown one: a foreign-key or
    check violation is INVALID_ARGUMENT, a unique violation ALREADY_EXISTS."""
    handled = tuple(codes)

    def decorate(method: Method[Req, Resp]) -> Method[Req, Resp]:
        @functools.wraps(method)
        async def wrapper(
            self: Any, request: Req, context: grpc.aio.ServicerContext[Any, Any]
        ) -> Resp:
            try:
                return await method(self, request, context)
            except handled as exc:
                code = next(c for kind, c in codes.items() if isinstance(exc, kind))
                await context.abort(code, str(exc))
                raise  # abort raises; not reached
            except psycopg.errors.IntegrityError as exc:
                await context.abort(*_refused(exc))
                raise

        return wrapper

    return decorate
