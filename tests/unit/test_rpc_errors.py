"""What the caller could not know is never UNKNOWN (which the gateway answers with 502): a
write the database refuses, a value it cannot store, another service's refusal."""

from __future__ import annotations

from typing import Any, NoReturn, cast

import grpc
import psycopg
import pytest

from services.common.rpc_errors import translate_errors


class Aborted(Exception):
    pass


class Context:
    def __init__(self) -> None:
        self.code: grpc.StatusCode | None = None
        self.details = ""

    async def abort(self, code: grpc.StatusCode, details: str) -> NoReturn:
        self.code, self.details = code, details
        raise Aborted


@pytest.mark.parametrize(
    ("refusal", "code", "words"),
    [
        (psycopg.errors.ForeignKeyViolation("no site ''"), grpc.StatusCode.INVALID_ARGUMENT,
         "does not exist"),
        (psycopg.errors.UniqueViolation("code B1"), grpc.StatusCode.ALREADY_EXISTS, "already"),
        (psycopg.errors.CheckViolation("stars"), grpc.StatusCode.INVALID_ARGUMENT, "not accepted"),
        (psycopg.errors.UntranslatableCharacter("NUL"), grpc.StatusCode.INVALID_ARGUMENT,
         "cannot be stored"),
        (grpc.aio.AioRpcError(grpc.StatusCode.INVALID_ARGUMENT, grpc.aio.Metadata(),
                              grpc.aio.Metadata(), "description contains control characters", None),
         grpc.StatusCode.INVALID_ARGUMENT, "control characters"),
        (grpc.aio.AioRpcError(grpc.StatusCode.DEADLINE_EXCEEDED, grpc.aio.Metadata(),
                              grpc.aio.Metadata(), "slow", None),
         grpc.StatusCode.UNAVAILABLE, "did not answer"),
    ],
)  # fmt: skip
async def test_a_refused_write_is_the_callers_error(
    refusal: Exception, code: grpc.StatusCode, words: str
) -> None:
    class Servicer:
        @translate_errors({ValueError: grpc.StatusCode.INVALID_ARGUMENT})
        async def Put(self, request: Any, context: Any) -> None:  # noqa: N802
            raise refusal

    context = Context()
    with pytest.raises(Aborted):
        await Servicer().Put(None, cast(Any, context))
    assert context.code == code and words in context.details
