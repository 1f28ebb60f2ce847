"""`python -m ml {train,predict,backtest,triage}`: the hotspot models on any site's history,
and the triage classifier's held-out figures.

Each command first catches the predictor's read model up (`ml.store.sync`: intake's
event log, imported history included, and the place, asset and device registries), then
reads the site's history from it and from the ingestor's data, exactly as the predictor
service does. Where: `--database-url` (default `DATABASE_URL`), `--intake` (default
`ML_INTAKE_TARGET` or 127.0.0.1:50051), `--ingestor` (`ML_INGESTOR_TARGET` or
127.0.0.1:50057); `--no-sync` reads the read model as it is (intake need not run).
Intake hands out only events older than the oldest transaction open on the server, so a
ticket committed while a long transaction runs elsewhere arrives at the next sync. The
schema `predictor` must exist (`make migrate`, or any start of the predictor service).
`triage` reads only its corpus (`ml/triage/corpus.csv` unless `--corpus`), no database.
The last line of output is key=value figures.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import grpc
import psycopg
from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ml.backtest import BacktestOptions, BacktestResult, backtest
from ml.features import Panel
from ml.grid import Days
from ml.history import History
from ml.keys import Level
from ml.model import TrainParams, train
from ml.predict import rank_keys
from ml.store.history import load_history
from ml.store.registry import latest_model, load_model, save_backtest, save_model, save_run
from ml.store.sync import Targets, sync
from ml.triage import CORPUS, load_corpus
from ml.triage.evaluate import evaluate

__all__ = ["MlSettings", "main"]


class MlSettings(BaseSettings):
    """Where the command line finds the database, intake and the ingestor."""

    model_config = SettingsConfigDict(env_prefix="ML_", frozen=True, extra="ignore")

    database_url: str = Field(
        default="postgresql://127.0.0.1:5432/maintenance",
        validation_alias=AliasChoices("DATABASE_URL", "database_url"),
    )
    intake_target: str = "127.0.0.1:50051"
    ingestor_target: str = "127.0.0.1:50057"


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _horizon(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 90:
        raise argparse.ArgumentTypeError("the horizon is 1 to 90 days")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {text}")
    return value


def _parser(settings: MlSettings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ml", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    commands = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--site", required=True)
    common.add_argument("--database-url", default=settings.database_url)
    common.add_argument("--intake", default=settings.intake_target, help="intake's gRPC address")
    common.add_argument("--ingestor", default=settings.ingestor_target,
                        help="the ingestor's gRPC address")  # fmt: skip
    common.add_argument("--no-sync", action="store_true", help="read the read model as it is")
    common.add_argument("--horizon-days", type=_horizon, default=7)
    sizes = argparse.ArgumentParser(add_help=False)
    sizes.add_argument("--train-days", type=_positive, default=365, help="days of training rows")
    sizes.add_argument("--max-iter", type=_positive, default=100, help="boosting rounds")
    levels = [lv.value for lv in Level]

    t = commands.add_parser("train", parents=[common, sizes], help="train and register models")
    t.add_argument("--level", choices=[*levels, "all"], default="all")
    t.add_argument("--as-of", type=_day, default=None, help="train on what was known before")

    p = commands.add_parser("predict", parents=[common, sizes], help="rank keys and store the run")
    p.add_argument("--level", choices=levels, default="asset")
    p.add_argument("--as-of", type=_day, default=None, help="default: today (site time)")
    p.add_argument("--limit", type=_positive, default=10)
    p.add_argument("--no-store", action="store_true", help="print only")

    b = commands.add_parser("backtest", parents=[common, sizes], help="rolling-origin backtest")
    b.add_argument("--from", dest="start", type=_day, required=True)
    b.add_argument("--to", dest="end", type=_day, required=True)
    b.add_argument("--k", type=_positive, default=10)
    b.add_argument("--level", choices=levels, default="asset")
    b.add_argument("--step-days", type=_positive, default=1, help="days between as-of days")
    b.add_argument("--retrain-days", type=_positive, default=7, help="days between trainings")
    b.add_argument("--out", type=Path, default=None, help="CSV of every as-of day's ranking")
    b.add_argument("--no-store", action="store_true",
                   help="do not store the rankings (as backtest runs) and their models")  # fmt: skip

    tr = commands.add_parser("triage", help="the triage classifier's held-out figures")
    tr.add_argument(
        "--corpus", type=Path, default=CORPUS, help="labelled CSV (text,category,priority)"
    )
    tr.add_argument("--test-share", type=float, default=0.2, help="share of rows held out")
    tr.add_argument("--seed", type=int, default=11, help="seed of the stratified split")
    tr.add_argument("--out", type=Path, default=None,
                    help="CSV of the held-out rows with what the model said")  # fmt: skip
    return parser


def _figures(values: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in values.items())


def _history(args: argparse.Namespace, conn: psycopg.Connection[Any], out: TextIO) -> History:
    if not args.no_sync:
        counts = sync(conn, Targets(args.intake, args.ingestor))
        out.write(f"read model synced: {counts}\n")
    began = time.perf_counter()
    history = load_history(conn, args.site)
    out.write(f"site {args.site}: {len(history.tickets):,} tickets, {len(history.alarms):,} alarms,"
              f" {len(history.telemetry):,} daily telemetry roll-ups, {len(history.assets)} assets"
              f" ({time.perf_counter() - began:.1f} s)\n")  # fmt: skip
    return history


def _today(history: History) -> date:
    return datetime.now(UTC).astimezone(history.tz).date()


def _params(args: argparse.Namespace) -> TrainParams:
    return TrainParams(train_days=args.train_days, max_iter=args.max_iter)


def _train(args: argparse.Namespace, conn: psycopg.Connection[Any], out: TextIO) -> None:
    history = _history(args, conn, out)
    as_of = args.as_of or _today(history)
    levels = list(Level) if args.level == "all" else [Level(args.level)]
    figures: dict[str, Any] = {}
    for level in levels:
        panel = Panel(history, level, Days.for_history(history, as_of))
        model = train(panel, panel.days.index_of_date(as_of), args.horizon_days, _params(args))
        with conn.transaction():
            record = save_model(conn, args.site, model)
        out.write(f"{level.value}: model {record.version}, {model.metrics.get('rows', 0):.0f} rows,"
                  f" {model.metrics.get('positives', 0):.0f} failures,"
                  f" {model.metrics.get('train_s', 0):.1f} s\n")  # fmt: skip
        figures[f"{level.value}_version"] = record.version
        figures[f"{level.value}_train_s"] = round(model.metrics.get("train_s", 0.0), 2)
    out.write(_figures({"models": len(levels), **figures}) + "\n")


def _predict(args: argparse.Namespace, conn: psycopg.Connection[Any], out: TextIO) -> None:
    history = _history(args, conn, out)
    level = Level(args.level)
    as_of = args.as_of or _today(history)
    record = latest_model(conn, args.site, level, args.horizon_days)
    panel = Panel(history, level, Days.for_history(history, as_of))
    if record is None:
        model = train(panel, panel.days.index_of_date(as_of), args.horizon_days, _params(args))
        with conn.transaction():
            record = save_model(conn, args.site, model)
    else:
        model = load_model(conn, record.version)
    began = time.perf_counter()
    ranked = rank_keys(model, panel, as_of, explain=args.limit)
    elapsed_ms = 1000 * (time.perf_counter() - began)
    run_id = 0
    if not args.no_store:
        with conn.transaction():
            run_id = save_run(conn, args.site, level, args.horizon_days, as_of, record.version,
                              ranked)  # fmt: skip
    for h in ranked[: args.limit]:
        reasons = "; ".join(r.text_en for r in h.reasons)
        out.write(f"{h.rank:>3} {h.key:<24} {h.probability:6.3f}  {h.action.code:<20} {reasons}\n")
    out.write(_figures({"run_id": run_id, "as_of": as_of.isoformat(), "level": level.value,
                        "horizon_days": args.horizon_days, "keys": len(ranked),
                        "model_version": record.version, "predict_ms": round(elapsed_ms, 1)})
              + "\n")  # fmt: skip


def write_rankings(result: BacktestResult, path: Path) -> None:
    """`as_of,level,key,probability,rank`, one row per key per as-of day."""
    rows = result.rows.sort_values(["as_of", "rank"])
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["as_of", "level", "key", "probability", "rank"])
        for as_of, level, key, p, rank in zip(rows["as_of"], rows["level"], rows["key"],
                                              rows["probability"], rows["rank"], strict=True):  # fmt: skip
            writer.writerow([as_of.isoformat(), level, key, f"{p:.6f}", int(rank)])


def table(result: BacktestResult) -> str:
    """Model and baselines side by side (Markdown)."""
    lines = [
        f"| ranking | precision@{result.options.k} | recall@{result.options.k} | PR-AUC | Brier |",
        "|---|---|---|---|---|",
    ]
    for name, s in [("model", result.model), *result.baselines.items()]:
        brier = "" if s.brier != s.brier else f"{s.brier:.4f}"
        lines.append(f"| {name} | {s.precision_at_k:.4f} | {s.recall_at_k:.4f} | {s.pr_auc:.4f}"
                     f" | {brier} |")  # fmt: skip
    return "\n".join(lines)


def _backtest(args: argparse.Namespace, conn: psycopg.Connection[Any], out: TextIO) -> None:
    if args.end < args.start:
        raise SystemExit("--to is before --from")
    history = _history(args, conn, out)
    options = BacktestOptions(
        start=args.start, end=args.end, level=Level(args.level), horizon_days=args.horizon_days,
        k=args.k, step_days=args.step_days, retrain_days=args.retrain_days, params=_params(args),
    )  # fmt: skip
    result = backtest(history, options)
    if result.model.days < (args.end - args.start).days // args.step_days + 1:
        last = result.rows["as_of"].max() if len(result.rows) else None
        out.write(f"only as-of days whose {args.horizon_days} days are over are scored"
                  f" (the last: {last})\n")  # fmt: skip
    out.write(table(result) + "\n")
    if args.out is not None:
        write_rankings(result, args.out)
        out.write(f"rankings in {args.out}\n")
    if not args.no_store:
        versions: dict[str, str] = {}
        for model in result.models:
            with conn.transaction():
                record = save_model(conn, args.site, model)
            start = model.as_of or model.train_to
            for d in range(args.retrain_days):
                versions[(start + timedelta(days=d)).isoformat()] = record.version
        with conn.transaction():
            runs = save_backtest(
                conn, args.site, options.level, args.horizon_days, result.rows, versions
            )
        out.write(f"{runs} backtest runs stored\n")
    out.write(_figures(result.figures()) + "\n")


def _triage(args: argparse.Namespace, out: TextIO) -> None:
    if not 0.05 <= args.test_share <= 0.5:
        raise SystemExit("ml triage: --test-share is between 0.05 and 0.5")
    try:
        examples = load_corpus(args.corpus)
    except (OSError, KeyError, UnicodeDecodeError) as exc:
        raise SystemExit(f"ml triage: cannot read {args.corpus}: {exc!r}") from None
    result = evaluate(examples, args.test_share, args.seed)
    if args.out is not None:
        with args.out.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["text", "category", "priority", "predicted_category",
                             "predicted_priority"])  # fmt: skip
            for e, (category, priority) in zip(result.test, result.predicted, strict=True):
                writer.writerow([e.text, e.category, e.priority, category, priority])
    out.write(f"category (held out)\n{result.confusion('category')}\n\n")
    out.write(f"priority (held out)\n{result.confusion('priority')}\n\n")
    out.write(_figures(result.figures()) + "\n")


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> None:
    """Parse the command line and run the command; a refusal ends it with status 1."""
    args = _parser(MlSettings()).parse_args(argv)
    if args.command == "triage":
        _triage(args, out)
        return
    command = {"train": _train, "predict": _predict, "backtest": _backtest}[args.command]
    try:
        with psycopg.connect(args.database_url, autocommit=True) as conn:
            command(args, conn, out)
    except LookupError as exc:
        raise SystemExit(f"ml {args.command}: {exc.args[0]}") from None
    except psycopg.errors.UndefinedTable:
        raise SystemExit(f"ml {args.command}: no predictor schema in {args.database_url}:"
                         " run `make migrate` (or start the predictor) first") from None  # fmt: skip
    except (OSError, psycopg.Error, grpc.RpcError) as exc:
        raise SystemExit(f"ml {args.command}: {exc}") from None
