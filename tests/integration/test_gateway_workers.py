"""With several gateway workers, /metrics counts every worker's requests, not only those
of the worker that happens to answer the scrape."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
from prometheus_client.parser import text_string_to_metric_families

from services.launcher.stack import free_port


def _healthz_count(text: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "http_requests_total" and sample.labels.get("route") == "/healthz"
    )


def test_metrics_sum_every_workers_requests() -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "PROMETHEUS_"))}
    gateway = subprocess.Popen(
        [sys.executable, "-m", "services.gateway"],
        env={**env, "GATEWAY_PORT": str(port), "GATEWAY_WORKERS": "3", "GATEWAY_DEV_MODE": "true"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        sent, deadline = 0, time.monotonic() + 30
        while True:  # until it answers; every answered /healthz counts
            try:
                sent += httpx.get(f"{base}/healthz", timeout=2).status_code == 200
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the gateway did not start"
                time.sleep(0.2)
        for _ in range(60):  # a new connection each: the workers share them out
            sent += httpx.get(f"{base}/healthz", timeout=5).status_code == 200
        time.sleep(2)  # a worker still starting answers no scrape
        scrapes = {_healthz_count(httpx.get(f"{base}/metrics", timeout=5).text) for _ in range(6)}
        assert scrapes == {float(sent)}
    finally:
        gateway.send_signal(signal.SIGTERM)
        gateway.wait(20)
