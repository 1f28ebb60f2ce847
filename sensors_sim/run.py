"""Live telemetry over MQTT: `python -m sensors_sim run`.

The fleet reports in turn at `rate` telemetry messages a second (QoS 1). Simulated time
runs `speed` times faster than the wall clock so that the failures planted in the run's
window (one of each mode per building) degrade, strike and clear within a short demo;
payloads carry the wall-clock time, since the ingestor refuses times in the future. Each
device says it is online at the start and offline at a clean stop (retained); a failure
sends explicit alert messages when it strikes and when it clears.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple, TextIO
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from sensors_sim.failures import MODES, SITE_TZ
from sensors_sim.fleet import Device, build_fleet
from sensors_sim.payloads import alert_payload, status_payload, telemetry_payload, topic
from sensors_sim.world import World

__all__ = ["BrokerUrl", "RunOptions", "RunStats", "parse_broker", "run"]

_CONNECT_TIMEOUT_S = 10.0
_FLUSH_TIMEOUT_S = 10.0
_TICK_S = 0.05


@dataclass(frozen=True, slots=True)
class RunOptions:
    """What to simulate and how fast."""

    broker: str = "mqtt://127.0.0.1:1883"
    site: str = "demo"
    devices: int | None = None
    #: Telemetry messages a second, over the whole fleet.
    rate: float = 50.0
    duration_s: float = 600.0
    seed: int = 0
    #: Simulated seconds per wall-clock second.
    speed: float = 720.0
    progress_every_s: float = 5.0


@dataclass(frozen=True, slots=True)
class RunStats:
    """What a run sent: messages queued and acknowledged by the broker, alerts among them."""

    queued: int
    acked: int
    alerts: int


class BrokerUrl(NamedTuple):
    """Where the broker is and how to sign in."""

    host: str
    port: int
    username: str = ""
    password: str = ""
    tls: bool = False


def parse_broker(url: str) -> BrokerUrl:
    """`mqtt://[user:password@]host[:port]` (port 1883) or `mqtts://...` (TLS, port 8883)."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ValueError(f"broker must look like mqtt[s]://[user:password@]host:port, not {url!r}")
    tls = parts.scheme == "mqtts"
    return BrokerUrl(parts.hostname, parts.port or (8883 if tls else 1883),
                     unquote(parts.username or ""), unquote(parts.password or ""), tls)  # fmt: skip


class _Publisher:
    """One paho client with its network thread; counts what the broker acknowledged."""

    def __init__(self, broker: BrokerUrl) -> None:
        host, port = broker.host, broker.port
        self.queued = self.acked = 0
        self._connected = threading.Event()
        self._refused = ""
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, f"sensors_sim-{os.getpid()}")
        self._client.max_inflight_messages_set(500)
        if broker.username:
            self._client.username_pw_set(broker.username, broker.password or None)
        if broker.tls:
            self._client.tls_set()
        self._client.on_connect = self._on_connect
        self._client.on_publish = self._on_publish
        self._client.connect(host, port)
        self._client.loop_start()
        if not self._connected.wait(_CONNECT_TIMEOUT_S) or self._refused:
            self.close()
            raise ConnectionError(f"broker {host}:{port} did not accept us {self._refused}")

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: mqtt.ConnectFlags,
        reason: ReasonCode, properties: Properties | None,
    ) -> None:  # fmt: skip
        if reason.is_failure:
            self._refused = str(reason)
        self._connected.set()

    def _on_publish(
        self, client: mqtt.Client, userdata: Any, mid: int, reason: ReasonCode,
        properties: Properties,
    ) -> None:  # fmt: skip
        self.acked += 1

    def publish(self, name: str, payload: bytes, retain: bool = False) -> None:
        self._client.publish(name, payload, qos=1, retain=retain)
        self.queued += 1

    def flush(self, timeout_s: float) -> None:
        """Wait until the broker has acknowledged everything or `timeout_s` passes."""
        deadline = time.monotonic() + timeout_s
        while self.acked < self.queued and time.monotonic() < deadline:
            time.sleep(0.01)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


def _say(out: TextIO, text: str) -> None:
    out.write(text + "\n")
    out.flush()


def _statuses(pub: _Publisher, site: str, fleet: list[Device], online: bool) -> None:
    payload = status_payload(datetime.now(SITE_TZ), online)
    for device in fleet:
        pub.publish(topic(site, device.device_id, "status"), payload, retain=True)


class _Simulation:
    """The fleet in simulated time, sending what is due at each tick of the wall clock."""

    def __init__(self, options: RunOptions, out: TextIO) -> None:
        self.options, self.out = options, out
        self.fleet = build_fleet(options.site, options.seed, options.devices)
        self.span = timedelta(seconds=options.duration_s * options.speed)
        self.start = datetime.now(SITE_TZ)
        gaps = dict.fromkeys(MODES, self.span)  # one failure of each mode per building
        self.world = World(self.fleet, options.seed, epoch=self.start, gaps=gaps)
        self.alerts = deque(self.world.alerts(self.start, self.start + self.span))
        self.every_s = len(self.fleet) / options.rate
        self.telemetry = self.sent_alerts = 0
        self._last: dict[str, float] = {}
        self._turn = itertools.cycle(self.fleet)

    def describe(self) -> str:
        planted = len(self.world.failures(self.start, self.start + self.span))
        return (
            f"{len(self.fleet)} devices, each reporting every {self.every_s:.1f} s; simulating"
            f" {self.span / timedelta(days=1):.1f} days in {self.options.duration_s:g} s with"
            f" {planted} failures planted"
        )

    def tick(self, pub: _Publisher, elapsed: float) -> float:
        """Send the alerts and telemetry due `elapsed` wall seconds in; returns the
        simulated time."""
        site = self.options.site
        sim_ts = self.start.timestamp() + elapsed * self.options.speed
        now = datetime.now(SITE_TZ)
        while self.alerts and self.alerts[0].time.timestamp() <= sim_ts:
            alert = self.alerts.popleft()
            pub.publish(topic(site, alert.device_id, "alert"), alert_payload(now, alert))
            self.sent_alerts += 1
            state = "raised" if alert.active else "cleared"
            _say(self.out, f"alert {alert.type} {state} on {alert.device_id} ({alert.detail})")
        for _ in range(int(elapsed * self.options.rate) - self.telemetry):
            device = next(self._turn)
            since = self._last.get(device.device_id, sim_ts - self.every_s * self.options.speed)
            self._last[device.device_id] = sim_ts
            metrics = self.world.sample(device, sim_ts, sim_ts - since)
            pub.publish(topic(site, device.device_id, "telemetry"), telemetry_payload(now, metrics))
            self.telemetry += 1
        return sim_ts


def run(
    options: RunOptions, stop: threading.Event | None = None, out: TextIO = sys.stdout
) -> RunStats:
    """Publish until `duration_s` passes or `stop` is set; then say offline and disconnect."""
    stop = stop or threading.Event()
    sim = _Simulation(options, out)
    _say(out, sim.describe())
    pub = _Publisher(parse_broker(options.broker))
    try:
        _statuses(pub, options.site, sim.fleet, True)
        started = time.monotonic()
        report_at = options.progress_every_s
        while not stop.is_set() and (elapsed := time.monotonic() - started) < options.duration_s:
            sim_ts = sim.tick(pub, elapsed)
            if elapsed >= report_at:
                report_at += options.progress_every_s
                _say(out, f"[{elapsed:6.1f}s] simulated {datetime.fromtimestamp(sim_ts, SITE_TZ):%Y-%m-%d %H:%M}:"
                          f" {pub.queued} messages sent, {pub.acked} acknowledged"
                          f" ({pub.queued / elapsed:.1f}/s), {sim.sent_alerts} alerts")  # fmt: skip
            stop.wait(_TICK_S)
        _statuses(pub, options.site, sim.fleet, False)
        pub.flush(_FLUSH_TIMEOUT_S)
    finally:
        pub.close()
    _say(out, f"stopped: {pub.queued} messages sent, {pub.acked} acknowledged,"
              f" {sim.sent_alerts} alerts")  # fmt: skip
    return RunStats(pub.queued, pub.acked, sim.sent_alerts)
