"""A PostgreSQL server of our own (the machine's binaries, a temporary data directory, a
free loopback port) that a test may restart or stop without touching anyone else's.

PostgreSQL refuses to run as root: under root the cluster belongs to the `postgres` user
and every server command runs as that user (`runuser`).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import psycopg

from services.launcher.stack import free_port

__all__ = ["PrivatePostgres"]

_OWNER = "postgres"
#: Settings of a server that only tests use. `fsync=off` spares the disk and loses nothing
#: when the server crashes (only when the machine does); `synchronous_commit` stays on: a
#: commit acknowledged before its WAL is written would vanish in an immediate restart.
_SETTINGS = ("fsync=off", "max_connections=300", "shared_buffers=64MB")


def _bin(name: str) -> str:
    """The newest installed PostgreSQL's `name` (initdb, pg_ctl), or the one on PATH."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_major)
    return found[-1] if found else (shutil.which(name) or name)


def _major(path: str) -> int:
    version = Path(path).parents[1].name  # /usr/lib/postgresql/<version>/bin/<name>
    return int(version) if version.isdigit() else 0


class PrivatePostgres:
    """`with PrivatePostgres() as pg:` runs a server on `pg.port` (trust auth, user
    `postgres`); `pg.restart("fast" | "immediate")` restarts it on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self._dir = Path(tempfile.mkdtemp(prefix="maint-pg-"))
        self._data = self._dir / "data"
        self._log = self._dir / "server.log"
        self._as_owner: list[str] = ["runuser", "-u", _OWNER, "--"] if os.geteuid() == 0 else []

    @property
    def admin_url(self) -> str:
        """The server's `postgres` database, where databases are created and dropped."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self._as_owner, *args], capture_output=True, text=True,
                              check=False, timeout=120)  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {done.stderr.strip() or done.stdout}")

    def _pg_ctl(self, action: str, *extra: str) -> None:
        options = " ".join([f"-p {self.port}", f"-k {self._dir}", "-h 127.0.0.1",
                            *(f"-c {s}" for s in _SETTINGS)])  # fmt: skip
        self._run(_bin("pg_ctl"), action, "-D", str(self._data), "-l", str(self._log),
                  "-w", "-t", "60", "-o", options, *extra)  # fmt: skip

    def start(self) -> None:
        """Create the cluster and start the server; returns when it accepts connections."""
        if self._as_owner:
            shutil.chown(self._dir, _OWNER)
        self._run(_bin("initdb"), "-D", str(self._data), "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--no-sync")  # fmt: skip
        self._pg_ctl("start")
        self.wait_accepting()

    def restart(self, mode: str = "fast") -> None:
        """Stop the server (`fast`: sessions end, a checkpoint; `immediate`: a crash, with
        recovery at start) and start it again; returns when it accepts connections."""
        self._pg_ctl("restart", "-m", mode)
        self.wait_accepting()

    def wait_accepting(self, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                psycopg.connect(self.admin_url, connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        """Stop the server if it runs and remove its files."""
        if (self._data / "postmaster.pid").exists():
            self._run(_bin("pg_ctl"), "stop", "-D", str(self._data), "-m", "immediate", "-w")
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> PrivatePostgres:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
