"""How a gRPC service process is put together: its schema and pool, its channel to intake,
serving until SIGTERM, and the `main()` that starts it all."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import grpc
import uvloop
from maintenance.intake.v1 import intake_pb2_grpc
from psycopg_pool import AsyncConnectionPool

from services.common.db import create_pool
from services.common.grpc_server import serve_grpc
from services.common.grpc_tls import GrpcTls, aio_channel
from services.common.logs import configure_logging
from services.common.migrate import migrate
from services.common.settings import GrpcServiceSettings

if TYPE_CHECKING:
    from maintenance.intake.v1.intake_pb2_grpc import IntakeServiceAsyncStub

__all__ = ["KEEPALIVE", "intake_channel", "intake_stub", "run_main", "serve", "service_pool"]

#: Channel options that ping the server every 20 s, even with no call in flight, and drop
#: the connection when a ping is not answered in 10 s: a half-open connection (a peer gone
#: without a FIN) fails the calls on it instead of leaving a stream waiting forever.
KEEPALIVE = (
    ("grpc.keepalive_time_ms", 20_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
)

S = TypeVar("S", bound=GrpcServiceSettings)


@asynccontextmanager
async def service_pool(
    settings: GrpcServiceSettings, schema: str
) -> AsyncIterator[AsyncConnectionPool]:
    """Migrate `schema` (unless told not to) and keep a pool open for the block; the pool
    connects in the background, so a service starts while its database is away."""
    if settings.migrate_on_start:
        await asyncio.to_thread(migrate, settings.database_url, [schema])
    pool = create_pool(
        settings.database_url, settings.pool_min, settings.pool_max,
        idle_in_transaction_s=settings.idle_in_transaction_s,
        statement_timeout_s=settings.statement_timeout_s,
    )  # fmt: skip
    await pool.open(wait=False)
    try:
        yield pool
    finally:
        await pool.close()


@asynccontextmanager
async def intake_channel(target: str, tls: GrpcTls | None) -> AsyncIterator[grpc.aio.Channel]:
    """A channel to intake at `target` (for its IntakeService and PlaceService), with
    keepalive pings and mutual TLS when `tls` is given, closed after the block."""
    channel = aio_channel(target, tls, KEEPALIVE)
    try:
        yield channel
    finally:
        await channel.close(grace=None)


@asynccontextmanager
async def intake_stub(target: str, tls: GrpcTls | None) -> AsyncIterator[IntakeServiceAsyncStub]:
    """A stub for intake at `target` (`intake_channel`), its channel closed after the block."""
    async with intake_channel(target, tls) as channel:
        yield intake_pb2_grpc.IntakeServiceStub(channel)


async def serve(
    settings: GrpcServiceSettings,
    service_name: str,
    register: Callable[[grpc.aio.Server], None],
    is_ready: Callable[[], Awaitable[bool]],
    background: Sequence[Callable[[], Coroutine[Any, Any, None]]] = (),
) -> None:
    """Serve `service_name` (with health and metrics) and run `background` until SIGTERM."""
    await serve_grpc(
        service_names=[service_name],
        register=register,
        host=settings.host,
        port=settings.grpc_port,
        metrics_port=settings.metrics_port,
        is_ready=is_ready,
        background=list(background),
        grace_s=settings.grace_s,
        tls=settings.grpc_tls,
    )


def run_main(settings: S, process: str, run: Callable[[S], Coroutine[Any, Any, None]]) -> None:
    """Configure logging for `process` and run `run(settings)` on uvloop."""
    configure_logging(settings.log_level, settings.log_format, process)
    uvloop.run(run(settings))
