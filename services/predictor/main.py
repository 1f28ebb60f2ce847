"""Start the predictor: `python -m services.predictor`.

Every replica serves hotspots from the stored rankings; one of them (the leader, by a
PostgreSQL advisory lock) syncs the read model, retrains each level's and horizon's model
once it is `retrain_days` old, and ranks every key each day, in a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import grpc
from maintenance.predictor.v1 import predictor_pb2_grpc

from ml.model import TrainParams
from ml.store.sync import Targets
from services.common.db import ping
from services.common.grpc_tls import sync_channel
from services.common.leader import follow_as_leader
from services.common.periodic import every
from services.common.service import intake_stub, run_main, serve, service_pool
from services.predictor import metrics
from services.predictor.adapters.intake_client import GrpcIntake
from services.predictor.adapters.runs_repo import RunsRepository
from services.predictor.entrypoint.servicer import PredictorServicer
from services.predictor.handlers.hotspots import Hotspots
from services.predictor.handlers.jobs import Scheduler
from services.predictor.settings import PredictorSettings

__all__ = ["main", "run"]

SERVICE_NAME = "maintenance.predictor.v1.PredictorService"
T = TypeVar("T")
#: The advisory lock the leader holds (one replica syncs, trains and ranks).
LEADER_LOCK = 0x70726564  # "pred"

log = logging.getLogger(__name__)


async def _in_daemon_thread(work: Callable[[], T]) -> T:
    """`work()` in a daemon thread: a stopping process does not wait for a model being
    trained (what it has not committed is rolled back; the next leader starts again)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def target() -> None:
        try:
            result = work()
        except BaseException as exc:  # handed to the awaiting task
            _hand(loop, _set_exception, future, exc)
            return
        _hand(loop, _set_result, future, result)

    threading.Thread(target=target, name="predictor-cycle", daemon=True).start()
    return await future


def _hand(loop: asyncio.AbstractEventLoop, setter: Callable[[asyncio.Future[T], Any], None],
          future: asyncio.Future[T], value: Any) -> None:  # fmt: skip
    with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting
        loop.call_soon_threadsafe(setter, future, value)


def _set_result(future: asyncio.Future[T], result: T) -> None:
    if not future.done():
        future.set_result(result)


def _set_exception(future: asyncio.Future[T], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)


async def run(settings: PredictorSettings) -> None:
    """Wire the service from settings and serve until stopped."""
    clock = settings.clock()
    scheduler = Scheduler(
        settings.database_url, Targets(settings.intake_target, settings.ingestor_target,
                                       settings.intake_timeout_s,
                                       partial(sync_channel, tls=settings.grpc_tls)),
        settings.horizon_days(), settings.retrain_days,
        TrainParams(train_days=settings.train_days, max_iter=settings.max_iter),
        settings.explain, clock,
    )  # fmt: skip
    async with (
        service_pool(settings, "predictor") as pool,
        intake_stub(settings.intake_target, settings.grpc_tls) as stub,
    ):
        hotspots = Hotspots(
            RunsRepository(pool), GrpcIntake(stub, settings.intake_timeout_s), clock
        )

        async def cycle() -> None:
            try:
                done = await _in_daemon_thread(scheduler.cycle)
            except asyncio.CancelledError:
                scheduler.stop()  # the thread leaves after the model in hand
                raise
            except Exception:
                metrics.CYCLES.labels("failed").inc()
                raise
            metrics.CYCLES.labels("worked" if done else "idle").inc()
            if done:
                log.info(
                    "trained %s; ranked %s", done.trained or "nothing", done.ranked or "nothing"
                )

        async def lead() -> None:
            await every(settings.cycle_every_s, cycle, "the predictor's cycle")

        def register(server: grpc.aio.Server) -> None:
            predictor_pb2_grpc.add_PredictorServiceServicer_to_server(
                PredictorServicer(hotspots), server
            )

        await serve(settings, SERVICE_NAME, register, lambda: ping(pool),
                    [lambda: follow_as_leader(pool, LEADER_LOCK, lead,
                                              "training and ranking")])  # fmt: skip


def main() -> None:
    run_main(PredictorSettings(), "predictor", run)
