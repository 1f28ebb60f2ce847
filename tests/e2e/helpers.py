"""Small request builders the e2e tests share."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.system import System

__all__ = [
    "event_types",
    "import_file",
    "new_ticket",
    "ok",
    "put_dispatch",
    "raise_ticket",
    "summary",
    "transition",
    "wait_for",
]


def new_ticket(**overrides: Any) -> dict[str, Any]:
    """A valid ticket body for tenant1's unit; override any field."""
    body: dict[str, Any] = {
        "kind": "repair",
        "category": "plumbing",
        "title": "厨房水槽下漏水 / leak under the kitchen sink",
        "description": "水一直在滴 / it keeps dripping",
        "location": {"site": "demo", "building": "A", "floor": "3", "unit": "A-301"},
    }
    body.update(overrides)
    return body


def raise_ticket(client: httpx.Client, **overrides: Any) -> dict[str, Any]:
    reply = client.post("/v1/tickets", json=new_ticket(**overrides))
    assert reply.status_code == 201, reply.text
    ticket: dict[str, Any] = reply.json()
    return ticket


def transition(client: httpx.Client, ticket_id: str, action: str, **extra: Any) -> httpx.Response:
    return client.post(f"/v1/tickets/{ticket_id}/transitions", json={"action": action, **extra})


def wait_for(what: Callable[[], Any], timeout_s: float = 10.0, every_s: float = 0.1) -> Any:
    """Call `what` until it returns something truthy, and return that; fail after
    `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(every_s)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


def ok(reply: httpx.Response) -> Any:
    """The JSON of a 200 or 201 reply (fails the test with the body otherwise)."""
    assert reply.status_code in (200, 201), reply.text
    return reply.json()


def event_types(client: httpx.Client, ticket_id: str) -> list[str]:
    """The types of a ticket's events, oldest first."""
    return [e["type"] for e in ok(client.get(f"/v1/tickets/{ticket_id}/events"))["items"]]


def put_dispatch(
    client: httpx.Client,
    teams: list[dict[str, Any]],
    technicians: list[dict[str, Any]],
    shifts: list[dict[str, Any]],
    rules: list[dict[str, Any]],
) -> None:
    """Replace the caller's site's dispatch set-up over REST (rules in Shanghai time)."""
    ok(client.put("/v1/dispatch/teams", json={"teams": teams}))
    ok(client.put("/v1/dispatch/technicians", json={"technicians": technicians}))
    ok(client.put("/v1/dispatch/roster", json={"shifts": shifts}))
    ok(client.put("/v1/dispatch/rules", json={"timezone": "Asia/Shanghai", "rules": rules}))


def import_file(
    system: System, *args: str | Path, timeout_s: float = 120
) -> subprocess.CompletedProcess[str]:
    """`python -m services.importer ARGS...` against the running system."""
    env = {
        **os.environ,
        "IMPORTER_INTAKE_TARGET": f"127.0.0.1:{system.stack.env['INTAKE_GRPC_PORT']}",
        "IMPORTER_INGESTOR_TARGET": f"127.0.0.1:{system.stack.env['INGESTOR_GRPC_PORT']}",
    }
    return subprocess.run([sys.executable, "-m", "services.importer", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=timeout_s, check=False)  # fmt: skip


def summary(done: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """The importer's last line, `key=value ...`, as a dict."""
    last = done.stdout.strip().splitlines()[-1]
    return dict(pair.split("=", 1) for pair in last.split())


def metrics_urls(system: System) -> dict[str, str]:
    """Process name -> its /metrics URL, from the ports the running system was given."""
    urls = {
        key.removesuffix("_METRICS_PORT").lower(): f"http://127.0.0.1:{port}/metrics"
        for key, port in system.stack.env.items()
        if key.endswith("_METRICS_PORT")
    }
    urls["gateway"] = f"{system.base_url}/metrics"
    return urls


def samples(system: System, process: str, name: str) -> dict[frozenset[tuple[str, str]], float]:
    """The samples of metric `name` that `process` shows now: labels -> value."""
    reply = httpx.get(metrics_urls(system)[process], timeout=10)
    assert reply.status_code == 200, reply.text
    return {
        frozenset(sample.labels.items()): sample.value
        for family in text_string_to_metric_families(reply.text)
        for sample in family.samples
        if sample.name == name
    }
