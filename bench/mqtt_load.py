"""MQTT load and measuring helpers for `bench.ingest`, `bench.alert` and the ingestor tests.

Publishing is done by `mosquitto_pub -l` (C, one message per stdin line), so a Python
publisher is never what limits a measurement: a burst reads prepared files as fast as the
broker takes them, a paced flow is fed through a pipe at a fixed rate. At QoS 1
mosquitto_pub 2.0.11 disconnects after 65,535 message ids, so no process gets more than
`CHUNK_LINES` lines.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

import psycopg

from services.launcher.stack import LocalStack, Process, free_port_env

__all__ = [
    "CHUNK_LINES",
    "BurstPublisher",
    "Ingestor",
    "PacedPublisher",
    "Yardstick",
    "broker_pid",
    "machine_busy_seconds",
    "metric_value",
    "publish_one",
    "register_native_devices",
    "rss_mb",
    "telemetry_line",
    "telemetry_rows",
    "telemetry_streams",
    "wait_rows",
    "wait_subscribed",
    "yardstick",
]

MOSQUITTO_PUB = "/usr/bin/mosquitto_pub"
MOSQUITTO_SUB = "/usr/bin/mosquitto_sub"
#: Lines per mosquitto_pub process: below the 65,535 message ids it can use at QoS 1.
CHUNK_LINES = 60_000
#: How many in-flight QoS 1 messages each mosquitto_pub may have (its default is 20).
PUB_INFLIGHT = 1000


def telemetry_line(when: datetime, value: float, metric: str = "voltage") -> str:
    """A native telemetry payload with one metric, about 80 bytes (one JSON line)."""
    return json.dumps({"time": when.isoformat(), "metrics": {metric: round(value, 2)}})


def telemetry_streams(
    device_ids: Sequence[str], count: int, start: datetime
) -> dict[str, list[str]]:
    """`count` telemetry messages spread over the devices' topics; message n has the time
    `start + n ms` (so each is one row of its own) and one voltage in the normal range."""
    topics = [f"maint/demo/{d}/telemetry" for d in device_ids]
    streams: dict[str, list[str]] = {topic: [] for topic in topics}
    for n in range(count):
        when = start + timedelta(milliseconds=n)
        streams[topics[n % len(topics)]].append(telemetry_line(when, 225.0 + n % 100 / 10))
    return streams


def _pub_command(port: int, topic: str, qos: int) -> list[str]:
    return [MOSQUITTO_PUB, "-h", "127.0.0.1", "-p", str(port), "-q", str(qos),
            "-M", str(PUB_INFLIGHT), "-t", topic, "-l"]  # fmt: skip


def publish_one(port: int, topic: str, payload: str, qos: int = 1) -> None:
    """Publish one message and wait until the broker has it."""
    subprocess.run(
        [MOSQUITTO_PUB, "-h", "127.0.0.1", "-p", str(port), "-q", str(qos), "-t", topic,
         "-m", payload],
        check=True, timeout=10,
    )  # fmt: skip


class BurstPublisher:
    """Publishes prepared lines per topic as fast as possible, every topic in parallel.

    The lines are written to files first (`__init__`), so starting costs nothing;
    `start()` launches one mosquitto_pub per topic (its chunks run one after another) and
    `join()` waits for all of them and returns the seconds since `start()`.
    """

    def __init__(
        self, port: int, streams: Mapping[str, Sequence[str]], workdir: Path, qos: int = 1
    ) -> None:
        self._port, self._qos = port, qos
        self._files: dict[str, list[Path]] = {}
        for number, (topic, lines) in enumerate(streams.items()):
            paths = []
            for first in range(0, len(lines), CHUNK_LINES):
                path = workdir / f"burst-{number}-{first}.txt"
                path.write_text("".join(f"{line}\n" for line in lines[first : first + CHUNK_LINES]))
                paths.append(path)
            self._files[topic] = paths
        self._threads: list[threading.Thread] = []
        self._errors: list[str] = []
        self._lock = threading.Lock()
        self.started_at = 0.0
        #: When the last publisher exited (every message handed to the broker).
        self.finished_at = 0.0

    def _run(self, topic: str, paths: list[Path]) -> None:
        for path in paths:
            with path.open("rb") as lines:
                done = subprocess.run(
                    _pub_command(self._port, topic, self._qos),
                    stdin=lines,
                    capture_output=True,
                    check=False,
                )
            if done.returncode != 0:
                self._errors.append(f"{topic}: exit {done.returncode} {done.stderr[-300:]!r}")
        with self._lock:
            self.finished_at = max(self.finished_at, time.perf_counter())

    def start(self) -> None:
        self.started_at = time.perf_counter()
        for topic, paths in self._files.items():
            thread = threading.Thread(target=self._run, args=(topic, paths), daemon=True)
            thread.start()
            self._threads.append(thread)

    def join(self, timeout_s: float = 300.0) -> float:
        """Wait for every publisher; returns the seconds from `start()` until the last one
        exited. Raises if one failed."""
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                raise TimeoutError("mosquitto_pub did not finish in time")
        if self._errors:
            raise RuntimeError("publishing failed: " + "; ".join(self._errors))
        return self.finished_at - self.started_at


class PacedPublisher:
    """A background flow at `rate_per_s` messages per second, round-robin over `topics`.

    A thread writes due lines every 10 ms to one mosquitto_pub per topic; a process is
    replaced after CHUNK_LINES lines. `line(index)` makes the payload of message `index`.
    """

    def __init__(
        self,
        port: int,
        topics: Sequence[str],
        rate_per_s: float,
        line: Callable[[int], str],
        qos: int = 1,
    ) -> None:
        self._port, self._topics, self._rate, self._line, self._qos = (
            port, list(topics), rate_per_s, line, qos,
        )  # fmt: skip
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self.sent = 0
        self.started = 0.0
        #: mosquitto_pub processes that exited with an error (their messages may be lost).
        self.failures = 0

    def _spawn(self, topic: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            _pub_command(self._port, topic, self._qos),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
        )

    def _loop(self) -> None:
        procs = [self._spawn(topic) for topic in self._topics]
        counts = [0] * len(procs)
        retired: list[subprocess.Popen[bytes]] = []
        self.started = time.perf_counter()
        while not self._stop.is_set():
            due = int((time.perf_counter() - self.started) * self._rate)
            batches: list[list[str]] = [[] for _ in procs]
            for index in range(self.sent, due):
                batches[index % len(procs)].append(self._line(index) + "\n")
            self.sent = max(self.sent, due)
            for slot, lines in enumerate(batches):
                if not lines:
                    continue
                stdin = procs[slot].stdin
                assert stdin is not None
                stdin.write("".join(lines).encode())
                stdin.flush()
                counts[slot] += len(lines)
                if counts[slot] >= CHUNK_LINES - 1000:
                    stdin.close()
                    retired.append(procs[slot])
                    procs[slot], counts[slot] = self._spawn(self._topics[slot]), 0
            retired = self._reap(retired)
            time.sleep(0.01)
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.close()
        for proc in [*procs, *retired]:
            proc.wait(30)
        self._reap([*procs, *retired])

    def _reap(self, procs: list[subprocess.Popen[bytes]]) -> list[subprocess.Popen[bytes]]:
        """The processes still running; those that failed are counted in `failures`."""
        running = []
        for proc in procs:
            code = proc.poll()
            if code is None:
                running.append(proc)
            elif code != 0:
                self.failures += 1
        return running

    def start(self) -> None:
        self._thread.start()
        while not self.started:
            time.sleep(0.001)

    def stop(self) -> None:
        """Stop feeding and wait until every publisher has handed its messages over."""
        self._stop.set()
        self._thread.join(60)

    def rate(self) -> float:
        """Messages per second fed so far."""
        return self.sent / max(1e-9, time.perf_counter() - self.started)


@dataclass(frozen=True, slots=True)
class Yardstick:
    """What a C subscriber (`mosquitto_sub`) received."""

    received: int
    seconds: float
    publish_s: float

    @property
    def per_s(self) -> float:
        return self.received / self.seconds if self.seconds > 0 else 0.0


def _receive_span(path: Path) -> tuple[int, float]:
    stamps = path.read_text().split()
    if len(stamps) < 2:
        return len(stamps), 0.0
    return len(stamps), float(stamps[-1]) - float(stamps[0])


def _sub_command(port: int, client_id: str, topic: str) -> list[str]:
    return [MOSQUITTO_SUB, "-h", "127.0.0.1", "-p", str(port), "-q", "1", "-c",
            "-i", client_id, "-t", topic]  # fmt: skip


def yardstick(
    port: int, lines: Sequence[str], workdir: Path, topics: int = 4, drained: bool = False
) -> Yardstick:
    """`mosquitto_sub -q 1` receiving `lines` published to `bench/yard/<n>` by `topics`
    parallel publishers: messages per second from the first to the last received (the
    receive time of each, `-F %U`, is written by mosquitto_sub itself).

    `drained`: publish everything while the subscriber is away (its persistent session
    queues it), then measure how fast it drains: the receiving side with no publisher
    competing for the CPU.
    """
    client_id = f"yard-{'drain' if drained else 'live'}-{time.monotonic_ns()}"
    topic = f"bench/yard/{client_id}/#"
    subprocess.run([*_sub_command(port, client_id, topic), "-E"], check=True, timeout=10)
    streams = {
        f"bench/yard/{client_id}/{n}": lines[n::topics] for n in range(topics) if lines[n::topics]
    }
    publisher = BurstPublisher(port, streams, workdir)
    out = workdir / f"{client_id}.txt"
    command = [
        *_sub_command(port, client_id, topic),
        "-C",
        str(len(lines)),
        "-F",
        "%U",
        "-W",
        "300",
    ]
    publish_s = 0.0
    with out.open("w") as sink:
        if drained:
            publisher.start()
            publish_s = publisher.join()
        receiver = subprocess.Popen(command, stdout=sink)
        if not drained:
            time.sleep(0.5)  # connected and subscribed before the first message
            publisher.start()
            publish_s = publisher.join()
        receiver.wait(330)
    received, seconds = _receive_span(out)
    return Yardstick(received, seconds, publish_s)


def register_native_devices(
    database_url: str, device_ids: Sequence[str], kind: str = "power", building: str = "A"
) -> None:
    """Insert native devices straight into ingestor.devices (site demo, floors 1..10)."""
    with psycopg.connect(database_url) as conn, conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO ingestor.devices (device_id, kind, site, building, floor, format)"
            " VALUES (%s, %s, 'demo', %s, %s, 'native') ON CONFLICT (device_id) DO NOTHING",
            [(d, kind, building, str(n % 10 + 1)) for n, d in enumerate(device_ids)],
        )


def telemetry_rows(database_url: str) -> int:
    """Rows in ingestor.telemetry right now."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM ingestor.telemetry").fetchone()
    return int(row[0]) if row else 0


def wait_rows(
    database_url: str,
    target: int,
    *,
    timeout_s: float = 300.0,
    stall_s: float = 0.0,
    on_progress: Callable[[int, float], None] | None = None,
) -> tuple[int, float]:
    """Poll count(*) until it reaches `target` (or stops growing for `stall_s`, when that is
    set, or time runs out). Returns the last count and the perf_counter() it was seen at.

    Polls every 0.2 s, every 20 ms once within 5 % of the target; reports progress every 2 s.
    """
    deadline = time.monotonic() + timeout_s
    last, last_change, last_report = -1, time.monotonic(), time.monotonic()
    with psycopg.connect(database_url, autocommit=True) as conn:
        while True:
            row = conn.execute("SELECT count(*) FROM ingestor.telemetry").fetchone()
            seen_at = time.perf_counter()
            rows = int(row[0]) if row else 0
            now = time.monotonic()
            if rows != last:
                last, last_change = rows, now
            if on_progress is not None and now - last_report >= 2.0:
                on_progress(rows, seen_at)
                last_report = now
            if rows >= target or now > deadline or (stall_s and now - last_change > stall_s):
                return rows, seen_at
            time.sleep(0.02 if rows >= 0.95 * target else 0.2)


def broker_pid(port: int) -> int:
    """The pid of the mosquitto whose configuration listens on `port` (0 if none)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
            if not args[0].endswith(b"mosquitto") or b"-c" not in args:
                continue
            conf = Path(args[args.index(b"-c") + 1].decode())
            if f"listener {port} " in conf.read_text():
                return int(entry.name)
        except (OSError, IndexError, ValueError):
            continue
    return 0


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine has been busy so far (from /proc/stat): set
    against the processes a benchmark accounts for, it shows what else was running."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MiB (VmRSS), 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def metric_value(port: int, name: str) -> float:
    """The value of an unlabelled Prometheus sample from http://127.0.0.1:port/metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
        text: str = reply.read().decode()
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise LookupError(f"{name} not in the metrics on port {port}")


class Ingestor:
    """One ingestor process (`services.ingestor`) with its own ports and MQTT client id."""

    def __init__(
        self, database_url: str, broker_url: str, client_id: str, sink: IO[str], **extra: str
    ) -> None:
        env, _ = free_port_env(
            database_url,
            MQTT_URL=broker_url,
            INGESTOR_CLIENT_ID=client_id,
            LOG_LEVEL="WARNING",
            **extra,
        )
        self.client_id = client_id
        self.metrics_port = int(env["INGESTOR_METRICS_PORT"])
        self.stack = LocalStack(
            env=env, processes=(Process("ingestor", "services.ingestor"),), sink=sink
        )

    @property
    def pid(self) -> int:
        return self.stack.children["ingestor"].pid

    def start(self, timeout_s: float = 60.0) -> Ingestor:
        """Start the process and wait until its /metrics answers."""
        self.stack.start()
        self.stack.wait_ready(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout_s)
        return self

    def received(self) -> float:
        return metric_value(self.metrics_port, "ingestor_messages_received_total")

    def stop(self) -> None:
        self.stack.stop()


@contextmanager
def ingestors(
    database_url: str, broker_url: str, client_ids: Sequence[str], sink: IO[str], **extra: str
) -> Iterator[list[Ingestor]]:
    """Run one ingestor per client id (started together); stop them all on exit."""
    started = [Ingestor(database_url, broker_url, c, sink, **extra) for c in client_ids]
    try:
        for ingestor in started:
            ingestor.stack.start()
        for ingestor in started:
            ingestor.stack.wait_ready(f"http://127.0.0.1:{ingestor.metrics_port}/metrics", 60)
        yield started
    finally:
        for ingestor in started:
            ingestor.stop()


def wait_subscribed(
    port: int, replicas: Sequence[Ingestor], probe_device: str, timeout_s: float = 60.0
) -> int:
    """Publish probe telemetry for `probe_device` until every replica has taken in a
    message (so each holds its subscription); returns how many probes were sent."""
    deadline = time.monotonic() + timeout_s
    base = datetime.now(UTC) - timedelta(minutes=1)
    sent = 0
    while time.monotonic() < deadline:
        when = base + timedelta(milliseconds=sent)
        publish_one(port, f"maint/demo/{probe_device}/telemetry", telemetry_line(when, 230.0))
        sent += 1
        time.sleep(0.1)
        if all(_received_or_zero(r) > 0 for r in replicas):
            return sent
    raise TimeoutError("the ingestor replicas did not all take in a probe message")


def _received_or_zero(replica: Ingestor) -> float:
    try:
        return replica.received()
    except (OSError, LookupError):
        return 0.0


def scratch_dir() -> tempfile.TemporaryDirectory[str]:
    """A temporary directory for publisher input and subscriber output."""
    return tempfile.TemporaryDirectory(prefix="mqtt-bench-")
