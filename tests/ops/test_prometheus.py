"""Prometheus configuration and alert rules: promtool accepts them, every alert has a unit
test that makes it fire, and the scrape targets are the processes' real ports."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from services.analytics.settings import AnalyticsSettings
from services.dispatch.settings import DispatchSettings
from services.gateway.settings import GatewaySettings
from services.ingestor.settings import IngestorSettings
from services.intake.settings import IntakeSettings
from services.launcher.stack import PROCESSES
from services.notification.settings import NotificationSettings
from services.predictor.settings import PredictorSettings
from services.sla.settings import SlaSettings
from tests.ops.support import PROMETHEUS, ROOT, RULES, run, tool

TESTS = PROMETHEUS / "tests"
#: The metrics port each process listens on by default (what `make run` uses).
DEFAULT_PORTS = {
    "gateway": GatewaySettings.model_fields["port"].default,
    "intake": IntakeSettings.model_fields["metrics_port"].default,
    "dispatch": DispatchSettings.model_fields["metrics_port"].default,
    "sla": SlaSettings.model_fields["metrics_port"].default,
    "notification": NotificationSettings.model_fields["metrics_port"].default,
    "ingestor": IngestorSettings.model_fields["metrics_port"].default,
    "analytics": AnalyticsSettings.model_fields["metrics_port"].default,
    "predictor": PredictorSettings.model_fields["metrics_port"].default,
}
#: The gRPC port of each gRPC service by default (health checks, the gateway's targets).
GRPC_PORTS = {
    name: settings.model_fields["grpc_port"].default
    for name, settings in (
        ("intake", IntakeSettings), ("dispatch", DispatchSettings), ("sla", SlaSettings),
        ("notification", NotificationSettings), ("analytics", AnalyticsSettings),
        ("predictor", PredictorSettings), ("ingestor", IngestorSettings),
    )
}  # fmt: skip


def _alerts() -> list[dict[str, object]]:
    return [
        rule
        for path in sorted(RULES.glob("*.yml"))
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]


def test_promtool_accepts_the_local_config() -> None:
    run(tool("promtool"), "check", "config", str(PROMETHEUS / "prometheus.yml"))


def test_promtool_accepts_the_compose_config(tmp_path: Path) -> None:
    """docker-compose.yml mounts compose-targets/ where targets/ is."""
    shutil.copy(PROMETHEUS / "prometheus.yml", tmp_path)
    shutil.copytree(RULES, tmp_path / "rules")
    shutil.copytree(PROMETHEUS / "compose-targets", tmp_path / "targets")
    run(tool("promtool"), "check", "config", str(tmp_path / "prometheus.yml"))


def test_rule_unit_tests_pass() -> None:
    tests = sorted(str(p.relative_to(PROMETHEUS)) for p in TESTS.glob("*.test.yml"))
    assert tests
    out = run(tool("promtool"), "test", "rules", *tests, cwd=PROMETHEUS)
    assert out.count("SUCCESS") == len(tests), out


def test_every_alert_has_a_test_that_makes_it_fire() -> None:
    fired: set[str] = set()
    tested_files: set[str] = set()
    for path in TESTS.glob("*.test.yml"):
        spec = yaml.safe_load(path.read_text())
        tested_files.update(Path(f).name for f in spec["rule_files"])
        for case in spec["tests"]:
            for check in case.get("alert_rule_test", []):
                if check.get("exp_alerts"):
                    fired.add(check["alertname"])
    assert tested_files == {p.name for p in RULES.glob("*.yml")}
    assert {str(rule["alert"]) for rule in _alerts()} <= fired


def test_every_alert_says_how_bad_what_and_where_to_look() -> None:
    runbook = (ROOT / "docs" / "operations.md").read_text()
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", heading.lower()).strip().replace(" ", "-")
        for heading in re.findall(r"^#+ (.+)$", runbook, flags=re.M)
    }
    for rule in _alerts():
        labels = rule["labels"]
        annotations = rule["annotations"]
        assert isinstance(labels, dict) and isinstance(annotations, dict)
        assert labels["severity"] in {"critical", "warning"}, rule["alert"]
        assert annotations["summary"] and annotations["description"], rule["alert"]
        page, _, anchor = str(annotations["runbook"]).partition("#")
        assert page == "docs/operations.md" and anchor in anchors, (rule["alert"], anchor)


@pytest.mark.parametrize("folder", ["targets", "compose-targets"])
def test_targets_are_the_processes_ports(folder: str) -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    jobs = {job["job_name"] for job in config["scrape_configs"]} - {"prometheus"}
    assert jobs == set(DEFAULT_PORTS)
    for job, port in DEFAULT_PORTS.items():
        groups = yaml.safe_load((PROMETHEUS / folder / f"{job}.yml").read_text())
        host = "127.0.0.1" if folder == "targets" else job
        assert groups == [{"targets": [f"{host}:{port}"]}], (folder, job)


def test_service_down_rules_cover_every_process() -> None:
    """A process added to the launcher must be added to the service-down rules too."""
    rules = {str(rule["alert"]): str(rule["expr"]) for rule in _alerts()}
    for process in PROCESSES:
        assert re.search(rf'job=~"[^"]*\b{process.name}\b', rules["ServiceInstanceDown"]), (
            process.name
        )
        assert f'absent(up{{job="{process.name}"}})' in rules["ServiceDown"], process.name
