"""k8s/: every overlay renders with kustomize, validates strictly against the Kubernetes
schemas, passes checkov (skips justified in .ci/checkov.yaml), and runs every process the
way the launcher does, locked down and reachable only by its callers."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.launcher.stack import PROCESSES
from tests.ops.support import ROOT, run, tool
from tests.ops.test_prometheus import GRPC_PORTS

K8S = ROOT / "k8s"
OVERLAYS = ("dev", "prod", "prod-ha-db")
#: Custom resources: kubernetes-validate has no schema for them (they are left unvalidated).
CUSTOM_KINDS = {"ServiceMonitor", "PrometheusRule", "EMQX", "Cluster"}
KUBERNETES_VERSION = "1.30.0"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Overlay name (and "base") -> the file kustomize renders it to."""
    out = tmp_path_factory.mktemp("k8s")
    files = {}
    for name in ("base", *OVERLAYS):
        source = K8S / "base" if name == "base" else K8S / "overlays" / name
        # The base has no namespace yet: checkov looks at the overlays' folder only.
        folder = out / ("base" if name == "base" else "overlays")
        folder.mkdir(exist_ok=True)
        files[name] = folder / f"{name}.yaml"
        files[name].write_text(run(tool("kubectl"), "kustomize", str(source)))
    return files


def _docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _by(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def test_every_overlay_validates_strictly(rendered: dict[str, Path]) -> None:
    paths = [str(path) for path in rendered.values()]
    out = run(tool("kubernetes-validate"), "--strict", "-k", KUBERNETES_VERSION, *paths)
    unvalidated = set(re.findall(r"Couldn't find schema for kind (\w+)", out))
    assert unvalidated <= CUSTOM_KINDS, unvalidated
    for name, path in rendered.items():
        documents = _docs(path)
        assert len(documents) > 10, name
        assert "Secret" not in {d["kind"] for d in documents}, (
            f"{name}: Secrets are referenced, never committed"
        )


def test_checkov_passes_on_the_manifests_and_the_dockerfile(rendered: dict[str, Path]) -> None:
    """One checkov run over the rendered overlays and a copy of the Dockerfile."""
    folder = rendered["dev"].parent
    shutil.copy(ROOT / "Dockerfile", folder / "Dockerfile")
    out = run(
        tool("checkov"),
        "--config-file",
        str(ROOT / ".ci" / "checkov.yaml"),
        "-d",
        str(folder),
        "--framework",
        "kubernetes",
        "dockerfile",
    )
    results = re.findall(r"(\w+) scan results:\s+Passed checks: (\d+), Failed checks: (\d+)", out)
    assert {framework for framework, _passed, _failed in results} == {"kubernetes", "dockerfile"}, (
        out
    )
    assert all(int(passed) > 0 and failed == "0" for _f, passed, failed in results), out


def test_every_checkov_skip_says_why() -> None:
    lines = (ROOT / ".ci" / "checkov.yaml").read_text().splitlines()
    for n, line in enumerate(lines):
        if line.strip().startswith("- CKV"):
            assert lines[n - 1].strip().startswith("#"), f"{line.strip()} has no reason above it"
    for path in K8S.rglob("*.yaml"):
        for skip in re.findall(r"checkov\.io/skip\d+: (.*)", path.read_text()):
            check, _, reason = skip.partition("=")
            assert len(reason) > 20, f"{path}: {check} without a reason"


def _workloads(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {**_by(docs, "Deployment"), **_by(docs, "StatefulSet")}


def test_every_process_runs_locked_down_with_probes(rendered: dict[str, Path]) -> None:
    workloads = _workloads(_docs(rendered["base"]))
    assert set(workloads) == {p.name for p in PROCESSES}
    for process in PROCESSES:
        pod = workloads[process.name]["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["args"] == [process.module, *process.args]
        env = {e["name"]: e for e in container["env"]}
        assert env[f"{process.name.upper()}_HOST"]["value"] == "0.0.0.0"
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["automountServiceAccountToken"] is False
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"]
        assert container["resources"]["requests"] and container["resources"]["limits"]
        if process.name in GRPC_PORTS:
            port = GRPC_PORTS[process.name]
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                assert container[probe]["grpc"]["port"] == port, (process.name, probe)
            assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {
                "name": "maintenance-database",
                "key": "url",
            }
        else:
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_autoscaling_and_disruption_budgets(rendered: dict[str, Path]) -> None:
    docs = _docs(rendered["prod"])
    hpas = _by(docs, "HorizontalPodAutoscaler")
    assert set(hpas) == {"gateway", "intake", "ingestor"}
    workloads = _workloads(docs)
    for name, hpa in hpas.items():
        assert hpa["spec"]["scaleTargetRef"]["kind"] == workloads[name]["kind"]
        assert workloads[name]["spec"]["replicas"] >= hpa["spec"]["minReplicas"] >= 2
    assert set(_by(docs, "PodDisruptionBudget")) == {p.name for p in PROCESSES}
    # One dispatch: its follower has no leader lock (k8s/base/dispatch.yaml).
    assert workloads["dispatch"]["spec"]["replicas"] == 1


def test_only_the_gateway_and_the_broker_accept_anyone(rendered: dict[str, Path]) -> None:
    for overlay in OVERLAYS:
        policies = _by(_docs(rendered[overlay]), "NetworkPolicy")
        assert policies["default-deny-ingress"]["spec"]["podSelector"] == {}
        open_to_all = {
            name
            for name, policy in policies.items()
            for rule in policy["spec"].get("ingress", [])
            if "from" not in rule
        }
        assert open_to_all == {"gateway", "mosquitto" if overlay == "dev" else "emqx"}, overlay
        for process in PROCESSES:
            assert process.name in policies, (overlay, process.name)


def test_targets_name_the_services_and_their_ports(rendered: dict[str, Path]) -> None:
    docs = _docs(rendered["base"])
    config = _by(docs, "ConfigMap")["maintenance-config"]["data"]
    services = _by(docs, "Service")
    for name, port in GRPC_PORTS.items():
        assert config[f"GATEWAY_{name.upper()}_TARGET"] == f"{name}:{port}"
        assert {p["name"]: p["port"] for p in services[name]["spec"]["ports"]}["grpc"] == port


def test_the_ha_overlay_reads_the_database_url_the_operator_writes(
    rendered: dict[str, Path],
) -> None:
    for name, workload in _workloads(_docs(rendered["prod-ha-db"])).items():
        (container,) = workload["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e for e in container.get("env", [])}
        if name != "gateway":
            assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {
                "name": "timescaledb-app",
                "key": "uri",
            }


def test_every_metrics_port_is_scraped(rendered: dict[str, Path]) -> None:
    docs = _docs(rendered["base"])
    selected: set[str] = set()
    for monitor in _by(docs, "ServiceMonitor").values():
        selector = monitor["spec"]["selector"]
        selected.update(selector.get("matchLabels", {}).values())
        for expression in selector.get("matchExpressions", []):
            selected.update(expression["values"])
    assert selected == {p.name for p in PROCESSES}
    for name, service in _by(docs, "Service").items():
        ports = {p["name"] for p in service["spec"]["ports"]}
        assert "metrics" in ports or name == "gateway", name
