"""`make bench-ingest`: MQTT telemetry into PostgreSQL through the ingestor, against a C client.

One broker (our own mosquitto), one fresh database, in the same run:

(a) yardstick: `mosquitto_sub -q 1` receiving COUNT telemetry-sized messages published as
    fast as possible by parallel `mosquitto_pub` processes (first to last received);
(b) the ingestor alone (no intake: telemetry needs none): COUNT QoS 1 messages to
    `maint/demo/<device>/telemetry`, each with its own time and one metric, from the first
    publish until all COUNT rows are committed in ingestor.telemetry;
(c) the same with two ingestor replicas sharing the subscription.

Target: ratio (b / a) >= 0.3. The last line is `key=value` figures.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from bench.cpu import cpu_seconds, postgres_cpu_seconds
from bench.database import bench_database
from bench.mqtt_load import (
    BurstPublisher,
    Ingestor,
    broker_pid,
    ingestors,
    machine_busy_seconds,
    metric_value,
    register_native_devices,
    rss_mb,
    scratch_dir,
    telemetry_line,
    telemetry_rows,
    telemetry_streams,
    wait_rows,
    wait_subscribed,
    yardstick,
)
from services.launcher.broker import LocalBroker

PROBE_DEVICE = "bench-probe"


@dataclass(frozen=True, slots=True)
class IngestRun:
    """One ingest measurement: rows committed and how long from the first publish."""

    count: int
    stored: int
    seconds: float
    publish_s: float
    rss_mb: list[float]
    cpu_ms_per_1k: dict[str, float]

    @property
    def per_s(self) -> float:
        return self.stored / self.seconds if self.seconds > 0 else 0.0

    @property
    def lost(self) -> int:
        return self.count - self.stored

    def line(self, label: str) -> str:
        cpu = ", ".join(f"{name} {ms:.0f} ms" for name, ms in self.cpu_ms_per_1k.items())
        return (
            f"{label:<26} {self.stored:>7} rows in {self.seconds:6.2f}s = {self.per_s:8.0f}/s"
            f"  lost {self.lost}  published in {self.publish_s:.2f}s"
            f"  RSS {', '.join(f'{r:.0f}' for r in self.rss_mb)} MiB  CPU per 1,000: {cpu}"
        )


def _device_ids(count: int) -> list[str]:
    return [f"bench-power-{n:03d}" for n in range(count)]


def _batches(replicas: list[Ingestor]) -> str:
    """Mean batch size and commit time of each replica so far, from its /metrics."""
    parts = []
    for replica in replicas:
        port = replica.metrics_port
        batches = metric_value(port, "ingestor_batch_messages_count")
        messages = metric_value(port, "ingestor_batch_messages_sum")
        commit_s = metric_value(port, "ingestor_commit_seconds_sum")
        parts.append(f"{replica.client_id}: {batches:.0f} batches of {messages / max(1, batches):.0f}"
                     f" messages, {commit_s * 1000 / max(1, batches):.1f} ms per commit")  # fmt: skip
    return "; ".join(parts)


def _measure_ingest(
    broker: LocalBroker,
    database_url: str,
    client_ids: list[str],
    streams: dict[str, list[str]],
    workdir: Path,
    sink: IO[str],
) -> IngestRun:
    """Publish `streams` to the replicas and time it until every row is committed."""
    count = sum(len(lines) for lines in streams.values())
    publisher = BurstPublisher(broker.port, streams, workdir)
    samples: list[tuple[int, float]] = []

    def progress(rows: int, at: float) -> None:
        samples.append((rows - before - probes, at))
        print(f"  {rows - before - probes:>8} rows committed", flush=True)

    with ingestors(database_url, broker.url, client_ids, sink) as replicas:
        before = telemetry_rows(database_url)
        probes = wait_subscribed(broker.port, replicas, PROBE_DEVICE)
        target = before + probes + count
        print(f"  {len(replicas)} ingestor(s) subscribed; publishing {count} messages", flush=True)
        cpu0 = _cpu(replicas, broker)
        publisher.start()
        rows, seen_at = wait_rows(database_url, target, timeout_s=600, stall_s=30,
                                  on_progress=progress)  # fmt: skip
        publish_s = publisher.join()
        cpu1 = _cpu(replicas, broker)
        rss = [rss_mb(r.pid) for r in replicas]
        print(f"  {_batches(replicas)}", flush=True)
    stored = rows - before - probes
    after = [(n, at) for n, at in samples if at >= publisher.finished_at]
    if after and seen_at > after[0][1]:
        print(f"  once publishing was over: {(stored - after[0][0]) / (seen_at - after[0][1]):.0f}"
              " rows/s", flush=True)  # fmt: skip
    cpu_ms = {name: (cpu1[name] - cpu0[name]) * 1e6 / count for name in cpu0}
    return IngestRun(count, stored, seen_at - publisher.started_at, publish_s, rss, cpu_ms)


def _cpu(replicas: list[Ingestor], broker: LocalBroker) -> dict[str, float]:
    """CPU seconds so far: each replica, PostgreSQL, the broker and our publishers."""
    shot = {f"ingestor-{n + 1}": cpu_seconds(r.pid) for n, r in enumerate(replicas)}
    shot["postgres"] = postgres_cpu_seconds()
    shot["broker"] = cpu_seconds(broker_pid(broker.port))
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    shot["publishers"] = children.ru_utime + children.ru_stime
    shot["whole machine"] = machine_busy_seconds()
    return shot


def _yardstick(broker: LocalBroker, lines: list[str], workdir: Path, publishers: int) -> float:
    """(a): what a C subscriber receives while the publishers run (the figure used), and for
    context how fast it drains a queue with no publisher running and how fast the
    publishers go with no subscriber at all."""
    count = len(lines)
    print(f"(a) yardstick: mosquitto_sub -q 1 receiving {count} messages", flush=True)
    live = yardstick(broker.port, lines, workdir, topics=publishers)
    print(f"  live: {live.received} received in {live.seconds:.2f}s = {live.per_s:.0f}/s"
          f" (publishers done in {live.publish_s:.2f}s)", flush=True)  # fmt: skip
    if live.received != count:
        raise RuntimeError(f"the yardstick received {live.received} of {count}")
    drained = yardstick(broker.port, lines, workdir, topics=publishers, drained=True)
    print(f"  drained from a queue, no publisher running: {drained.received} in"
          f" {drained.seconds:.2f}s = {drained.per_s:.0f}/s", flush=True)  # fmt: skip
    streams = {f"bench/nobody/{n}": lines[n::publishers] for n in range(publishers)}
    alone = BurstPublisher(broker.port, streams, workdir)
    alone.start()
    print(f"  the same publishers with no subscriber: {count / alone.join():.0f}/s", flush=True)
    return live.per_s


def _run(database_url: str, args: argparse.Namespace) -> tuple[float, IngestRun, IngestRun]:
    devices = _device_ids(args.devices)
    register_native_devices(database_url, [*devices, PROBE_DEVICE])
    start = datetime.now(UTC) - timedelta(hours=2)
    later = start + timedelta(milliseconds=args.count + 1000)
    sample = telemetry_line(start, 229.5)
    print(f"payload {len(sample)} bytes, e.g. {sample}", flush=True)
    yard_lines = [
        telemetry_line(start + timedelta(milliseconds=n), 229.5) for n in range(args.count)
    ]
    with open(os.devnull, "w") as sink, LocalBroker() as broker, scratch_dir() as tmp:
        workdir = Path(tmp)
        c_per_s = _yardstick(broker, yard_lines, workdir, args.publishers)
        print(f"(b) one ingestor, {args.devices} devices", flush=True)
        streams = telemetry_streams(devices, args.count, start)
        one = _measure_ingest(broker, database_url, ["bench-ingestor-1"], streams, workdir, sink)
        print(one.line("  one ingestor"), flush=True)
        # The first client id again: a replica that left keeps its persistent session, and
        # mosquitto goes on queueing its share of the group's messages for it.
        print("(c) two ingestor replicas sharing the subscription", flush=True)
        streams = telemetry_streams(devices, args.count, later)
        two = _measure_ingest(broker, database_url, ["bench-ingestor-1", "bench-ingestor-2"],
                              streams, workdir, sink)  # fmt: skip
        print(two.line("  two replicas"), flush=True)
    return c_per_s, one, two


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--devices", type=int, default=10, help="devices (one publisher each)")
    parser.add_argument("--publishers", type=int, default=4, help="publishers for the yardstick")
    args = parser.parse_args()

    started = time.monotonic()
    with bench_database() as database_url:
        c_per_s, one, two = _run(database_url, args)
    print(f"done in {time.monotonic() - started:.0f}s")
    print(
        f"ratio={one.per_s / c_per_s:.3f} msgs_per_s={one.per_s:.0f} lost={one.lost} "
        f"c_client_per_s={c_per_s:.0f} two_replicas_per_s={two.per_s:.0f} "
        f"rss_mb={one.rss_mb[0]:.0f} count={args.count}"
    )


if __name__ == "__main__":
    main()
