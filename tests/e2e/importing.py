"""Running the history importer's command line against a running system."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.system import System

__all__ = ["run_importer", "summary"]


def run_importer(system: System, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """`python -m services.importer ARGS` aimed at the system's intake and ingestor."""
    env = {
        **os.environ,
        "IMPORTER_INTAKE_TARGET": f"127.0.0.1:{system.stack.env['INTAKE_GRPC_PORT']}",
        "IMPORTER_INGESTOR_TARGET": f"127.0.0.1:{system.stack.env['INGESTOR_GRPC_PORT']}",
    }
    return subprocess.run([sys.executable, "-m", "services.importer", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=600, check=False)  # fmt: skip


def summary(done: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """The key=value pairs of the importer's last line."""
    last = done.stdout.strip().splitlines()[-1]
    return dict(pair.split("=", 1) for pair in last.split())
