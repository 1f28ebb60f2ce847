"""Grafana dashboards and provisioning: generated files are current, every query parses
and names its metrics, and panels use the provisioned data source."""

from __future__ import annotations

import json
import sys

import yaml

from tests.ops.support import DASHBOARDS, ROOT, dashboard_expressions, metric_names, run

PROVISIONING = ROOT / "config" / "grafana" / "provisioning"


def test_generated_files_are_current() -> None:
    """Dashboards and the Kubernetes PrometheusRule and ConfigMaps are what
    config/generate.py makes from their sources."""
    run(sys.executable, str(ROOT / "config" / "generate.py"), "--check")


def test_every_query_parses_and_names_its_metrics() -> None:
    queries = dashboard_expressions()
    assert len(queries) >= 30
    for where, expr in queries:
        assert metric_names(expr), where


def test_panels_use_the_provisioned_data_source() -> None:
    sources = yaml.safe_load((PROVISIONING / "datasources" / "prometheus.yml").read_text())
    uid = sources["datasources"][0]["uid"]
    uids = []
    for path in sorted(DASHBOARDS.glob("*.json")):
        model = json.loads(path.read_text())
        uids.append(model["uid"])
        ids = [panel["id"] for panel in model["panels"]]
        assert len(ids) == len(set(ids)), path.name
        for panel in model["panels"]:
            grid = panel["gridPos"]
            assert grid["x"] + grid["w"] <= 24, (path.name, panel["title"])
            if panel["type"] != "row":
                assert panel["datasource"]["uid"] == uid, (path.name, panel["title"])
                assert panel["targets"], (path.name, panel["title"])
    assert len(uids) == len(set(uids)) >= 2
