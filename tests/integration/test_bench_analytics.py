"""`make bench-analytics`, small: the benchmark runs end to end and ends with its figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_the_analytics_benchmark_runs_small(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.analytics", "--tickets", "400", "--runs", "5",
         "--baseline-runs", "1", "--fresh", "2", "--log", str(tmp_path / "processes.log")],
        capture_output=True, text=True, timeout=170, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    figures = dict(pair.split("=") for pair in done.stdout.strip().splitlines()[-1].split())
    assert list(figures)[:3] == ["p99_ms", "freshness_p99_ms", "ratio"]
    assert int(figures["tickets"]) == 400 and float(figures["ratio"]) > 0
