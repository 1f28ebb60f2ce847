"""`make bench-sla`: SLA timers with 100,000 open tickets.

Two fresh databases get the `sla` schema; open tickets and their pending timers (four
each, due hours ahead) are copied straight into them: 1,000 tickets into one, 100,000
into the other. Then, in the same run:

1. **Cost of a check.** A timer worker runs checks that each find and fire 5 due timers
   (into an in-memory intake), alternating between the two databases for 5 rounds. CPU is
   this process plus that database's PostgreSQL backends, read from /proc; medians are
   compared. The ratio should be near 1: a check reads the due timers through the partial
   index on `due_at`, never the open tickets.
2. **Escalation lateness.** With the 100,000 tickets in place, 3,000 escalations come due:
   2,000 spread over 10 s and a burst of 1,000 at one instant. The worker (production
   settings) records each at a fake intake served over gRPC by a child process. Lateness
   is the time from a timer's deadline to its recording. Target: p99 <= 1 s.

The last line is `key=value` figures.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import psycopg
import uvloop
from maintenance.intake.v1 import intake_pb2 as ipb
from maintenance.intake.v1 import intake_pb2_grpc
from psycopg_pool import AsyncConnectionPool

from bench.cpu import cpu_seconds
from bench.database import bench_database
from services.common.db import create_pool
from services.launcher.stack import free_port
from services.sla.adapters.intake_client import GrpcIntake
from services.sla.handlers.timers import TimerWorker
from services.sla.testing import FakeIntake

DUE_PER_CHECK = 5


def _now() -> datetime:
    return datetime.now(UTC)


def _ticket(n: int) -> uuid.UUID:
    return uuid.UUID(int=n + 1)


def _add_tickets(url: str, first: int, count: int) -> None:
    """Open tickets `first`..`first + count - 1`, each with four timers due hours ahead."""
    now = _now()
    with psycopg.connect(url, autocommit=True) as conn:
        with conn.cursor().copy(
            "COPY sla.tickets (ticket_id, kind, category, priority, site, created_at, policy_id,"
            " respond_state, resolve_state, resolve_by, risk_at, breach_at) FROM STDIN"
        ) as copy:
            for n in range(first, first + count):
                due = now + timedelta(hours=2, seconds=n % 86400)
                copy.write_row((_ticket(n), "repair", "plumbing", "P2", "demo", now,
                                "p2-urgent", "met", "running", due, due, due))  # fmt: skip
        with conn.cursor().copy(
            "COPY sla.timers (ticket_id, kind, target, level, deadline, due_at, notify, action,"
            " policy_id) FROM STDIN"
        ) as copy:
            for n in range(first, first + count):
                due = now + timedelta(hours=2, seconds=n % 86400)
                for kind, level in (("reminder", 0), ("breach", 0), ("escalation", 1),
                                    ("escalation", 2)):  # fmt: skip
                    copy.write_row((_ticket(n), kind, "resolve", level, due, due,
                                    ["role:supervisor"], "major_issue", "p2-urgent"))  # fmt: skip
        conn.execute("VACUUM ANALYZE sla.tickets")
        conn.execute("VACUUM ANALYZE sla.timers")


def _add_escalations(url: str, deadlines: list[datetime], level: int, tickets: int) -> None:
    """Escalation timers with the given deadlines on distinct open tickets."""
    with psycopg.connect(url, autocommit=True) as conn:
        with conn.cursor().copy(
            "COPY sla.timers (ticket_id, kind, target, level, deadline, due_at, notify, action,"
            " policy_id) FROM STDIN"
        ) as copy:
            for n, deadline in enumerate(deadlines):
                copy.write_row((_ticket(n % tickets), "escalation", "respond",
                                level + n // tickets, deadline, deadline, ["supervisor1"],
                                "escalate", "p1-emergency"))  # fmt: skip
        conn.execute("ANALYZE sla.timers")


def _backend_pids(url: str) -> list[int]:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        ).fetchall()
    return [int(r[0]) for r in rows]


async def _check_cpu_ms(pool: AsyncConnectionPool, url: str, level: int, open_: int,
                        checks: int) -> float:  # fmt: skip
    """CPU ms per check (this process + this database's backends), each firing 5 timers."""
    _add_escalations(url, [_now() - timedelta(minutes=1)] * (checks * DUE_PER_CHECK), level, open_)
    worker = TimerWorker(pool, FakeIntake(), _now, batch=DUE_PER_CHECK)
    await worker.check()  # warm the connections
    pids = _backend_pids(url)

    def used() -> float:
        return time.process_time() + sum(cpu_seconds(pid) for pid in pids)

    before = used()
    fired = DUE_PER_CHECK
    for _ in range(checks - 1):
        fired += await worker.check()
    spent = used() - before
    assert fired == checks * DUE_PER_CHECK, f"fired {fired} of {checks * DUE_PER_CHECK}"
    return spent * 1000 / (checks - 1)


async def _lateness(
    pool: AsyncConnectionPool, url: str, open_: int
) -> tuple[list[float], list[float]]:
    """Seconds from deadline to recording for 3,000 escalations: (spread, burst)."""
    port = free_port()
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.sla", "--serve-intake", str(port)
    )
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            await asyncio.wait_for(channel.channel_ready(), 20)
            stub = intake_pb2_grpc.IntakeServiceStub(channel)
            worker = TimerWorker(pool, GrpcIntake(stub), _now)
            start = _now() + timedelta(seconds=3)
            spread = [start + timedelta(seconds=10 * n / 2000) for n in range(2000)]
            burst = [start + timedelta(seconds=11)] * 1000
            _add_escalations(url, spread + burst, 200, open_)
            task = asyncio.create_task(worker.run_forever(0.25))
            try:
                for _ in range(600):
                    await asyncio.sleep(0.1)
                    if await _pending(pool, 200) == 0:
                        break
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
    finally:
        child.terminate()
        await child.wait()
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT extract(epoch FROM fired_at - deadline), deadline = %s FROM sla.timers"
            " WHERE level >= 200 AND fired_at IS NOT NULL",
            (burst[0],),
        )
        rows = await cur.fetchall()
    return [float(r[0]) for r in rows if not r[1]], [float(r[0]) for r in rows if r[1]]


async def _pending(pool: AsyncConnectionPool, level: int) -> int:
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT count(*) FROM sla.timers WHERE level >= %s AND fired_at IS NULL", (level,)
        )
        row = await cur.fetchone()
    return int(row[0]) if row else 0


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


async def _measure(small_url: str, large_url: str, args: argparse.Namespace) -> dict[str, Any]:
    small, large = args.small, args.tickets
    print(f"copying {small:,} and {large:,} open tickets with 4 timers each", flush=True)
    started = time.perf_counter()
    _add_tickets(small_url, 0, small)
    _add_tickets(large_url, 0, large)
    print(f"  done in {time.perf_counter() - started:.1f}s", flush=True)
    pools = {}
    for size, url in ((small, small_url), (large, large_url)):
        pools[size] = create_pool(url, min_size=4, max_size=4)
        await pools[size].open(wait=True)
    try:
        costs: dict[int, list[float]] = {small: [], large: []}
        for round_no in range(1, args.rounds + 1):
            for size, url in ((small, small_url), (large, large_url)):
                ms = await _check_cpu_ms(pools[size], url, 10 * round_no, size, args.checks)
                costs[size].append(ms)
                print(f"  round {round_no}, {size:>7,} open tickets: {ms:.3f} ms CPU per check"
                      f" of {DUE_PER_CHECK} due timers", flush=True)  # fmt: skip
        cost_small, cost_large = (statistics.median(costs[n]) for n in (small, large))
        print("3,000 escalations come due: 2,000 over 10 s, then 1,000 at once", flush=True)
        spread, burst = await _lateness(pools[large], large_url, large)
    finally:
        for pool in pools.values():
            await pool.close()
    late = spread + burst
    for label, values in (("spread", spread), ("burst", burst), ("all", late)):
        print(f"  {label:<6} {len(values):>5} recorded; lateness p50 {_pct(values, 50) * 1000:.0f} ms,"
              f" p99 {_pct(values, 99) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms", flush=True)  # fmt: skip
    return {
        "lateness_p99_ms": round(_pct(late, 99) * 1000, 1),
        "cost_ratio": round(cost_large / cost_small, 3),
        "lateness_p50_ms": round(_pct(late, 50) * 1000, 1),
        "lateness_max_ms": round(max(late) * 1000, 1),
        "spread_p99_ms": round(_pct(spread, 99) * 1000, 1),
        "burst_p99_ms": round(_pct(burst, 99) * 1000, 1),
        "check_cpu_ms_small": round(cost_small, 3),
        "check_cpu_ms_large": round(cost_large, 3),
        "escalations": len(late),
        "open_tickets": large,
        "small_open_tickets": small,
        "due_per_check": DUE_PER_CHECK,
    }


async def _serve_intake(port: int) -> None:
    """Just enough of intake for the worker: takes every activity at once."""

    async def record(request: Any, context: Any) -> ipb.RecordActivityResponse:
        return ipb.RecordActivityResponse()

    async def events(request: Any, context: Any) -> ipb.ListTicketEventsResponse:
        return ipb.ListTicketEventsResponse()

    handlers = {
        "RecordActivity": grpc.unary_unary_rpc_method_handler(
            record, ipb.RecordActivityRequest.FromString,
            ipb.RecordActivityResponse.SerializeToString,
        ),
        "ListTicketEvents": grpc.unary_unary_rpc_method_handler(
            events, ipb.ListTicketEventsRequest.FromString,
            ipb.ListTicketEventsResponse.SerializeToString,
        ),
    }  # fmt: skip
    server = grpc.aio.server()
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler("maintenance.intake.v1.IntakeService", handlers),)
    )
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await server.wait_for_termination()


def _with_databases(run: Callable[[str, str], dict[str, Any]]) -> dict[str, Any]:
    with (
        bench_database(["sla"], demo=False) as large,
        bench_database(["sla"], demo=False) as small,
    ):
        return run(large, small)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--checks", type=int, default=600, help="checks per round")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds; medians")
    parser.add_argument("--serve-intake", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_intake:
        uvloop.run(_serve_intake(args.serve_intake))
        return
    figures = _with_databases(lambda small, large: uvloop.run(_measure(small, large, args)))
    print(" ".join(f"{key}={value}" for key, value in figures.items()))


if __name__ == "__main__":
    main()
