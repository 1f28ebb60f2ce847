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
from tests.e2e.helpers import metrics_urls
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
        for name, url in metrics_urls(system).items():
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
    for name, job in selectors(expr):
        assert name in known, f"{where}: no process exports {name}"
        if job and name not in SCRAPE_SERIES:
            assert job in exported, f"{where}: {name}{{job={job!r}}}: there is no process {job}"
            assert name in exported[job], f"{where}: {job} does not export {name}"


def test_dashboards_and_rules_are_found() -> None:
    """The parametrised test above is not vacuous."""
    assert len(rule_expressions()) >= 15
    assert len(dashboard_expressions()) >= 30
    assert Path(PROMETHEUS).is_dir()
