"""The gateway process refuses to start without a real token secret, saying why, unless
development mode is asked for."""

from __future__ import annotations

import os
import subprocess
import sys

from services.launcher.stack import free_port


def _start(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    return subprocess.run(
        [sys.executable, "-m", "services.gateway"],
        env={**clean, "GATEWAY_PORT": str(free_port()), **env},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_no_secret_no_start() -> None:
    refused = _start()
    assert refused.returncode == 2
    assert "GATEWAY_JWT_SECRET is not set" in refused.stdout + refused.stderr


def test_the_committed_development_secret_is_not_a_secret() -> None:
    refused = _start(GATEWAY_JWT_SECRET="dev-only-secret-change-me-in-production-0123456789")
    assert refused.returncode == 2
    assert "committed development secret" in refused.stdout + refused.stderr
