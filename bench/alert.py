"""`make bench-alert`: from a leak alert over MQTT to its ticket visible over REST, under load.

The whole system runs on free ports with its own broker and a fresh database. A background
flow of telemetry (default 5,000 msgs/s, paced, QoS 1) goes to a few power meters while,
K times, a leak sensor that has not alerted before publishes `maint/demo/<dev>/alert`
{"time": ..., "type": "leak"}; each opens a new ticket. The latency is from the publish to
the first `GET /v1/tickets?source=sensor&device_id=<dev>` (polled every 5 ms) that lists it.

Every leak sensor has a floor of its own (building BENCH, added to the demo site), so no
alert rolls up into another's ticket. A few alerts first warm the path up and are not
counted. Target: p99 <= 100 ms. The last line is `key=value` figures, with the ingestor's
resident memory at the end of the measurement (`rss_mb`).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.enums import CallbackAPIVersion

from bench.cpu import cpu_seconds, postgres_cpu_seconds
from bench.database import bench_database
from bench.mqtt_load import (
    PacedPublisher,
    broker_pid,
    machine_busy_seconds,
    metric_value,
    rss_mb,
    telemetry_line,
    telemetry_rows,
)
from services.launcher.broker import LocalBroker
from services.launcher.stack import LocalStack, free_port_env

BUILDING = "BENCH"
POLL_S = 0.005


def _add_floors(database_url: str, floors: int) -> None:
    """A building of the demo site with `floors` floors, one per leak sensor."""
    with psycopg.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO intake.buildings (site, code, name) VALUES ('demo', %s, 'Benchmark')",
            (BUILDING,),
        )
        cur.executemany(
            "INSERT INTO intake.floors (site, building, code) VALUES ('demo', %s, %s)",
            [(BUILDING, str(n)) for n in range(1, floors + 1)],
        )


def _register(api: httpx.Client, device_id: str, kind: str, building: str, floor: str) -> None:
    body = {"kind": kind, "location": {"site": "demo", "building": building, "floor": floor}}
    reply = api.put(f"/v1/devices/{device_id}", json=body)
    if reply.status_code not in (200, 201):
        raise RuntimeError(f"PUT /v1/devices/{device_id}: {reply.status_code} {reply.text}")


class TicketMissing(TimeoutError):
    """An alert's ticket did not show up in time."""

    def __init__(self, device_id: str, timeout_s: float) -> None:
        super().__init__(f"no ticket for {device_id} after {timeout_s}s")
        self.device_id = device_id
        self.waited_ms = timeout_s * 1000


class _Prober:
    """Publishes leak alerts and polls the REST API for their tickets, counting the polls."""

    def __init__(self, api: httpx.Client, mqttc: mqtt.Client, timeout_s: float) -> None:
        self._api, self._mqttc, self._timeout_s = api, mqttc, timeout_s
        self.polls = 0
        self.poll_s = 0.0

    def _listed(self, device_id: str) -> bool:
        started = time.perf_counter()
        reply = self._api.get("/v1/tickets", params={"source": "sensor", "device_id": device_id})
        reply.raise_for_status()
        self.polls += 1
        self.poll_s += time.perf_counter() - started
        return bool(reply.json()["items"])

    def alert(self, device_id: str) -> float:
        """Publish a leak alert for the device; milliseconds until its ticket is listed."""
        payload = f'{{"time": "{datetime.now(UTC).isoformat()}", "type": "leak"}}'
        started = time.perf_counter()
        info = self._mqttc.publish(f"maint/demo/{device_id}/alert", payload, qos=1)
        while not self._listed(device_id):
            if time.perf_counter() - started > self._timeout_s:
                raise TicketMissing(device_id, self._timeout_s)
            time.sleep(POLL_S)
        elapsed_ms = (time.perf_counter() - started) * 1000
        info.wait_for_publish(5)
        return elapsed_ms

    def summary(self, alerts: int) -> str:
        return (
            f"{self.polls} polls, {self.polls / max(1, alerts):.1f} per alert, each GET"
            f" {self.poll_s * 1000 / max(1, self.polls):.1f} ms on average"
        )


def _breakdown(database_url: str, devices: list[str]) -> str:
    """Where the time went, from the timestamps the services stored (each a transaction's
    start): the alert's own time (taken just before publishing), the ingest transaction
    that queued the ticket, the ticket's creation in intake, the outbox marking it done."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT extract(epoch FROM o.created_at - i.opened_at) * 1000,"
            " extract(epoch FROM t.created_at - o.created_at) * 1000,"
            " extract(epoch FROM o.done_at - t.created_at) * 1000"
            " FROM ingestor.incidents i"
            " JOIN ingestor.ticket_outbox o ON o.incident_id = i.id AND o.action = 'open'"
            " JOIN intake.tickets t ON t.id = i.ticket_id WHERE i.devices[1] = ANY(%s)",
            (devices,),
        ).fetchall()
    stages = ("publish -> ingest transaction", "-> ticket created", "-> outbox done")
    return (
        "; ".join(
            f"{stage} p50 {_pct([float(r[n]) for r in rows], 50):.1f} ms,"
            f" p99 {_pct([float(r[n]) for r in rows], 99):.1f} ms"
            for n, stage in enumerate(stages)
        )
        if rows
        else "no tickets found"
    )


def _trace(database_url: str, device_id: str) -> str:
    """What the database says about one device's alert: for a ticket that never showed."""
    with psycopg.connect(database_url) as conn:
        signals = conn.execute(
            "SELECT count(*) FROM ingestor.alert_signals WHERE device_id = %s", (device_id,)
        ).fetchone()
        outbox = conn.execute(
            "SELECT o.action || ' attempts ' || o.attempts || ' done ' || (o.done_at IS NOT NULL)"
            " || coalesce(' error ' || nullif(o.last_error, ''), '')"
            " FROM ingestor.ticket_outbox o JOIN ingestor.incidents i ON i.id = o.incident_id"
            " WHERE %s = ANY(i.devices)",
            (device_id,),
        ).fetchall()
        letters = conn.execute(
            "SELECT reason FROM ingestor.dead_letters WHERE topic LIKE %s", (f"%/{device_id}/%",)
        ).fetchall()
    return (
        f"stored for {device_id}: {signals[0] if signals else 0} alert signal(s),"
        f" outbox {[r[0] for r in outbox]}, dead letters {[r[0] for r in letters]}"
    )


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def _cpu(stack: LocalStack, broker: LocalBroker) -> dict[str, float]:
    shot = {name: cpu_seconds(child.pid) for name, child in stack.children.items()}
    shot["postgres"] = postgres_cpu_seconds()
    shot["broker"] = cpu_seconds(broker_pid(broker.port))
    shot["bench"] = time.process_time()
    shot["whole machine"] = machine_busy_seconds()
    return shot


def _alerts(
    prober: _Prober,
    device_ids: list[str],
    status: Callable[[], str],
    trace: Callable[[str], str],
    give_up_after: int = 3,
) -> tuple[list[float], int]:
    """One alert per device in turn, with a random pause of up to 50 ms between them;
    progress every 10 alerts ends with `status()`. An alert whose ticket does not show in
    time counts with the time waited (a lower bound); after `give_up_after` of those the
    run stops. Returns the latencies and how many were missed."""
    rng = random.Random(7)
    latencies: list[float] = []
    missed = 0
    for device_id in device_ids:
        try:
            latencies.append(prober.alert(device_id))
        except TicketMissing as exc:
            missed += 1
            latencies.append(exc.waited_ms)
            print(f"  {exc}; {status()}; {trace(device_id)}", flush=True)
            if missed >= give_up_after:
                print(f"  giving up after {missed} missing tickets", flush=True)
                break
        if len(latencies) % 10 == 0:
            recent = latencies[-10:]
            print(f"  {len(latencies):>4} alerts: last 10 p50 {statistics.median(recent):.1f} ms,"
                  f" max {max(recent):.1f} ms; {status()}", flush=True)  # fmt: skip
        time.sleep(rng.uniform(0, 0.05))
    return latencies, missed


def _flow_status(flow: PacedPublisher, database_url: str, metrics_port: int) -> str:
    """Telemetry fed so far, taken in by the ingestor (its /metrics) and stored."""
    received = metric_value(metrics_port, "ingestor_messages_received_total")
    return (
        f"telemetry fed {flow.sent}, taken in by the ingestor {received:.0f},"
        f" stored {telemetry_rows(database_url)}, failed publishers {flow.failures}"
    )


def _flow(port: int, device_ids: list[str], rate: float) -> PacedPublisher:
    """Telemetry at `rate` msgs/s over the devices, each message timed as it is due."""
    start = datetime.now(UTC)
    step = timedelta(seconds=1 / max(rate, 1.0))
    return PacedPublisher(
        port,
        [f"maint/demo/{d}/telemetry" for d in device_ids],
        rate,
        lambda i: telemetry_line(start + i * step, 225.0 + i % 100 / 10),
    )


def _measure(
    database_url: str, args: argparse.Namespace
) -> tuple[list[float], int, float, float, float]:
    """Latencies (ms) of the counted alerts, how many tickets never showed, the rows/s stored
    and msgs/s fed meanwhile, and the ingestor's resident memory (MiB) at the end."""
    env, base = free_port_env(database_url, LOG_LEVEL="WARNING")
    ingestor_metrics = int(env["INGESTOR_METRICS_PORT"])
    meters = [f"bench-meter-{n}" for n in range(args.meters)]
    leaks = [f"bench-leak-{n}" for n in range(args.warmup + args.alerts)]
    with (
        open(args.log or os.devnull, "w") as sink,
        LocalBroker() as broker,
        LocalStack(env={**env, "MQTT_URL": broker.url}, sink=sink) as stack,
    ):
        stack.wait_ready(f"{base}/readyz", timeout_s=60)
        form = {"username": "admin", "password": "demo"}
        token = httpx.post(f"{base}/v1/auth/token", data=form).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=10) as api:
            for n, device_id in enumerate(meters):
                _register(api, device_id, "power", "A", str(n % 10 + 1))
            for n, device_id in enumerate(leaks):
                _register(api, device_id, "leak", BUILDING, str(n + 1))
            print(f"registered {len(meters)} meters and {len(leaks)} leak sensors over REST",
                  flush=True)  # fmt: skip
            flow = _flow(broker.port, meters, args.rate)
            mqttc = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-alert-{os.getpid()}")
            mqttc.connect("127.0.0.1", broker.port)
            mqttc.loop_start()
            flow.start()
            try:
                time.sleep(3.0)
                if args.rate > 0 and telemetry_rows(database_url) == 0:
                    raise RuntimeError("the background telemetry is not being stored")
                for device_id in leaks[: args.warmup]:
                    _Prober(api, mqttc, args.timeout).alert(device_id)
                print(f"flow at {flow.rate():.0f} msgs/s; {args.warmup} warm-up alerts done;"
                      f" measuring {args.alerts}", flush=True)  # fmt: skip
                prober = _Prober(api, mqttc, args.timeout)
                rows0, sent0, cpu0 = telemetry_rows(database_url), flow.sent, _cpu(stack, broker)
                t0 = time.perf_counter()
                latencies, missed = _alerts(
                    prober,
                    leaks[args.warmup :],
                    lambda: _flow_status(flow, database_url, ingestor_metrics),
                    lambda device_id: _trace(database_url, device_id),
                )
                seconds = time.perf_counter() - t0
                rows1, sent1, cpu1 = telemetry_rows(database_url), flow.sent, _cpu(stack, broker)
                ingestor_rss = rss_mb(stack.children["ingestor"].pid)
            finally:
                flow.stop()
                mqttc.disconnect()
                mqttc.loop_stop()
    cpu = ", ".join(f"{k} {(cpu1[k] - cpu0[k]) / seconds * 100:.0f}%" for k in cpu0)
    print(f"CPU during the measurement (share of one core): {cpu}")
    print(prober.summary(len(latencies)))
    return latencies, missed, (rows1 - rows0) / seconds, (sent1 - sent0) / seconds, ingestor_rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alerts", type=int, default=100, help="alerts measured (K)")
    parser.add_argument("--rate", type=float, default=5000, help="background telemetry msgs/s")
    parser.add_argument("--meters", type=int, default=4, help="devices the telemetry comes from")
    parser.add_argument("--warmup", type=int, default=3, help="alerts sent first, not counted")
    parser.add_argument("--timeout", type=float, default=30, help="seconds to wait per ticket")
    parser.add_argument("--log", default="", help="write the services' output to this file")
    args = parser.parse_args()

    with bench_database() as database_url:
        _add_floors(database_url, args.warmup + args.alerts)
        latencies, missed, stored_per_s, fed_per_s, ingestor_rss = _measure(database_url, args)
        measured = [f"bench-leak-{n}" for n in range(args.warmup, args.warmup + args.alerts)]
        print(f"stages (from stored timestamps): {_breakdown(database_url, measured)}")
    print(
        f"{len(latencies)} alerts: p50 {_pct(latencies, 50):.1f} ms, p90 {_pct(latencies, 90):.1f}"
        f" ms, p99 {_pct(latencies, 99):.1f} ms, max {max(latencies):.1f} ms;"
        f" telemetry stored {stored_per_s:.0f} rows/s (fed {fed_per_s:.0f} msgs/s);"
        f" {missed} ticket(s) never showed within {args.timeout:.0f}s"
    )
    print(
        f"p50_ms={_pct(latencies, 50):.1f} p99_ms={_pct(latencies, 99):.1f} "
        f"telemetry_per_s={stored_per_s:.0f} alerts={len(latencies)} rss_mb={ingestor_rss:.0f}"
    )


if __name__ == "__main__":
    main()
