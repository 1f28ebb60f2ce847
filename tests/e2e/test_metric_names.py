"""Every metric an alert rule or a dashboard reads is one our processes export.

Reads every process's /metrics on the running system of the e2e layer (the `system`
fixture of tests/e2e/conftest.py) and compares the names there with those that
config/prometheus/rules and config/grafana/dashboards read, so a renamed or removed metric
fails here instead of leaving a silent alert or an empty panel.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from services.launcher.stack import PROCESSES
from tests.e2e.system import System
from tests.ops.support import (
    PROMETHEUS,
    dashboard_expressions,
    recorded_names,
    rule_expressions,
    selectors,
)

pytestmark = pytest.mark.e2e

#: Series Prometheus itself adds to every scrape.
SCRAPE_SERIES = {
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
}
#: Processes being built beside this one (metric prefix -> process): what rules and
#: dashboards read of theirs is checked as soon as they run in the e2e system, and skipped,
#: saying so, until then.
COMING = {"analytics_": "analytics", "predictor_": "predictor"}
#: The sample names each metric type exposes, from its family name.
SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("", "_count", "_sum", "_created"),
    "info": ("_info",),
    "stateset": ("",),
    "unknown": ("",),
}


def _metrics_urls(system: System) -> dict[str, str]:
    """Process name -> its /metrics URL, from the ports the running system was given."""
    urls = {
        key.removesuffix("_METRICS_PORT").lower(): f"http://127.0.0.1:{port}/metrics"
        for key, port in system.stack.env.items()
        if key.endswith("_METRICS_PORT")
    }
    urls["gateway"] = f"{system.base_url}/metrics"
    return urls


def _exported(text: str) -> set[str]:
    names: set[str] = set()
    for family in text_string_to_metric_families(text):
        names.update(family.name + suffix for suffix in SUFFIXES[family.type])
    return names


@pytest.fixture(scope="module")
def exported(system: System) -> dict[str, set[str]]:
    """Process name -> the sample names its /metrics shows."""
    found = {}
    with httpx.Client(timeout=10) as client:
        for name, url in _metrics_urls(system).items():
            reply = client.get(url)
            assert reply.status_code == 200, f"{name}: {url} answered {reply.status_code}"
            found[name] = _exported(reply.text)
    return found


def test_every_process_of_the_system_is_scraped(exported: dict[str, set[str]]) -> None:
    """Each process `make run` starts serves /metrics and has a scrape job of its own."""
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    jobs = {job["job_name"] for job in config["scrape_configs"]} - {"prometheus"}
    assert set(exported) == {p.name for p in PROCESSES}
    assert jobs == set(exported)


_QUERIES = rule_expressions() + dashboard_expressions()


@pytest.mark.parametrize(("where", "expr"), _QUERIES, ids=[where for where, _expr in _QUERIES])
def test_metric_is_exported(where: str, expr: str, exported: dict[str, set[str]]) -> None:
    known = set().union(*exported.values()) | SCRAPE_SERIES | recorded_names()
    waiting: set[str] = set()
    for name, job in selectors(expr):
        coming = next((p for prefix, p in COMING.items() if name.startswith(prefix)), "")
        if coming and coming not in exported:
            waiting.add(coming)
            continue
        assert name in known, f"{where}: no process exports {name}"
        if job and name not in SCRAPE_SERIES:
            assert job in exported, f"{where}: {name}{{job={job!r}}}: there is no process {job}"
            assert name in exported[job], f"{where}: {job} does not export {name}"
    if waiting:
        pytest.skip(f"{where}: reads {', '.join(sorted(waiting))}, not part of the system yet")


def test_dashboards_and_rules_are_found() -> None:
    """The parametrised test above is not vacuous."""
    assert len(rule_expressions()) >= 15
    assert len(dashboard_expressions()) >= 30
    assert Path(PROMETHEUS).is_dir()
