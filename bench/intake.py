"""`make bench-intake`: tickets created through `POST /v1/tickets` against a bare FastAPI echo.

Both servers run on this machine in the same run and take the same load from the same
client (32 concurrent clients, a fixed count), in alternating rounds; medians are reported.
The ratio of the two rates says how much of the machine's own HTTP limit the whole path
(gateway, JWT, gRPC, intake, PostgreSQL commit) keeps. By default only the gateway and
intake run; `--whole-system` also runs the services that follow every new ticket
(dispatch, SLA, notification, ingestor) on the same cores.
Target: ratio >= 0.25 and p99 <= 50 ms. The last line is `key=value` figures.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from typing import Any

import httpx

from bench.cpu import cpu_seconds, postgres_cpu_seconds
from bench.database import bench_database
from bench.load import LoadResult, post_load
from services.launcher.broker import LocalBroker
from services.launcher.stack import PROCESSES, LocalStack, free_port, free_port_env

#: The processes on the path of `POST /v1/tickets`.
CREATION_PATH = tuple(p for p in PROCESSES if p.name in ("intake", "gateway"))


def _body(index: int) -> dict[str, Any]:
    return {
        "kind": "repair",
        "category": ("plumbing", "electrical", "hvac", "elevator")[index % 4],
        "title": f"基准测试工单 {index} / benchmark ticket",
        "description": "Water dripping from the ceiling near the window, started this morning.",
        "location": {"site": "demo", "building": "AB"[index % 2], "floor": str(index % 10 + 1)},
    }


def _median(results: list[LoadResult]) -> LoadResult:
    return sorted(results, key=lambda r: r.per_s)[len(results) // 2]


def _cpu_snapshot(stack: LocalStack) -> dict[str, float]:
    shot = {name: cpu_seconds(child.pid) for name, child in stack.children.items()}
    shot["postgres"] = postgres_cpu_seconds()
    shot["client"] = time.process_time()
    return shot


def _sign_in(base: str, timeout_s: float = 30.0) -> dict[str, str]:
    """tenant1's bearer header, once the gateway and intake answer."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            reply = httpx.post(
                f"{base}/v1/auth/token", data={"username": "tenant1", "password": "demo"}
            )
            if reply.status_code == 200:
                return {"Authorization": f"Bearer {reply.json()['access_token']}"}
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{base} does not sign tenant1 in")
        time.sleep(0.2)


def _measure(
    database_url: str, args: argparse.Namespace
) -> tuple[LoadResult, LoadResult, dict[str, float]]:
    """Medians of alternating rounds against the echo and against the real system."""
    echo_port = free_port()
    echo_url = f"http://127.0.0.1:{echo_port}/v1/tickets"
    env, base = free_port_env(database_url, GATEWAY_WORKERS=str(args.workers), LOG_LEVEL="WARNING")
    echo_cmd = [sys.executable, "-m", "uvicorn", "bench.echo_app:app", "--port", str(echo_port),
                "--log-level", "warning", "--no-access-log"]  # fmt: skip
    with (
        open(os.devnull, "w") as sink,
        LocalBroker() as broker,
        subprocess.Popen(echo_cmd) as echo_server,
        LocalStack(
            env={**env, "MQTT_URL": broker.url},
            processes=PROCESSES if args.whole_system else CREATION_PATH,
            sink=sink,
        ) as stack,
    ):
        try:
            LocalStack(env={}, processes=()).wait_ready(f"http://127.0.0.1:{echo_port}/docs")
            auth = _sign_in(base)
            load = {"count": args.count, "concurrency": args.concurrency}
            warm = {"count": args.count // 10, "concurrency": args.concurrency}
            post_load(echo_url, _body, **warm)
            post_load(f"{base}/v1/tickets", _body, headers=auth, **warm)
            echoes: list[LoadResult] = []
            reals: list[LoadResult] = []
            cpu_ms = dict.fromkeys([*stack.children, "postgres", "client"], 0.0)
            for round_no in range(1, args.rounds + 1):
                echoes.append(post_load(echo_url, _body, **load))
                print(echoes[-1].line(f"round {round_no} echo"), flush=True)
                before = _cpu_snapshot(stack)
                reals.append(post_load(f"{base}/v1/tickets", _body, headers=auth, **load))
                after = _cpu_snapshot(stack)
                for name in cpu_ms:
                    cpu_ms[name] += (after[name] - before[name]) * 1000 / args.count / args.rounds
                print(reals[-1].line(f"round {round_no} tickets"), flush=True)
        finally:
            echo_server.terminate()
    return _median(echoes), _median(reals), cpu_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1, help="gateway worker processes")
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating rounds; medians reported"
    )
    parser.add_argument(
        "--whole-system", action="store_true",
        help="also run dispatch, SLA, notification and the ingestor, which follow every ticket",
    )  # fmt: skip
    args = parser.parse_args()

    with bench_database() as database_url:
        print(f"{args.rounds} rounds of {args.count} requests from {args.concurrency} clients: the"
              " bare FastAPI echo, then POST /v1/tickets (gateway -> intake -> PostgreSQL)",
              flush=True)  # fmt: skip
        echo, real, cpu_ms = _measure(database_url, args)
    print(echo.line("median echo"))
    print(real.line("median tickets"))
    print("CPU per ticket: " + ", ".join(f"{name} {ms:.2f} ms" for name, ms in cpu_ms.items()))
    print(
        f"ratio={real.per_s / echo.per_s:.3f} tickets_per_s={real.per_s:.0f} "
        f"p50_ms={real.pct(50):.1f} p99_ms={real.pct(99):.1f} echo_per_s={echo.per_s:.0f} "
        f"echo_p99_ms={echo.pct(99):.1f} errors={real.errors + echo.errors} "
        f"count={args.count} concurrency={args.concurrency} rounds={args.rounds} "
        f"processes={len(PROCESSES) if args.whole_system else len(CREATION_PATH)}"
    )


if __name__ == "__main__":
    main()
