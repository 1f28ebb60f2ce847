"""docker-compose.yml and the Dockerfile: docker-compose accepts the file (no daemon is
needed for that), and it runs every process of the system the way the launcher does."""

from __future__ import annotations

import functools
import re
import tomllib
from pathlib import Path

import yaml

from services.launcher.stack import PROCESSES
from tests.ops.support import PROMETHEUS, ROOT, run, tool
from tests.ops.test_prometheus import DEFAULT_PORTS, GRPC_PORTS


@functools.cache
def _config() -> dict[str, object]:
    """The file as docker-compose resolves it (anchors merged, variables defaulted)."""
    out = run(tool("docker-compose"), "--file", str(ROOT / "docker-compose.yml"), "config")
    loaded = yaml.safe_load(out)
    assert isinstance(loaded, dict)
    return loaded


def test_compose_runs_every_process_like_the_launcher() -> None:
    services = _config()["services"]
    assert isinstance(services, dict)
    for process in PROCESSES:
        assert process.name in services, (
            f"{process.name} runs under `make run` but docker-compose.yml has no service for it"
        )
        service = services[process.name]
        assert service["command"] == [process.module, *process.args], process.name
        env = service["environment"]
        assert env[f"{process.name.upper()}_HOST"] == "0.0.0.0", process.name
        assert service["read_only"] is True and service["cap_drop"] == ["ALL"], process.name
        if process.name in GRPC_PORTS:
            assert env["HEALTHCHECK_URL"] == f"grpc://127.0.0.1:{GRPC_PORTS[process.name]}"
            if process.name != "intake":
                assert env[f"{process.name.upper()}_INTAKE_TARGET"] == "intake:50051"
    gateway = services["gateway"]["environment"]
    for name, port in GRPC_PORTS.items():
        assert gateway[f"GATEWAY_{name.upper()}_TARGET"] == f"{name}:{port}"
    for name in DEFAULT_PORTS:
        targets = yaml.safe_load((PROMETHEUS / "compose-targets" / f"{name}.yml").read_text())
        assert targets[0]["targets"][0].split(":")[0] in services


def test_only_the_gateway_and_the_broker_face_outside() -> None:
    """Monitoring is published on the loopback only; the services are not published."""
    services = _config()["services"]
    assert isinstance(services, dict)
    published = {name: str(s["ports"]) for name, s in services.items() if s.get("ports")}
    assert set(published) == {"gateway", "mosquitto", "prometheus", "grafana"}
    assert "127.0.0.1" in published["prometheus"] and "127.0.0.1" in published["grafana"]


def test_the_image_carries_the_simulator_dependency_pinned_like_pyproject() -> None:
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"][
        "dev"
    ]
    pin = next(d for d in dev if d.startswith("httpx=="))
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(rf"pip install .* {re.escape(pin)}\b", dockerfile), pin


def test_every_file_compose_mounts_exists() -> None:
    """Bind mounts name files of this repository (a typo would mount an empty folder)."""
    services = _config()["services"]
    assert isinstance(services, dict)
    mounted = [
        str(volume).split(":")[0]
        for service in services.values()
        for volume in service.get("volumes", [])
        if str(volume).startswith("/")
    ]
    assert len(mounted) >= 8
    for source in mounted:
        assert Path(source).exists(), source
        assert Path(source).resolve().is_relative_to(ROOT), source
