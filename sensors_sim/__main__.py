"""`python -m sensors_sim {run,backfill,register,fleet}`: the sensor simulator's commands."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import grpc
import httpx
import psycopg

from sensors_sim.backfill import BackfillOptions, backfill
from sensors_sim.fleet import build_fleet, fleet_csv
from sensors_sim.register import register
from sensors_sim.run import RunOptions, run

__all__ = ["main"]

_DEFAULT_DATABASE_URL = "postgresql://127.0.0.1:5432/maintenance"


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, not {text}")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {text}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sensors_sim", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    fleet = argparse.ArgumentParser(add_help=False)
    fleet.add_argument("--site", default="", help="default: demo (park with --fleet park)")
    fleet.add_argument("--devices", type=_count, default=None, help="fleet size (default: 122)")
    fleet.add_argument("--seed", type=int, default=0)

    run = commands.add_parser("run", parents=[fleet], help="publish live telemetry over MQTT")
    run.add_argument("--broker", default="mqtt://127.0.0.1:1883")
    run.add_argument("--rate", type=_positive, default=50.0, help="telemetry messages a second")
    run.add_argument("--duration", type=_positive, default=600.0, help="seconds, then stop")
    run.add_argument("--speed", type=_positive, default=720.0, help="simulated s per wall s")

    back = commands.add_parser("backfill", parents=[fleet], help="write history at speed")
    back.add_argument("--days", type=_positive, default=365.0)
    back.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL", _DEFAULT_DATABASE_URL)
    )
    back.add_argument("--intake", default="127.0.0.1:50051", help="intake's gRPC address")
    back.add_argument("--interval-s", type=_count, default=900)
    back.add_argument("--truth-file", type=Path, default=Path("var/ground_truth.json"))
    back.add_argument(
        "--fleet",
        choices=("demo", "park"),
        default="demo",
        help="the demo site, or the park: many assets, wear-out failures",
    )
    back.add_argument("--assets", type=_count, default=300, help="the park's size (27 a building)")
    back.add_argument(
        "--end", type=datetime.fromisoformat, default=None,
        help="end of the window, ISO 8601 with a zone (default: now)",
    )  # fmt: skip

    reg = commands.add_parser("register", parents=[fleet], help="PUT the fleet to the API")
    reg.add_argument("--api", default="http://127.0.0.1:8080")
    reg.add_argument("--username", default="admin")
    reg.add_argument("--password", default="demo")

    commands.add_parser("fleet", parents=[fleet], help="print the fleet as CSV")
    return parser


def _run(args: argparse.Namespace) -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    options = RunOptions(
        broker=args.broker, site=args.site or "demo", devices=args.devices, rate=args.rate,
        duration_s=args.duration, seed=args.seed, speed=args.speed,
    )  # fmt: skip
    run(options, stop)


def _backfill(args: argparse.Namespace) -> None:
    if args.end is not None and args.end.tzinfo is None:
        raise SystemExit("--end needs a time zone, e.g. 2026-11-01T00:00:00+08:00")
    backfill(
        BackfillOptions(
            database_url=args.database_url, intake=args.intake, days=args.days,
            seed=args.seed, interval_s=args.interval_s, truth_file=args.truth_file,
            site=args.site, devices=args.devices, end=args.end, fleet=args.fleet,
            assets=args.assets,
        )
    )  # fmt: skip


def _register(args: argparse.Namespace) -> None:
    fleet = build_fleet(args.site or "demo", args.seed, args.devices)
    with httpx.Client(timeout=10) as client:
        count = register(args.api, fleet, args.username, args.password, client)
    print(f"registered {count} devices at {args.api}")


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line and run the command; a refusal ends it with status 1."""
    args = _parser().parse_args(argv)
    if args.command == "fleet":
        sys.stdout.write(fleet_csv(build_fleet(args.site or "demo", args.seed, args.devices)))
        return
    command = {"run": _run, "backfill": _backfill, "register": _register}[args.command]
    try:
        command(args)
    except (OSError, ValueError, psycopg.Error, grpc.RpcError, httpx.HTTPError) as exc:
        raise SystemExit(f"sensors_sim {args.command}: {exc}") from None


if __name__ == "__main__":
    main()
