"""`python -m sensors_sim run` against a real Mosquitto started for the test."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from sensors_sim.fleet import build_fleet
from services.launcher.stack import free_port

ALERT_TYPES = {
    "leak", "moisture_high", "power_outage", "voltage_out_of_range", "elevator_fault",
    "door_faults", "entrapment",
}  # fmt: skip
DEVICES, SEED = 12, 3


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[int]:
    """A Mosquitto on a free port of 127.0.0.1; stopped by its PID afterwards."""
    port = free_port()
    config = tmp_path / "mosquitto.conf"
    config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    proc = subprocess.Popen(
        ["mosquitto", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None, "no mosquitto"
                time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Subscriber:
    """Collects every message under maint/demo/ with QoS 1."""

    def __init__(self, port: int) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, "sensors-sim-test")
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message
        self._client.connect("127.0.0.1", port)
        self._client.loop_start()
        assert self._ready.wait(10), "subscription not confirmed"

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: mqtt.ConnectFlags,
        reason: ReasonCode, properties: Properties | None,
    ) -> None:  # fmt: skip
        client.subscribe("maint/demo/#", qos=1)

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, reasons: list[ReasonCode],
        properties: Properties | None,
    ) -> None:  # fmt: skip
        self._ready.set()

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((message.topic, bytes(message.payload)))

    def by_channel(self, channel: str) -> list[tuple[str, dict[str, Any]]]:
        with self._lock:
            found = list(self.messages)
        return [(t.split("/")[2], json.loads(p)) for t, p in found if t.endswith("/" + channel)]

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


@pytest.fixture
def subscriber(broker: int) -> Iterator[Subscriber]:
    sub = Subscriber(broker)
    yield sub
    sub.close()


def _start(port: int, duration_s: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sensors_sim", "run", "--broker", f"mqtt://127.0.0.1:{port}",
         "--site", "demo", "--devices", str(DEVICES), "--rate", "60", "--seed", str(SEED),
         "--duration", str(duration_s), "--speed", "300000"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def _has_zone(value: str) -> bool:
    return datetime.fromisoformat(value).tzinfo is not None


def test_run_publishes_the_documented_topics_then_stops_by_itself(
    broker: int, subscriber: Subscriber
) -> None:
    proc = _start(broker, duration_s=5.5)
    output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert "messages sent" in output and output.rstrip().splitlines()[-1].startswith("stopped")
    time.sleep(0.3)  # the last deliveries
    ids = {d.device_id for d in build_fleet("demo", SEED, DEVICES)}

    statuses = subscriber.by_channel("status")
    assert [b["online"] for _, b in statuses] == [True] * DEVICES + [False] * DEVICES
    assert {d for d, _ in statuses} == ids and all(_has_zone(b["time"]) for _, b in statuses)

    telemetry = subscriber.by_channel("telemetry")
    assert 250 <= len(telemetry) <= 360  # 60 a second for 5.5 s
    assert {d for d, _ in telemetry} == ids
    for _, body in telemetry:
        assert set(body) == {"time", "metrics"} and _has_zone(body["time"])
        assert body["metrics"] and all(isinstance(v, int | float) for v in body["metrics"].values())

    alerts = subscriber.by_channel("alert")
    assert any(b["active"] for _, b in alerts), output
    for device_id, body in alerts:
        assert device_id in ids and body["type"] in ALERT_TYPES
        assert isinstance(body["time"], int | float) and isinstance(body["active"], bool)
        assert all(isinstance(v, int | float) for v in body["readings"].values())
    assert output.count("alert ") == len(alerts)


def test_ctrl_c_stops_cleanly_saying_offline(broker: int, subscriber: Subscriber) -> None:
    proc = _start(broker, duration_s=600)
    deadline = time.monotonic() + 10
    while len(subscriber.by_channel("telemetry")) < 30:
        assert time.monotonic() < deadline and proc.poll() is None, "no telemetry"
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=15)
    assert proc.returncode == 0, output
    time.sleep(0.3)
    offline = [d for d, b in subscriber.by_channel("status") if not b["online"]]
    assert sorted(offline) == sorted(d.device_id for d in build_fleet("demo", SEED, DEVICES))
