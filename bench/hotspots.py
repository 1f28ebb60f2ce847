"""`make bench-hotspots`: the hotspot model on the simulator's history with its planted
failures, against the baselines, and the hotspot API's latency.

1. A fresh database; intake and the ingestor run as processes; `sensors_sim backfill`
   writes `--days` of the park's history (`--fleet park`, about `--assets` assets with
   wear-out failures, maintenance visits and false alarms; or `--fleet demo`, the demo
   site): telemetry, alert signals, tickets; the planted failures in a ground-truth file.
2. The read model is synced and the site's history read exactly as `python -m ml`
   does; the rolling-origin backtest ranks every key on each of the last
   `--backtest-days` days whose horizon is over (retrained every `--retrain-days`),
   beside the random, most-alarms and most-recent-failure baselines; precision@k of
   each, and also the share of the planted failures whose key was in the top k on the
   days before it struck (`planted_recall_at_k`).
3. The predictor and the gateway start; once the predictor has ranked the site,
   `--requests` GET /v1/hotspots from `--concurrency` clients give the API's p50/p99
   (`--requests 0` skips this).

Last line: precision_at_k= baseline_p_at_k= lift= train_s= predict_ms= api_p99_ms= ...
Small sizes (`--days 120 --backtest-days 14 --requests 100`) make a smoke run; the
training time of two years of 1,000 assets is a run of its own
(`--assets 1000 --days 737 --train-days 730 --backtest-days 1 --requests 0`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import psycopg

from bench.database import bench_database
from ml.backtest import BacktestOptions, BacktestResult, backtest
from ml.cli import table
from ml.keys import Level, keys_of
from ml.metrics import score
from ml.model import TrainParams
from ml.store.history import load_history
from ml.store.sync import Targets, sync
from sensors_sim.backfill import BackfillOptions, backfill
from sensors_sim.failures import SITE_TZ
from services.launcher.broker import LocalBroker
from services.launcher.stack import LocalStack, Process, free_port_env

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.hotspots", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--days", type=float, default=462.0, help="days of simulated history")
    p.add_argument("--interval-s", type=int, default=10800, help="seconds between readings")
    p.add_argument("--fleet", choices=("park", "demo"), default="park")
    p.add_argument("--assets", type=int, default=300, help="the park's size")
    p.add_argument("--devices", type=int, default=None, help="the demo fleet's size (122)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--backtest-days", type=int, default=90)
    p.add_argument("--retrain-days", type=int, default=14)
    p.add_argument("--horizon-days", type=int, default=7)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--k-small", type=int, default=3, help="also scored at this k")
    p.add_argument("--level", choices=[lv.value for lv in Level], default="asset")
    p.add_argument("--max-iter", type=int, default=100)
    p.add_argument("--train-days", type=int, default=365)
    p.add_argument("--requests", type=int, default=2000, help="0: no API load")
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--end", default="2026-11-01T00:00:00+08:00", help="end of the history")
    return p


def _sync_all(conn: psycopg.Connection[Any], targets: Targets, timeout_s: float = 600.0) -> None:
    """Sync until the read model holds every ticket intake has. The event log hands out
    only what committed before the oldest transaction still open anywhere on the server,
    so on a busy server one sync may end short of the newest events."""
    deadline = time.monotonic() + timeout_s
    while True:
        print(f"read model synced: {sync(conn, targets)}", flush=True)
        row = conn.execute(
            "SELECT (SELECT count(*) FROM intake.tickets), (SELECT count(*) FROM predictor.tickets)"
        ).fetchone()
        assert row is not None
        if row[0] == row[1] or time.monotonic() > deadline:
            return
        print(f"{row[0] - row[1]} tickets not yet readable; syncing again", flush=True)
        time.sleep(2.0)


def _at_small_k(result: BacktestResult, k: int) -> dict[str, float]:
    """Precision at a smaller k (below the failures a day), and the PR-AUC lift: the
    rankings' quality where the top k does not hold every failure."""
    rows = result.rows
    model = score(rows["day"], rows["rank"], rows["label"], k, rows["probability"])
    best = max(
        score(rows["day"], rows[f"{b}_rank"], rows["label"], k, rows[f"{b}_score"]).precision_at_k
        for b in result.baselines
    )
    best_auc = max(s.pr_auc for s in result.baselines.values())
    return {
        f"precision_at_{k}": round(model.precision_at_k, 4),
        f"baseline_p_at_{k}": round(best, 4),
        f"lift_at_{k}": round(model.precision_at_k / best, 3) if best else float("inf"),
        "pr_auc_lift": round(result.model.pr_auc / best_auc, 3) if best_auc else float("inf"),
    }


def _planted(result: BacktestResult, truth: dict[str, Any], history_devices: pd.DataFrame,
             level: Level, k: int) -> dict[str, float]:  # fmt: skip
    """For each planted failure striking within an as-of day's horizon: was its key in
    that day's top k? The share of such (failure, day) pairs, per ranking."""
    devices = history_devices.set_index("device_id")
    rows = result.rows
    h = result.options.horizon_days
    pairs = []
    for failure in truth["failures"]:
        device = devices.loc[failure["device_id"]]
        key = keys_of(level, pd.DataFrame([device.to_dict()])).iat[0]
        strike = pd.Timestamp(failure["failure"]).tz_convert(SITE_TZ).date()
        for back in range(h):
            pairs.append((strike - timedelta(days=back), key))
    wanted = pd.DataFrame(pairs, columns=["as_of", "key"]).drop_duplicates()
    found = rows.merge(wanted, on=["as_of", "key"], how="inner")
    out: dict[str, float] = {}
    if found.empty:
        return out
    for name, column in [("model", "rank"), *[(b, f"{b}_rank") for b in result.baselines]]:
        out[f"planted_recall_at_k_{name}"] = round(float((found[column] <= k).mean()), 4)
    out["planted_pairs"] = float(len(found))
    return out


def _wait_idle(url: str, deadline: float) -> None:
    """Until the predictor has ranked every level and horizon (it then sits idle until
    tomorrow or the next retraining), so the load meets a quiet service."""
    while time.monotonic() < deadline:
        with psycopg.connect(url) as conn:
            row = conn.execute(
                "SELECT count(DISTINCT (level, horizon_days)) FROM predictor.prediction_runs"
                " WHERE kind = 'live'"
            ).fetchone()
        if row is not None and row[0] >= 6:
            time.sleep(2.0)
            return
        time.sleep(1.0)


async def _load(
    base_url: str, token: str, site: str, requests: int, concurrency: int
) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(requests):
        queue.put_nowait(n)
    headers = {"Authorization": f"Bearer {token}"}
    params = {"site": site, "level": "asset", "horizon_days": "7", "limit": "10"}

    async def client() -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as http:
            while not queue.empty():
                queue.get_nowait()
                began = time.perf_counter()
                reply = await http.get("/v1/hotspots", params=params)
                latencies.append(1000 * (time.perf_counter() - began))
                errors += reply.status_code != 200

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return latencies, errors


def _api(
    stack: LocalStack, url: str, base_url: str, site: str, args: argparse.Namespace
) -> dict[str, float]:
    """Start the predictor and the gateway beside intake and the ingestor; once the site
    is ranked, load GET /v1/hotspots."""
    stack.add(Process("predictor", "services.predictor"))
    stack.add(Process("gateway", "services.gateway"))
    deadline = time.monotonic() + 600
    token = ""
    began = time.perf_counter()
    while time.monotonic() < deadline:
        assert not stack.exited(), f"{stack.exited()} exited"
        try:
            if not token:
                r = httpx.post(f"{base_url}/v1/auth/token",
                               data={"username": "admin", "password": "demo"}, timeout=5)  # fmt: skip
                token = r.json()["access_token"] if r.status_code == 200 else ""
            if token:
                r = httpx.get(f"{base_url}/v1/hotspots", params={"site": site, "limit": "3"},
                              headers={"Authorization": f"Bearer {token}"}, timeout=5)  # fmt: skip
                if r.status_code == 200 and r.json()["items"] and r.json()["items"][0]["reasons"]:
                    break
        except httpx.HTTPError:
            pass
        time.sleep(1.0)
    first_ranking_s = time.perf_counter() - began
    _wait_idle(url, deadline)
    print(f"the predictor ranked the site {first_ranking_s:.1f} s after it started", flush=True)
    tick = time.perf_counter()
    latencies, errors = asyncio.run(_load(base_url, token, site, args.requests, args.concurrency))
    load_s = time.perf_counter() - tick
    ordered = sorted(latencies)
    return {
        "api_p50_ms": round(statistics.median(ordered), 1),
        "api_p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 1),
        "api_per_s": round(len(ordered) / load_s, 1),
        "api_errors": float(errors),
        "first_ranking_s": round(first_ranking_s, 1),
    }


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    end = datetime.fromisoformat(args.end)
    figures: dict[str, Any] = {}
    site = "park" if args.fleet == "park" else "demo"
    with bench_database() as url, LocalBroker() as broker:
        env, base_url = free_port_env(url, MQTT_URL=broker.url, PREDICTOR_MAX_ITER=str(args.max_iter),
                                      PREDICTOR_TRAIN_DAYS=str(args.train_days),
                                      PREDICTOR_CYCLE_EVERY_S="5")  # fmt: skip
        # Named by the fleet, so runs of different sizes side by side keep their own files.
        stem = f"var/bench_hotspots_{site}_{args.assets if args.fleet == 'park' else args.devices}"
        log = Path(f"{stem}.log")
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("w") as sink:
            backends = (
                Process("intake", "services.intake"),
                Process("ingestor", "services.ingestor"),
            )
            with LocalStack(env=env, processes=backends, sink=sink) as stack:
                time.sleep(2.0)
                targets = Targets(f"127.0.0.1:{env['INTAKE_GRPC_PORT']}",
                                  f"127.0.0.1:{env['INGESTOR_GRPC_PORT']}")  # fmt: skip
                truth_file = Path(f"{stem}_truth.json")
                began = time.perf_counter()
                backfill(BackfillOptions(database_url=url, intake=targets.intake, days=args.days,
                                         seed=args.seed, interval_s=args.interval_s,
                                         truth_file=truth_file, devices=args.devices, end=end,
                                         fleet=args.fleet, assets=args.assets),
                         out=sys.stdout)  # fmt: skip
                figures["backfill_s"] = round(time.perf_counter() - began, 1)
                with psycopg.connect(url, autocommit=True) as conn:
                    tick = time.perf_counter()
                    _sync_all(conn, targets)
                    history = load_history(conn, site)
                    figures["read_s"] = round(time.perf_counter() - tick, 1)
                last = (end - timedelta(days=args.horizon_days + 1)).astimezone(SITE_TZ).date()
                first = last - timedelta(days=args.backtest_days - 1)
                options = BacktestOptions(
                    start=first, end=last, level=Level(args.level), horizon_days=args.horizon_days,
                    k=args.k, retrain_days=args.retrain_days,
                    params=TrainParams(train_days=args.train_days, max_iter=args.max_iter),
                )  # fmt: skip
                print(f"backtest {first} to {last}, level {args.level}, {args.horizon_days}-day"
                      f" horizon, top {args.k}", flush=True)  # fmt: skip
                result = backtest(history, options)
                print(table(result), flush=True)
                truth = json.loads(truth_file.read_text())
                planted = _planted(result, truth, history.devices, Level(args.level), args.k)
                for name in ("model", *result.baselines):
                    key = f"planted_recall_at_k_{name}"
                    if key in planted:
                        print(f"planted failures in the top {args.k} before they struck,"
                              f" {name}: {planted[key]:.1%}")  # fmt: skip
                figures.update(_at_small_k(result, args.k_small))
                train_each = result.train_s / max(result.models_trained, 1)
                figures = {**result.figures(), **figures, **planted,
                           "train_s": round(train_each, 2), "train_total_s": round(result.train_s, 1)}  # fmt: skip
                if args.requests:
                    figures.update(_api(stack, url, base_url, site, args))
    order = ["precision_at_k", "baseline_p_at_k", "lift", "train_s", "predict_ms", "api_p99_ms"]
    rest = [k for k in figures if k not in order]
    print(" ".join(f"{k}={figures[k]}" for k in [*order, *rest] if k in figures))


if __name__ == "__main__":
    main()
