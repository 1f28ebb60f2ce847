"""`make bench-import`: the history importer against PostgreSQL's own COPY of the same file.

In one fresh database, on this machine, in the same run:

(a) yardstick: `COPY bare FROM STDIN (FORMAT csv, HEADER)` of a long telemetry CSV
    (`device_id,time,metric,value`, ROWS lines, DEVICES devices, times without a zone) into a
    bare table (device text, time timestamptz, metric text, value double precision);
(b) for context, the same COPY into a table shaped like `ingestor.telemetry` (its unique
    index on device, metric and time): what keeping readings once costs PostgreSQL itself;
(c) the importer (`run_import`, the code behind the command line) importing that file as the
    `telemetry` kind into running intake and ingestor processes, the devices registered
    first with the `devices` kind; `ingestor.telemetry` is emptied before each round;
(d) the same file imported once more: every reading unchanged;
(e) WORK_ORDERS closed work orders (`--work-orders` or BENCH_IMPORT_WORK_ORDERS, 100,000)
    through the `work_orders` kind into intake, beside a COPY of the same CSV into a bare
    table of text columns (`work_orders_copy_ratio`: how close to a plain load it comes).

Rounds of (a), (b) and (c) alternate (ROUNDS, medians reported). Phases of (c), from the
importer's progress callback: read and convert (start to the first chunk sent), stream (the
chunks), store (last chunk to the reply: the ingestor's one INSERT and the commit).

Target: ratio (c / a) >= 0.5. Rows: `--rows` or BENCH_IMPORT_ROWS. The last line is
`key=value` figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import grpc
import psycopg
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bench.cpu import cpu_seconds, postgres_cpu_seconds
from bench.database import bench_database
from bench.mqtt_load import rss_mb
from services.importer.kinds import Targets
from services.importer.pipeline import Result, run_import
from services.launcher.broker import LocalBroker
from services.launcher.stack import PROCESSES, LocalStack, free_port_env

#: The processes an import of devices, events and telemetry talks to.
IMPORT_PATH = tuple(p for p in PROCESSES if p.name in ("intake", "ingestor"))
_START = datetime(2024, 3, 1)


def telemetry_csv(rows: int, devices: int) -> bytes:
    """A long telemetry file: every device's voltage each minute, in the site's time."""
    lines = ["device_id,time,metric,value"]
    for n in range(rows):
        minute, device = divmod(n, devices)
        when = (_START + timedelta(minutes=minute)).strftime("%Y-%m-%d %H:%M:%S")
        lines.append(f"bench-meter-{device:04d},{when},voltage,{220 + (n * 7919) % 2000 / 100}")
    return ("\n".join(lines) + "\n").encode()


def devices_csv(devices: int) -> bytes:
    """The devices the telemetry file names: power meters on the demo site's floors."""
    lines = ["device_id,kind,site,building,floor,expected_interval_s"]
    lines += [f"bench-meter-{n:04d},power,demo,{'AB'[n % 2]},{n // 2 % 10 + 1},604800"
              for n in range(devices)]  # fmt: skip
    return ("\n".join(lines) + "\n").encode()


def _copy_seconds(url: str, table: str, data: bytes) -> float:
    """Empty `table`, then COPY the CSV into it; seconds from the statement to its commit."""
    with psycopg.connect(url) as conn:
        conn.execute(f"TRUNCATE {table}")
        conn.commit()
        started = time.perf_counter()
        columns = (
            "device_id, time, metric, value" if table == "shaped" else "device, time, metric, value"
        )
        with (
            conn.cursor() as cur,
            cur.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT csv, HEADER)") as copy,
        ):
            copy.write(data)
        conn.commit()
        return time.perf_counter() - started


def _create_yardsticks(url: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TABLE bare (device text, time timestamptz, metric text,"
                     " value double precision)")  # fmt: skip
        conn.execute("CREATE TABLE shaped (LIKE ingestor.telemetry INCLUDING ALL)")


@dataclass
class _Timing:
    """When an import started, when its first and last chunk went, and when it ended."""

    started: float = field(default_factory=time.perf_counter)
    chunks: list[float] = field(default_factory=list)
    ended: float = 0.0

    def progress(self, _rows: int) -> None:
        self.chunks.append(time.perf_counter())

    @property
    def seconds(self) -> float:
        return self.ended - self.started

    def phases(self) -> dict[str, float]:
        first, last = self.chunks[0], self.chunks[-1]
        return {"read_convert": first - self.started, "stream": last - first,
                "store": self.ended - last}  # fmt: skip


async def _import(kind: str, data: bytes, targets: Targets, timing: _Timing) -> Result:
    result = await run_import(kind, data, f"{kind}.csv", targets, progress=timing.progress)
    timing.ended = time.perf_counter()
    if result.problems:
        raise RuntimeError(f"{kind}: {result.problems[:3]}")
    return result


def _wait_serving(target: str, timeout_s: float = 60.0) -> None:
    """Until the process at `target` says SERVING over grpc.health.v1."""
    deadline = time.monotonic() + timeout_s
    with grpc.insecure_channel(target) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            reply = health.Check(health_pb2.HealthCheckRequest(), timeout=timeout_s,
                                 wait_for_ready=True)  # fmt: skip
            if reply.status == health_pb2.HealthCheckResponse.SERVING:
                return
            time.sleep(0.2)
    raise TimeoutError(f"{target} is not serving after {timeout_s}s")


_WORK_ORDER_COLUMNS = ("external_id", "kind", "category", "priority", "status", "opened_at",
                       "accepted_at", "resolved_at", "closed_at", "site", "building", "floor",
                       "assignee", "cost", "rating", "title")  # fmt: skip
_CATEGORIES = ("plumbing", "electrical", "elevator", "hvac", "doors_windows")


def work_orders_csv(rows: int) -> bytes:
    """Closed work orders over two years on the demo site's floors, in the site's time."""
    lines = [",".join(_WORK_ORDER_COLUMNS)]
    for n in range(rows):
        opened = _START - timedelta(days=730) + timedelta(minutes=7 * n % (730 * 1440))
        stamp = [(opened + timedelta(minutes=m)).strftime("%Y-%m-%d %H:%M:%S")
                 for m in (0, 15, 180, 1440)]  # fmt: skip
        lines.append(",".join([
            f"WO-{n:07d}", "repair", _CATEGORIES[n % 5], f"P{1 + n % 4}", "closed", *stamp,
            "demo", "AB"[n % 2], str(1 + n // 2 % 10), "tech1", f"{n % 500}.50",
            str(1 + n % 5), f"历史工单 {n} / work order {n}",
        ]))  # fmt: skip
    return ("\n".join(lines) + "\n").encode()


def work_orders_phase(url: str, targets: Targets, rows: int) -> dict[str, str]:
    """Phase two: ROWS work orders through the importer against a COPY of the same file into
    a bare table of text columns; returns its `key=value` figures."""
    data = work_orders_csv(rows)
    with psycopg.connect(url) as conn:
        columns = ", ".join(f"{c} text" for c in _WORK_ORDER_COLUMNS)
        conn.execute(f"CREATE TABLE bare_work_orders ({columns})")
    started = time.perf_counter()
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy("COPY bare_work_orders FROM STDIN (FORMAT csv, HEADER)") as copy:
            copy.write(data)
        conn.commit()
    copy_s = time.perf_counter() - started
    timing = _Timing()
    inserted = asyncio.run(_import("work_orders", data, targets, timing)).inserted
    print(f"{inserted:,} work orders in {timing.seconds:.2f}s, COPY of the file {copy_s:.2f}s",
          flush=True)  # fmt: skip
    return {
        "work_orders_per_s": f"{rows / timing.seconds:.0f}",
        "work_orders_copy_ratio": f"{copy_s / timing.seconds:.3f}",
        "work_orders": str(rows),
    }


def _cpu(stack: LocalStack) -> dict[str, float]:
    shot = {name: cpu_seconds(child.pid) for name, child in stack.children.items()}
    shot["postgres"] = postgres_cpu_seconds()
    shot["importer"] = time.process_time()
    return shot


def _measure(url: str, args: argparse.Namespace) -> dict[str, str]:
    data = telemetry_csv(args.rows, args.devices)
    print(f"{args.rows:,} rows, {len(data) / 1e6:.1f} MB, {args.devices} devices", flush=True)
    _create_yardsticks(url)
    env, _ = free_port_env(url, LOG_LEVEL="WARNING")
    targets = Targets(f"127.0.0.1:{env['INTAKE_GRPC_PORT']}",
                      f"127.0.0.1:{env['INGESTOR_GRPC_PORT']}")  # fmt: skip
    with (
        open(os.devnull, "w") as sink,
        LocalBroker() as broker,
        LocalStack(env={**env, "MQTT_URL": broker.url}, processes=IMPORT_PATH, sink=sink) as stack,
    ):
        _wait_serving(targets.intake)
        _wait_serving(targets.ingestor)
        registered = _Timing()
        asyncio.run(_import("devices", devices_csv(args.devices), targets, registered))
        print(f"devices registered in {registered.seconds:.2f}s", flush=True)
        bare, shaped, imports = [], [], []
        cpu = dict.fromkeys(_cpu(stack), 0.0)
        for round_no in range(1, args.rounds + 1):
            bare.append(_copy_seconds(url, "bare", data))
            shaped.append(_copy_seconds(url, "shaped", data))
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("TRUNCATE ingestor.telemetry")
            before, timing = _cpu(stack), _Timing()
            asyncio.run(_import("telemetry", data, targets, timing))
            after = _cpu(stack)
            for name in cpu:
                cpu[name] += (after[name] - before[name]) / args.rounds
            imports.append(timing)
            phases = ", ".join(f"{k} {v:.2f}s" for k, v in timing.phases().items())
            print(f"round {round_no}: COPY bare {bare[-1]:.2f}s, COPY shaped {shaped[-1]:.2f}s,"
                  f" import {timing.seconds:.2f}s ({phases})", flush=True)  # fmt: skip
        again = _Timing()
        unchanged = asyncio.run(_import("telemetry", data, targets, again)).unchanged
        print(f"again: {unchanged:,} unchanged in {again.seconds:.2f}s", flush=True)
        ingestor_rss = rss_mb(stack.children["ingestor"].pid)
        figures = work_orders_phase(url, targets, args.work_orders)
    median: Callable[[list[float]], float] = statistics.median
    imported = sorted(imports, key=lambda t: t.seconds)[len(imports) // 2]
    print("CPU per round: " + ", ".join(f"{k} {v:.2f}s" for k, v in cpu.items()))
    rows = args.rows
    return {
        "ratio": f"{median(bare) / imported.seconds:.3f}",
        "rows_per_s": f"{rows / imported.seconds:.0f}",
        "copy_rows_per_s": f"{rows / median(bare):.0f}",
        "copy_indexed_rows_per_s": f"{rows / median(shaped):.0f}",
        "reimport_rows_per_s": f"{rows / again.seconds:.0f}",
        "importer_rss_mb": f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}",
        "ingestor_rss_mb": f"{ingestor_rss:.0f}",
        **{f"{k}_s": f"{v:.2f}" for k, v in imported.phases().items()},
        **figures,
        "rows": str(rows),
        "devices": str(args.devices),
        "rounds": str(args.rounds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--rows", type=int,
                        default=int(os.environ.get("BENCH_IMPORT_ROWS", "1000000")))  # fmt: skip
    parser.add_argument("--devices", type=int, default=500)
    parser.add_argument("--work-orders", type=int,
                        default=int(os.environ.get("BENCH_IMPORT_WORK_ORDERS", "100000")))  # fmt: skip
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    started = time.monotonic()
    with bench_database() as url:
        figures = _measure(url, args)
    print(f"done in {time.monotonic() - started:.0f}s")
    print(" ".join(f"{key}={value}" for key, value in figures.items()))


if __name__ == "__main__":
    main()
