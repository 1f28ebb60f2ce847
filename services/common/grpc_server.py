"""The gRPC server kit every service uses: interceptors, real health, metrics, graceful stop."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio  # type: ignore[attr-defined]
from prometheus_client import Counter, Histogram, start_http_server

from services.common.grpc_tls import ClientAllowList, GrpcTls, bind
from services.common.logs import request_id_var

__all__ = ["BackgroundJobEnded", "ObservabilityInterceptor", "serve_grpc"]

log = logging.getLogger(__name__)

_HANDLED = Counter(
    "grpc_server_handled_total", "RPCs completed, by method and status code", ["method", "code"]
)
_LATENCY = Histogram(
    "grpc_server_handling_seconds",
    "Time to answer an RPC (unary) or to finish a stream",
    ["method"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

_SERVING = health_pb2.HealthCheckResponse.SERVING
_NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
#: How long a stopping server waits for a cancelled background job before cancelling again.
_RECANCEL_S = 1.0


class BackgroundJobEnded(RuntimeError):
    """A job meant to run as long as the service did not."""


def _request_id(details: grpc.HandlerCallDetails) -> str:
    for key, value in details.invocation_metadata or ():
        if key == "x-request-id":
            return str(value)[:64]
    return uuid.uuid4().hex[:16]


def _code_name(context: grpc.aio.ServicerContext[Any, Any], failed: bool) -> str:
    code = context.code()
    if isinstance(code, grpc.StatusCode):
        return code.name
    return "UNKNOWN" if failed else "OK"


class ObservabilityInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[type-arg]
    """Sets the request id for logs and records each RPC's latency and status code."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Any]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Any:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method.rsplit("/", 1)[-1]
        request_id = _request_id(handler_call_details)
        if handler is None:
            return handler
        if handler.unary_unary:
            inner_unary: Any = handler.unary_unary

            async def unary(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
                token = request_id_var.set(request_id)
                start = time.perf_counter()
                failed = True
                try:
                    result = await inner_unary(request, context)
                    failed = False
                    return result
                finally:
                    _LATENCY.labels(method).observe(time.perf_counter() - start)
                    _HANDLED.labels(method, _code_name(context, failed)).inc()
                    request_id_var.reset(token)

            return grpc.unary_unary_rpc_method_handler(
                unary, handler.request_deserializer, handler.response_serializer
            )
        if handler.unary_stream:
            inner_stream: Any = handler.unary_stream

            async def stream(
                request: Any, context: grpc.aio.ServicerContext[Any, Any]
            ) -> AsyncIterator[Any]:
                token = request_id_var.set(request_id)
                start = time.perf_counter()
                failed = True
                try:
                    async for item in inner_stream(request, context):
                        yield item
                    failed = False
                finally:
                    _LATENCY.labels(method).observe(time.perf_counter() - start)
                    _HANDLED.labels(method, _code_name(context, failed)).inc()
                    request_id_var.reset(token)

            return grpc.unary_stream_rpc_method_handler(
                stream, handler.request_deserializer, handler.response_serializer
            )
        return handler


async def _watch_readiness(
    health: health_aio.HealthServicer,
    names: list[str],
    is_ready: Callable[[], Awaitable[bool]],
    interval_s: float,
) -> None:
    last: bool | None = None
    while True:
        ready = await is_ready()
        if ready != last:
            log.info("readiness is now %s", "SERVING" if ready else "NOT_SERVING")
            last = ready
        for name in names:
            await health.set(name, _SERVING if ready else _NOT_SERVING)
        await asyncio.sleep(interval_s)


async def serve_grpc(
    *,
    service_names: list[str],
    register: Callable[[grpc.aio.Server], None],
    host: str,
    port: int,
    metrics_port: int,
    is_ready: Callable[[], Awaitable[bool]],
    background: list[Callable[[], Coroutine[Any, Any, None]]] | None = None,
    grace_s: float = 5.0,
    max_message_bytes: int = 16 * 1024 * 1024,
    tls: GrpcTls | None = None,
) -> None:
    """Serve until SIGTERM or SIGINT, then report NOT_SERVING and stop within `grace_s`.

    Health is SERVING only while `is_ready()` holds (checked every two seconds).
    `background` coroutines run beside the server and are cancelled on stop. They are meant
    to run forever: if one ends (or fails), the server stops the same way and then raises
    BackgroundJobEnded, so the process exits with an error and whatever supervises it
    starts it again. With `tls`, the server takes only mutual-TLS clients (and, if it has
    an allow-list, only those it names).
    """
    interceptors: list[grpc.aio.ServerInterceptor] = [ObservabilityInterceptor()]  # type: ignore[type-arg]
    if tls is not None and tls.allowed_clients:
        interceptors.append(ClientAllowList(tls.allowed_clients))
    server = grpc.aio.server(
        interceptors=interceptors,
        options=[
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
            # A port that is taken is an error, not a port shared with another server.
            ("grpc.so_reuseport", 0),
            # Clients ping every 20 s to find half-open connections (service.KEEPALIVE):
            # allow it, also between calls, instead of answering with GOAWAY.
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
        ],
    )
    register(server)
    health = health_aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    bound = bind(server, f"{host}:{port}", tls)
    start_http_server(metrics_port, addr=host)
    await server.start()
    log.info("gRPC%s on %s:%d, metrics on http://%s:%d/metrics", " (mutual TLS)" if tls else "",
             host, bound, host, metrics_port)  # fmt: skip

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    names = ["", *service_names]
    ended: list[str] = []

    def watch(task: asyncio.Task[None]) -> None:
        if task.cancelled() or stop.is_set():
            return
        error = task.exception()
        log.error("background job %s ended (%s); stopping", task.get_name(),
                  repr(error) if error else "returned", exc_info=error)  # fmt: skip
        ended.append(task.get_name())
        stop.set()

    jobs = [(_watch_readiness(health, names, is_ready, 2.0), "readiness")]
    jobs += [(job(), getattr(job, "__name__", "job")) for job in background or []]
    tasks = [asyncio.create_task(coro, name=name) for coro, name in jobs]
    for task in tasks:
        task.add_done_callback(watch)
    await stop.wait()
    log.info("stopping: NOT_SERVING, draining for up to %.1fs", grace_s)
    await health.enter_graceful_shutdown()
    await server.stop(grace_s)
    for task in tasks:
        task.cancel()
    pending = set(tasks)
    while pending:
        _, pending = await asyncio.wait(pending, timeout=_RECANCEL_S)
        for task in pending:  # it caught its cancellation (its own or a library's doing)
            log.warning("background job %s still running; cancelling it again", task.get_name())
            task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    log.info("stopped")
    if ended:
        raise BackgroundJobEnded(f"stopped because background job(s) ended: {', '.join(ended)}")
