"""What the operations checks share: where things are, the tools they run, and the metric
names a PromQL expression reads."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml

__all__ = [
    "DASHBOARDS",
    "PROMETHEUS",
    "ROOT",
    "RULES",
    "dashboard_expressions",
    "metric_names",
    "recorded_names",
    "rule_expressions",
    "run",
    "selectors",
    "tool",
]

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "config" / "prometheus"
RULES = PROMETHEUS / "rules"
DASHBOARDS = ROOT / "config" / "grafana" / "dashboards"

#: Grafana's interval variables, replaced by a duration so that the query parses.
_GRAFANA_DURATIONS = re.compile(r"\$__(rate_interval|interval|range)\b")
#: Grafana's template variables in label matchers, replaced by a pattern.
_GRAFANA_VARIABLE = re.compile(r"\$\{?\w+\}?")


def tool(name: str) -> str:
    """The path of program `name`: in the running virtualenv, or on PATH (CHECKOV_BIN, then
    .venv/checkov, for checkov); fail saying how to install it if there is none."""
    if name == "checkov":
        for candidate in (
            os.environ.get("CHECKOV_BIN", ""),
            str(ROOT / ".venv/checkov/bin/checkov"),
        ):
            if candidate and Path(candidate).is_file():
                return candidate
    beside = Path(sys.executable).parent / name  # installed into the virtualenv
    found = str(beside) if beside.is_file() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: run `make ops-tools`")
    return found


def run(*command: str, cwd: Path = ROOT, timeout: float = 300) -> str:
    """Run `command`; fail the test with its output if it does not exit 0."""
    done = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        pytest.fail(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _rule_files() -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in sorted(RULES.glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                yield path, rule


def rule_expressions() -> list[tuple[str, str]]:
    """(where, PromQL) for every alerting and recording rule."""
    return [
        (f"{path.name}: {rule.get('alert') or rule.get('record')}", str(rule["expr"]))
        for path, rule in _rule_files()
    ]


def recorded_names() -> set[str]:
    """Names our own recording rules define."""
    return {str(rule["record"]) for _path, rule in _rule_files() if "record" in rule}


def dashboard_expressions() -> list[tuple[str, str]]:
    """(where, PromQL) for every panel query and query variable of every dashboard."""
    found: list[tuple[str, str]] = []
    for path in sorted(DASHBOARDS.glob("*.json")):
        model = json.loads(path.read_text())
        for panel in model["panels"]:
            for target in panel.get("targets", []):
                found.append((f"{path.name}: {panel['title']}", target["expr"]))
        for variable in model.get("templating", {}).get("list", []):
            if variable.get("type") == "query":
                # label_values(metric, label): the metric is what must exist.
                match = re.fullmatch(r"label_values\((\w+),\s*\w+\)", variable["definition"])
                assert match, f"{path.name}: variable {variable['name']} is not label_values()"
                found.append((f"{path.name}: ${variable['name']}", match.group(1)))
    return found


def _grafana_to_promql(expr: str) -> str:
    return _GRAFANA_VARIABLE.sub(".*", _GRAFANA_DURATIONS.sub("5m", expr))


def selectors(expr: str) -> set[tuple[str, str]]:
    """(metric name, job) for every selector in `expr`; job is the value of an equality
    matcher on `job`, or "" when there is none. Raises ValueError if `expr` does not parse,
    or if a selector has no metric name (then no check could see what it reads)."""
    parsed = promql_parser.parse(_grafana_to_promql(expr))
    found: set[tuple[str, str]] = set()
    nameless: list[str] = []

    def visit(node: promql_parser.Expr) -> None:
        if not isinstance(node, promql_parser.VectorSelector):
            return
        if not node.name:
            nameless.append(str(node))
            return
        job = next(
            (m.value for m in node.matchers.matchers
             if m.name == "job" and m.op == promql_parser.MatchOp.Equal),
            "",
        )  # fmt: skip
        found.add((node.name, job))

    promql_parser.walk(parsed, visit)
    if nameless:
        raise ValueError(f"selectors without a metric name in {expr!r}: {nameless}")
    return found


def metric_names(expr: str) -> set[str]:
    """Every metric name `expr` selects (see `selectors`)."""
    return {name for name, _job in selectors(expr)}
