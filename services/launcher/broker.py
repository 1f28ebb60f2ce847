"""A Mosquitto broker of our own, on a free port, for tests and benchmarks."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from services.launcher.stack import free_port

__all__ = ["CONFIG", "LocalBroker"]

#: The broker settings the system needs (see the file's comments).
CONFIG = Path(__file__).resolve().parents[2] / "config" / "mosquitto.conf"


class LocalBroker:
    """`with LocalBroker() as broker:` runs mosquitto with CONFIG on `broker.port`, its
    sessions and queued messages persisted in a directory of its own, so `restart()` (a
    graceful stop, which saves them, and a start on the same port) keeps them as a
    deployed broker with `persistence true` does."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._dir = tempfile.mkdtemp(prefix="mosquitto-")
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        lines = [
            line for line in CONFIG.read_text().splitlines() if not line.startswith("listener")
        ]
        if os.geteuid() == 0:  # mosquitto drops root for its own user, who saves the sessions
            shutil.chown(self._dir, "mosquitto")
        conf = Path(self._dir) / "mosquitto.conf"
        own = [f"listener {self.port} 127.0.0.1", "persistence true",
               f"persistence_location {self._dir}/"]  # fmt: skip
        conf.write_text("\n".join([*own, *lines]) + "\n")
        self._process = subprocess.Popen(
            [binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"mosquitto did not listen on {self.port}")

    def _terminate(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(10)

    def restart(self) -> None:
        """Stop gracefully (the broker saves its sessions) and start again on the port."""
        self._terminate()
        self.start()

    def stop(self) -> None:
        self._terminate()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> LocalBroker:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
