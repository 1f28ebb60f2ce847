"""Start the whole system on one machine and stop it cleanly on Ctrl-C.

Each service runs as its own process (`python -m services.<name>`); their output is
prefixed with the process name. New services join by adding a line to `PROCESSES`.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from types import FrameType

from services.common.logs import configure_logging
from services.common.migrate import migrate
from services.common.settings import ServiceSettings
from services.intake.demo import DEMO_PASSWORD, DEMO_USERS, seed_demo

__all__ = ["PROCESSES", "main"]

log = logging.getLogger("launcher")


@dataclass(frozen=True, slots=True)
class Process:
    name: str
    module: str


PROCESSES = (
    Process("intake", "services.intake"),
    Process("gateway", "services.gateway"),
)


def _pump(name: str, stream: object) -> None:
    for line in iter(stream.readline, ""):  # type: ignore[attr-defined]
        sys.stdout.write(f"{name:>8} | {line}")
        sys.stdout.flush()


def _start(proc: Process) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-m", proc.module],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    threading.Thread(target=_pump, args=(proc.name, child.stdout), daemon=True).start()
    return child


def _banner() -> None:
    users = ", ".join(f"{name} ({role})" for name, (role, *_rest) in DEMO_USERS.items())
    print(
        f"""
Demo users (password '{DEMO_PASSWORD}'): {users}
  TOKEN=$(curl -s -d username=tenant1 -d password=demo http://127.0.0.1:8080/v1/auth/token | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  curl -s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/v1/tickets
API docs: http://127.0.0.1:8080/docs   Ctrl-C stops everything.
""",
        flush=True,
    )


def main() -> None:
    settings = ServiceSettings()
    configure_logging(settings.log_level, settings.log_format, "launcher")
    migrate(settings.database_url)
    seed_demo(settings.database_url)
    children = {proc.name: _start(proc) for proc in PROCESSES}
    stopping = threading.Event()

    def stop(signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    _banner()
    while not stopping.is_set():
        for name, child in children.items():
            if child.poll() is not None:
                log.error("%s exited with code %s; stopping the rest", name, child.returncode)
                stopping.set()
        time.sleep(0.2)
    log.info("stopping %s", ", ".join(children))
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    for child in children.values():
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
    log.info("all stopped")
