"""Run the system's processes on this machine: used by `make run`, the e2e tests and benchmarks."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from types import TracebackType
from typing import IO

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

__all__ = ["PROCESSES", "LocalStack", "Process", "free_port", "free_port_env", "free_ports"]


@dataclass(frozen=True, slots=True)
class Process:
    """`python -m <module> <args...>`, its output prefixed with `name`; `env` adds to or
    overrides the stack's environment for this process alone (a second replica's ports)."""

    name: str
    module: str
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict, hash=False)


#: Every process of the system, in start order. New services join here.
PROCESSES = (
    Process("intake", "services.intake"),
    Process("notification", "services.notification"),
    Process("sla", "services.sla"),
    Process("dispatch", "services.dispatch"),
    Process("analytics", "services.analytics"),
    Process("ingestor", "services.ingestor"),
    Process("predictor", "services.predictor"),
    Process("gateway", "services.gateway"),
)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """`count` different TCP ports on 127.0.0.1 that nothing listens on right now.

    Every socket stays bound until all are chosen: asked one at a time, the kernel may
    hand out the same free port twice.
    """
    with ExitStack() as stack:
        socks = [stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
                 for _ in range(count)]  # fmt: skip
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]


def free_port_env(database_url: str, **extra: str) -> tuple[dict[str, str], str]:
    """Environment that runs every process against `database_url` on free ports, and the
    gateway's base URL. `extra` adds or overrides variables (MQTT_URL among them)."""
    ports = iter(free_ports(15))
    intake_port, ingestor_port, gateway_port = next(ports), next(ports), next(ports)
    notification_port, sla_port, dispatch_port = next(ports), next(ports), next(ports)
    analytics_port, predictor_port = next(ports), next(ports)
    env = {
        "DATABASE_URL": database_url,
        "INTAKE_GRPC_PORT": str(intake_port),
        "INTAKE_METRICS_PORT": str(next(ports)),
        "INGESTOR_GRPC_PORT": str(ingestor_port),
        "INGESTOR_METRICS_PORT": str(next(ports)),
        "INGESTOR_INTAKE_TARGET": f"127.0.0.1:{intake_port}",
        "GATEWAY_PORT": str(gateway_port),
        "GATEWAY_DEV_MODE": "true",
        "GATEWAY_INTAKE_TARGET": f"127.0.0.1:{intake_port}",
        "GATEWAY_INGESTOR_TARGET": f"127.0.0.1:{ingestor_port}",
        "NOTIFICATION_GRPC_PORT": str(notification_port),
        "NOTIFICATION_METRICS_PORT": str(next(ports)),
        "NOTIFICATION_INTAKE_TARGET": f"127.0.0.1:{intake_port}",
        "GATEWAY_NOTIFICATION_TARGET": f"127.0.0.1:{notification_port}",
        "SLA_GRPC_PORT": str(sla_port),
        "SLA_METRICS_PORT": str(next(ports)),
        "SLA_INTAKE_TARGET": f"127.0.0.1:{intake_port}",
        "GATEWAY_SLA_TARGET": f"127.0.0.1:{sla_port}",
        "DISPATCH_GRPC_PORT": str(dispatch_port),
        "DISPATCH_METRICS_PORT": str(next(ports)),
        "DISPATCH_INTAKE_TARGET": f"127.0.0.1:{intake_port}",
        "GATEWAY_DISPATCH_TARGET": f"127.0.0.1:{dispatch_port}",
        "ANALYTICS_GRPC_PORT": str(analytics_port),
        "ANALYTICS_METRICS_PORT": str(next(ports)),
        "ANALYTICS_INTAKE_TARGET": f"127.0.0.1:{intake_port}",
        "ANALYTICS_DISPATCH_TARGET": f"127.0.0.1:{dispatch_port}",
        "ANALYTICS_SLA_TARGET": f"127.0.0.1:{sla_port}",
        "GATEWAY_ANALYTICS_TARGET": f"127.0.0.1:{analytics_port}",
        "PREDICTOR_GRPC_PORT": str(predictor_port),
        "PREDICTOR_METRICS_PORT": str(next(ports)),
        "PREDICTOR_INTAKE_TARGET": f"127.0.0.1:{intake_port}",
        "PREDICTOR_INGESTOR_TARGET": f"127.0.0.1:{ingestor_port}",
        "GATEWAY_PREDICTOR_TARGET": f"127.0.0.1:{predictor_port}",
        **extra,
    }
    return env, f"http://127.0.0.1:{gateway_port}"


def _pump(name: str, stream: IO[str], sink: IO[str]) -> None:
    for line in iter(stream.readline, ""):
        sink.write(f"{name:>8} | {line}")
        sink.flush()


@dataclass
class LocalStack:
    """Starts `processes` with `env` added to this environment; stops them on exit.

    Output goes to `sink` with each line prefixed by the process name.
    """

    env: Mapping[str, str]
    processes: tuple[Process, ...] = PROCESSES
    sink: IO[str] = field(default_factory=lambda: sys.stdout)
    children: dict[str, subprocess.Popen[str]] = field(default_factory=dict)
    _pumps: dict[str, threading.Thread] = field(default_factory=dict)
    _started: dict[str, Process] = field(default_factory=dict)

    def start(self) -> None:
        for proc in self.processes:
            self.add(proc)

    def add(self, proc: Process) -> None:
        """Start one more process under this stack."""
        child = subprocess.Popen(
            [sys.executable, "-m", proc.module, *proc.args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **self.env, **proc.env},
        )
        assert child.stdout is not None
        pump = threading.Thread(
            target=_pump, args=(proc.name, child.stdout, self.sink), daemon=True
        )
        pump.start()
        self.children[proc.name] = child
        self._pumps[proc.name] = pump
        self._started[proc.name] = proc

    def restart(self, name: str) -> None:
        """Start a process of this stack that has exited again, as it was started."""
        if self.children[name].poll() is None:
            raise RuntimeError(f"{name} is still running")
        self.add(self._started[name])

    def kill(self, name: str) -> None:
        """SIGKILL one process (no graceful stop), wait for it and drain its output."""
        child = self.children[name]
        child.kill()
        child.wait(10)
        self._pumps[name].join(10)
        if child.stdout:
            child.stdout.close()

    def wait_ready(self, url: str, timeout_s: float = 30.0) -> None:
        """Poll `url` until it answers 200; raise if a process dies or time runs out."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            dead = self.exited()
            if dead:
                raise RuntimeError(f"{dead} exited before the system was ready")
            try:
                with urllib.request.urlopen(url, timeout=1) as reply:
                    if reply.status == 200:
                        return
            except (urllib.error.URLError, http.client.HTTPException, OSError):
                pass  # not listening yet, or something else answers there: try again
            time.sleep(0.2)
        raise TimeoutError(f"{url} not ready after {timeout_s}s")

    def wait_serving(self, target: str, timeout_s: float = 30.0) -> None:
        """Ask the gRPC health service at `target` until it says SERVING; raise if a process
        dies or time runs out."""
        deadline = time.monotonic() + timeout_s
        request = health_pb2.HealthCheckRequest(service="")
        with grpc.insecure_channel(target) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            while time.monotonic() < deadline:
                dead = self.exited()
                if dead:
                    raise RuntimeError(f"{dead} exited before it was serving")
                try:
                    reply = stub.Check(request, timeout=1)
                    if reply.status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.RpcError:
                    pass  # not listening yet, or not serving yet: try again
                time.sleep(0.1)
        raise TimeoutError(f"{target} not serving after {timeout_s}s")

    def exited(self) -> str:
        """The name of a process that has exited, or ''."""
        for name, child in self.children.items():
            if child.poll() is not None:
                return name
        return ""

    def stop(self, timeout_s: float = 10.0) -> None:
        """SIGTERM every process, then SIGKILL what is still there after `timeout_s`."""
        for child in self.children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for child in self.children.values():
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            if child.stdout:
                child.stdout.close()

    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
