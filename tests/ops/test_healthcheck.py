"""config/container/healthcheck.py, the image's HEALTHCHECK, against a real gRPC health
server and a closed port."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from services.launcher.stack import free_port
from tests.ops.support import ROOT

SCRIPT = ROOT / "config" / "container" / "healthcheck.py"


def _check(url: str) -> int:
    env = {**os.environ, "HEALTHCHECK_URL": url}
    return subprocess.run(
        [sys.executable, str(SCRIPT)], check=False, env=env, capture_output=True, timeout=30
    ).returncode


@pytest.fixture
def server() -> Iterator[tuple[health.HealthServicer, int]]:
    grpc_server = grpc.server(ThreadPoolExecutor(max_workers=2))
    servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, grpc_server)
    port = grpc_server.add_insecure_port("127.0.0.1:0")
    grpc_server.start()
    yield servicer, port
    grpc_server.stop(0)


def test_grpc_healthy_only_while_serving(server: tuple[health.HealthServicer, int]) -> None:
    servicer, port = server
    servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    assert _check(f"grpc://127.0.0.1:{port}") == 0
    servicer.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
    assert _check(f"grpc://127.0.0.1:{port}") == 1


def test_nothing_listening_is_unhealthy() -> None:
    port = free_port()
    assert _check(f"grpc://127.0.0.1:{port}") == 1
    assert _check(f"http://127.0.0.1:{port}/healthz") == 1
    assert _check("") == 1
