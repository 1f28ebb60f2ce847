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


def _passed_on(exc: grpc.aio.AioRpcError) -> tuple[grpc.StatusCode, str]:
    code = exc.code()
    if code in PERMANENT_CODES:
        return code, exc.details() or code.name.lower()
    return grpc.StatusCode.UNAVAILABLE, f"a service this one needs did not answer ({code.name})"


Req = TypeVar("Req")
Resp = TypeVar("Resp")
Method = Callable[[Any, Req, grpc.aio.ServicerContext[Any, Any]], Awaitable[Resp]]


def translate_errors(
    codes: Mapping[type[Exception], grpc.StatusCode],
) -> Callable[[Method[Req, Resp]], Method[Req, Resp]]:
    """A decorator for servicer methods: an exception whose class (or a base) is in `codes`
    ends the call with that status and the exception's message as details.

    What the caller could not know is never an UNKNOWN error (which the gateway answers with
    502): a write the database refuses as a whole is INVALID_ARGUMENT (a foreign-key or
    check violation, a value it cannot store) or ALREADY_EXISTS (a unique violation); a
    call to another service that refused the request passes its status on (a permanent
    one as it is, any other as UNAVAILABLE)."""
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
            except psycopg.DataError as exc:  # a NUL character, a number out of range...
                what = exc.diag.message_primary or str(exc)
                await context.abort(
                    grpc.StatusCode.INVALID_ARGUMENT, f"a value cannot be stored: {what}"
                )
                raise
            except grpc.aio.AioRpcError as exc:  # a call to another service failed
                await context.abort(*_passed_on(exc))
                raise

        return wrapper

    return decorate
