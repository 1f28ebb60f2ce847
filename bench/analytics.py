"""`make bench-analytics`: KPI and heat-map reports over a million tickets, and freshness.

1. **Data.** `--tickets` (1,000,000) tickets raised over two years in 20 buildings of one
   site (Asia/Shanghai), with random lifecycles applied through the analytics domain and
   COPYed straight into the service's own `analytics.tickets` in chunks; each COPY moves the
   monthly summaries once, through the same trigger the live follower relies on. Their raw
   events (about six per ticket) go to a scratch table for the baseline.
2. **Reports.** A real analytics process answers, over gRPC, the KPI report for the last
   twelve whole months grouped by building and month, and the heat map for the same year,
   `--runs` times each: p50 and p99. Target: p99 <= 200 ms.
3. **Baseline.** The same KPI report (raised, resolved, backlog at each month's end,
   response and resolve medians and p90s per building and month) by a plain GROUP BY over
   the raw event rows, in the same database, `--baseline-runs` times: `ratio` is its median
   time over ours (higher is better).
4. **Freshness.** With intake running too, tickets are raised and resolved through intake's
   gRPC API one after another; the time from the resolve call's reply until the KPI report
   counts the ticket is measured for `--fresh` tickets. Target: p99 <= 5 s.

The last line is `key=value` figures.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import grpc
import psycopg
from maintenance.analytics.v1 import analytics_pb2 as apb
from maintenance.analytics.v1 import analytics_pb2_grpc
from maintenance.intake.v1 import intake_pb2 as ipb
from maintenance.intake.v1 import intake_pb2_grpc

from bench.analytics_data import RAW_TABLE, load
from bench.database import bench_database
from services.launcher.stack import PROCESSES, LocalStack, free_port_env

SITE, ZONE = "demo", ZoneInfo("Asia/Shanghai")
CALLER = apb.Caller(username="bench", role="admin")
SYSTEM = ipb.Actor(username="bench", role=ipb.ROLE_SYSTEM, channel=ipb.CHANNEL_API)
STACK = tuple(p for p in PROCESSES if p.name in ("intake", "analytics"))

#: The baseline: the KPI report's core from raw events, per building and month.
BASELINE = f"""
WITH t AS (
    SELECT ticket_id, building,
           min(at) FILTER (WHERE type = 'created') AS created,
           min(at) FILTER (WHERE type = 'accepted') AS accepted,
           max(at) FILTER (WHERE type = 'resolved') AS resolved
    FROM {RAW_TABLE} WHERE site = %(site)s AND at < %(hi)s GROUP BY ticket_id, building
), months AS (
    SELECT m::date AS month, (m + interval '1 month')::date AS next
    FROM generate_series(%(start)s::date, %(end)s::date - 1, interval '1 month') AS m
)
SELECT t.building, months.month,
       count(*) FILTER (WHERE (t.created AT TIME ZONE %(zone)s)::date >= months.month
                        AND (t.created AT TIME ZONE %(zone)s)::date < months.next) AS raised,
       count(*) FILTER (WHERE (t.resolved AT TIME ZONE %(zone)s)::date >= months.month
                        AND (t.resolved AT TIME ZONE %(zone)s)::date < months.next) AS resolved,
       count(*) FILTER (WHERE (t.created AT TIME ZONE %(zone)s)::date < months.next
                        AND (t.resolved IS NULL
                             OR (t.resolved AT TIME ZONE %(zone)s)::date >= months.next)) AS backlog,
       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY extract(epoch FROM t.accepted - t.created))
           FILTER (WHERE (t.created AT TIME ZONE %(zone)s)::date >= months.month
                   AND (t.created AT TIME ZONE %(zone)s)::date < months.next) AS response,
       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY extract(epoch FROM t.resolved - t.created))
           FILTER (WHERE (t.resolved AT TIME ZONE %(zone)s)::date >= months.month
                   AND (t.resolved AT TIME ZONE %(zone)s)::date < months.next) AS resolve
FROM t CROSS JOIN months
GROUP BY t.building, months.month
"""  # fmt: skip


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def _timed(call: Callable[[], Any], runs: int) -> list[float]:
    """Milliseconds of each of `runs` calls."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _year(now: datetime) -> apb.Scope:
    this_month = now.astimezone(ZONE).date().replace(day=1)
    start = this_month.replace(year=this_month.year - 1)
    return apb.Scope(site=SITE, from_date=start.isoformat(), to_date=this_month.isoformat())


def _resolved(stub: analytics_pb2_grpc.AnalyticsServiceStub, scope: apb.Scope) -> int:
    reply = stub.GetKpis(apb.GetKpisRequest(caller=CALLER, scope=scope), timeout=10)
    return sum(r.resolved for r in reply.rows)


def _freshness(
    intake: intake_pb2_grpc.IntakeServiceStub, stub: analytics_pb2_grpc.AnalyticsServiceStub,
    count: int,
) -> list[float]:  # fmt: skip
    """Milliseconds from each resolve until the report counts it."""
    today = datetime.now(ZONE).date()
    scope = apb.Scope(site=SITE, from_date=today.replace(day=1).isoformat(),
                      to_date=(today.replace(day=28) + timedelta(days=4)).replace(day=1).isoformat())  # fmt: skip
    seen = []
    for n in range(count):
        ticket = intake.CreateTicket(ipb.CreateTicketRequest(
            actor=SYSTEM, kind=ipb.TICKET_KIND_REPAIR, category="plumbing",
            title=f"freshness {n}", location=ipb.Location(site=SITE, building="A", floor="3"),
        ), timeout=10).ticket  # fmt: skip
        for action, assignee in ((ipb.ACTION_ACCEPT, ""), (ipb.ACTION_ASSIGN, "tech1")):
            intake.TransitionTicket(ipb.TransitionTicketRequest(
                actor=SYSTEM, ticket_id=ticket.id, action=action, assignee=assignee), timeout=10)  # fmt: skip
        before = _resolved(stub, scope)
        admin = ipb.Actor(username="admin", role=ipb.ROLE_ADMIN, channel=ipb.CHANNEL_API)
        intake.TransitionTicket(ipb.TransitionTicketRequest(
            actor=admin, ticket_id=ticket.id, action=ipb.ACTION_RESOLVE), timeout=10)  # fmt: skip
        resolved = time.perf_counter()
        while _resolved(stub, scope) <= before:
            if time.perf_counter() - resolved > 30:
                raise TimeoutError("a resolved ticket did not reach the figures in 30 s")
            time.sleep(0.01)
        seen.append((time.perf_counter() - resolved) * 1000)
    return seen


def _measure(url: str, args: argparse.Namespace) -> dict[str, Any]:
    now = datetime.now(UTC)
    print(f"writing {args.tickets:,} tickets over two years and their raw events", flush=True)
    started = time.perf_counter()
    events = load(url, args.tickets, SITE, ZONE.key, now - timedelta(days=730), now)
    load_s = time.perf_counter() - started
    print(f"  {events:,} events in {load_s:.0f} s", flush=True)
    env, _ = free_port_env(url, LOG_LEVEL="WARNING", INTAKE_STREAM_POLL_S="0.05")
    year = _year(now)
    with Path(args.log).open("w") as sink, LocalStack(env=env, processes=STACK, sink=sink) as stack:
        stack.wait_ready(f"http://127.0.0.1:{env['ANALYTICS_METRICS_PORT']}/metrics", 60)
        stack.wait_ready(f"http://127.0.0.1:{env['INTAKE_METRICS_PORT']}/metrics", 60)
        with (
            grpc.insecure_channel(f"127.0.0.1:{env['ANALYTICS_GRPC_PORT']}") as achannel,
            grpc.insecure_channel(f"127.0.0.1:{env['INTAKE_GRPC_PORT']}") as ichannel,
        ):
            grpc.channel_ready_future(achannel).result(timeout=30)
            stub = analytics_pb2_grpc.AnalyticsServiceStub(achannel)
            kpis = apb.GetKpisRequest(caller=CALLER, scope=year, bucket=apb.BUCKET_MONTH,
                                      group_by=[apb.DIMENSION_BUILDING])  # fmt: skip
            rows = len(stub.GetKpis(kpis, timeout=60).rows)
            heat = apb.GetHeatmapRequest(caller=CALLER, scope=year)
            kpi_ms = _timed(lambda: stub.GetKpis(kpis, timeout=60), args.runs)
            heat_ms = _timed(lambda: stub.GetHeatmap(heat, timeout=60), args.runs)
            facts = apb.GetKpisRequest(caller=CALLER, scope=year, bucket=apb.BUCKET_MONTH,
                                       group_by=[apb.DIMENSION_BUILDING, apb.DIMENSION_CATEGORY])  # fmt: skip
            facts_ms = _timed(lambda: stub.GetKpis(facts, timeout=600), 3)
            print(f"  KPI report: {rows} rows, p50 {_pct(kpi_ms, 50):.1f} ms, p99 {_pct(kpi_ms, 99):.1f} ms;"
                  f" heat map p50 {_pct(heat_ms, 50):.1f} ms; by building and category (from the"
                  f" per-ticket facts) p50 {_pct(facts_ms, 50):.0f} ms", flush=True)  # fmt: skip
            fresh = _freshness(intake_pb2_grpc.IntakeServiceStub(ichannel), stub, args.fresh)
            print(
                f"  freshness p50 {_pct(fresh, 50):.0f} ms, p99 {_pct(fresh, 99):.0f} ms",
                flush=True,
            )
    params = {"site": SITE, "zone": ZONE.key, "start": year.from_date, "end": year.to_date,
              "hi": now}  # fmt: skip
    with psycopg.connect(url, autocommit=True) as conn:
        baseline_ms = _timed(lambda: conn.execute(BASELINE, params).fetchall(), args.baseline_runs)
    print(
        f"  plain GROUP BY over raw events: median {statistics.median(baseline_ms):.0f} ms",
        flush=True,
    )
    return {
        "p99_ms": round(_pct(kpi_ms, 99), 1),
        "freshness_p99_ms": round(_pct(fresh, 99), 1),
        "ratio": round(statistics.median(baseline_ms) / statistics.median(kpi_ms), 1),
        "p50_ms": round(_pct(kpi_ms, 50), 1),
        "heat_p50_ms": round(_pct(heat_ms, 50), 1),
        "heat_p99_ms": round(_pct(heat_ms, 99), 1),
        "freshness_p50_ms": round(_pct(fresh, 50), 1),
        "baseline_ms": round(statistics.median(baseline_ms), 1),
        "facts_p50_ms": round(_pct(facts_ms, 50), 1),
        "tickets": args.tickets,
        "events": events,
        "load_s": round(load_s, 1),
    }


def main() -> None:
    """Parse the options, measure in a database of its own, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=200, help="report runs for p50/p99")
    parser.add_argument("--baseline-runs", type=int, default=3)
    parser.add_argument("--fresh", type=int, default=50, help="tickets timed for freshness")
    parser.add_argument("--log", default="var/bench-analytics.log", help="processes' output")
    args = parser.parse_args()
    Path(args.log).parent.mkdir(parents=True, exist_ok=True)
    with bench_database() as url:
        figures = _measure(url, args)
    print(" ".join(f"{key}={value}" for key, value in figures.items()))


if __name__ == "__main__":
    main()
