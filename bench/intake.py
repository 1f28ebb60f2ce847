"""`make bench-intake`: tickets created through `POST /v1/tickets` against a bare FastAPI echo.

Both run on this machine in the same run with the same client (32 concurrent clients, a
fixed count); the ratio of the two rates says how much of the machine's own HTTP limit
the whole path (gateway, JWT, gRPC, intake, PostgreSQL commit) keeps.
Target: ratio >= 0.25 and p99 <= 50 ms. The last line is `key=value` figures.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import uuid
from typing import Any

import httpx
import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from bench.load import LoadResult, post_load
from services.common.migrate import migrate
from services.intake.demo import seed_demo
from services.launcher.stack import LocalStack, free_port

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def _body(index: int) -> dict[str, Any]:
    floor = str(index % 10 + 1)
    return {
        "kind": "repair",
        "category": ("plumbing", "electrical", "hvac", "elevator")[index % 4],
        "title": f"基准测试工单 {index} / benchmark ticket",
        "description": "Water dripping from the ceiling near the window, started this morning.",
        "location": {"site": "demo", "building": "AB"[index % 2], "floor": floor},
    }


def _echo(port: int, count: int, concurrency: int) -> LoadResult:
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.echo_app:app", "--port", str(port),
         "--log-level", "warning", "--no-access-log"],
    )  # fmt: skip
    try:
        LocalStack(env={}, processes=()).wait_ready(f"http://127.0.0.1:{port}/docs")
        post_load(
            f"http://127.0.0.1:{port}/v1/tickets", _body, count=count // 10, concurrency=concurrency
        )
        return post_load(
            f"http://127.0.0.1:{port}/v1/tickets", _body, count=count, concurrency=concurrency
        )
    finally:
        server.terminate()
        server.wait()


def _system(database_url: str, count: int, concurrency: int, workers: int) -> LoadResult:
    grpc_port, gateway_port = free_port(), free_port()
    env = {
        "DATABASE_URL": database_url,
        "INTAKE_GRPC_PORT": str(grpc_port),
        "INTAKE_METRICS_PORT": str(free_port()),
        "GATEWAY_PORT": str(gateway_port),
        "GATEWAY_WORKERS": str(workers),
        "GATEWAY_INTAKE_TARGET": f"127.0.0.1:{grpc_port}",
        "LOG_LEVEL": "WARNING",
    }
    base = f"http://127.0.0.1:{gateway_port}"
    with open(os.devnull, "w") as sink, LocalStack(env=env, sink=sink) as stack:
        stack.wait_ready(f"{base}/readyz")
        token = httpx.post(
            f"{base}/v1/auth/token", data={"username": "tenant1", "password": "demo"}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        post_load(
            f"{base}/v1/tickets", _body, headers=headers, count=count // 10, concurrency=concurrency
        )
        return post_load(
            f"{base}/v1/tickets", _body, headers=headers, count=count, concurrency=concurrency
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1, help="gateway worker processes")
    args = parser.parse_args()

    name = f"maint_bench_{uuid.uuid4().hex[:8]}"
    database_url = make_conninfo(ADMIN_URL, dbname=name)
    print(f"setting up database {name}", flush=True)
    migrate(database_url)
    seed_demo(database_url)
    try:
        print(
            f"bare FastAPI echo, {args.count} requests, {args.concurrency} clients ...", flush=True
        )
        echo = _echo(free_port(), args.count, args.concurrency)
        print(echo.line("echo (yardstick)"), flush=True)
        print("POST /v1/tickets through gateway -> intake -> PostgreSQL ...", flush=True)
        real = _system(database_url, args.count, args.concurrency, args.workers)
        print(real.line("create ticket"), flush=True)
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    ratio = real.per_s / echo.per_s
    print(
        f"ratio={ratio:.3f} tickets_per_s={real.per_s:.0f} p50_ms={real.pct(50):.1f} "
        f"p99_ms={real.pct(99):.1f} echo_per_s={echo.per_s:.0f} echo_p99_ms={echo.pct(99):.1f} "
        f"errors={real.errors + echo.errors} count={args.count} concurrency={args.concurrency}"
    )


if __name__ == "__main__":
    main()
