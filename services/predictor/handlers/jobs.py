"""The leader's cycle: sync the read model, retrain what is due (weekly), rank what is
due (daily), and keep the staleness gauges. Synchronous (psycopg, grpc, pandas,
scikit-learn): the service runs it in a worker thread."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

from ml.features import Panel
from ml.grid import Days
from ml.history import History
from ml.keys import Level
from ml.model import TrainParams, train
from ml.predict import rank_keys
from ml.store.history import load_history, site_facts, sites
from ml.store.registry import (
    latest_model,
    latest_run,
    load_model,
    save_model,
    save_run,
    top_of_run,
)
from ml.store.sync import Targets, sync
from services.predictor import metrics

__all__ = ["SHOWN", "Cycle", "Scheduler"]

#: How many keys of each newest ranking the metrics show (predictor_hotspot_probability).
SHOWN = 10

log = logging.getLogger(__name__)


class Cycle:
    """What one cycle did."""

    def __init__(self) -> None:
        self.trained: list[str] = []
        self.ranked: list[str] = []

    def __bool__(self) -> bool:
        return bool(self.trained or self.ranked)


class Scheduler:
    def __init__(self, database_url: str, targets: Targets, horizons: tuple[int, ...],
                 retrain_days: int, params: TrainParams, explain: int,
                 clock: Callable[[], datetime]) -> None:  # fmt: skip
        self._url = database_url
        self._targets = targets
        self._horizons = horizons
        self._retrain = timedelta(days=retrain_days)
        self._params = params
        self._explain = explain
        self._clock = clock
        self._stopping = threading.Event()
        #: labels -> (the run shown, its gauge series): a stored run never changes.
        self._shown: dict[tuple[str, str, str], tuple[int, list[tuple[str, ...]]]] = {}

    def stop(self) -> None:
        """Finish the model in hand and leave the cycle that runs (the service is stopping,
        or this replica no longer leads); the next cycle starts afresh."""
        self._stopping.set()

    def _due(self, trained_at: datetime, metrics: dict[str, float], tickets: int,
             now: datetime) -> bool:  # fmt: skip
        """A model is trained again weekly, or sooner when the history has grown much."""
        return now - trained_at >= self._retrain or _grown(metrics, tickets)

    def cycle(self) -> Cycle:
        self._stopping = stopping = threading.Event()  # this cycle's: stop() sets it
        done = Cycle()
        with psycopg.connect(self._url) as conn:
            conn.autocommit = True
            sync(conn, self._targets)
            metrics.LAST_SYNC.set(time.time())
            for site in sites(conn):
                self._site(conn, site, done, stopping)
        return done

    def _site(self, conn: psycopg.Connection[Any], site: str, done: Cycle,
              stopping: threading.Event) -> None:  # fmt: skip
        """Train and rank what is due for `site`; the history is read only when something is."""
        timezone, tickets = site_facts(conn, site)
        now = self._clock()
        today = now.astimezone(ZoneInfo(timezone)).date()
        history: History | None = None
        panels: dict[Level, Panel] = {}
        for level in Level:
            for horizon in self._horizons:
                if stopping.is_set():
                    return
                labels = (site, level.value, str(horizon))
                record = latest_model(conn, site, level, horizon)
                run = latest_run(conn, site, level, horizon)
                retrain = record is None or self._due(
                    record.trained_at, record.metrics, tickets, now
                )
                stale = record is None or run is None or run.as_of != today
                changed = (
                    record is not None and run is not None and run.model_version != record.version
                )
                if retrain or stale or changed:
                    if history is None:
                        history = load_history(conn, site, until=now)
                        days = Days.for_history(history, today)
                    if level not in panels:  # one panel a level, for every horizon
                        panels[level] = Panel(history, level, days)
                    panel = panels[level]
                    if retrain or record is None:
                        tick = time.perf_counter()
                        model = train(panel, panel.days.index_of_date(today), horizon, self._params)
                        model.metrics["history_tickets"] = float(tickets)
                        metrics.TRAIN_SECONDS.labels(level.value).observe(
                            time.perf_counter() - tick
                        )
                        record = save_model(conn, site, model)
                        done.trained.append(record.version)
                    else:
                        model = load_model(conn, record.version)
                    ranked = rank_keys(model, panel, today, explain=self._explain)
                    with conn.transaction():
                        run_id = save_run(conn, site, level, horizon, today, record.version,
                                          ranked)  # fmt: skip
                    done.ranked.append(f"{site}/{level.value}/{horizon}")
                    run_day = today
                else:
                    assert run is not None
                    run_id, run_day = run.id, run.as_of
                assert record is not None
                if self._shown.get(labels, (0, []))[0] != run_id:
                    self._show(labels, run_id, top_of_run(conn, run_id, SHOWN))
                metrics.MODEL_AGE.labels(*labels).set((now - record.trained_at).total_seconds())
                metrics.PREDICTION_AGE.labels(*labels).set(_since_midnight(now, run_day, timezone))

    def _show(self, labels: tuple[str, str, str], run_id: int,
              top: list[tuple[int, str, float]]) -> None:  # fmt: skip
        """Put the newest ranking's first keys in the hotspot gauge, in place of the last."""
        for old in self._shown.pop(labels, (0, []))[1]:
            metrics.HOTSPOTS.remove(*old)
        shown: list[tuple[str, ...]] = []
        for rank, key, probability in top:
            series = (*labels, str(rank), key)
            metrics.HOTSPOTS.labels(*series).set(probability)
            shown.append(series)
        self._shown[labels] = (run_id, shown)


def _grown(metrics: dict[str, float], tickets: int) -> bool:
    """The site's history has grown by a fifth (and 20 tickets) since the model was
    trained: imported history, for example."""
    before = metrics.get("history_tickets", 0.0)
    return tickets >= 1.2 * before + 20


def _since_midnight(now: datetime, day: date, timezone: str) -> float:
    start = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(timezone))
    return max(0.0, (now.astimezone(UTC) - start.astimezone(UTC)).total_seconds())
