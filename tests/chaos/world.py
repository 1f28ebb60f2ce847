"""The system a fault run works on: a private PostgreSQL server and broker, every process
(with two SLA replicas), a TCP proxy between some services and the database, the demo
site configured over REST so that work flows through every service, and a webhook
receiver that counts what the notification service sends."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc
from psycopg.conninfo import make_conninfo

from services.launcher.stack import PROCESSES, Process, free_ports
from tests.e2e.helpers import ok, put_dispatch
from tests.e2e.system import BRISK, Setup, System, running_system
from tests.support.pg_cluster import PrivatePostgres
from tests.support.receivers import Webhook, running_webhook
from tests.support.tcp_proxy import TcpProxy

__all__ = ["BUILDING", "PEOPLE", "RESPOND_S", "World", "running_world"]

#: The building of the demo site whose floors hold one leak sensor each.
BUILDING = "CHAOS"
#: Seconds a P1 ticket has for a response: every P1 ticket breaches during the run.
RESPOND_S = 4
#: Who has the webhook as a channel (posted to at /<username>).
PEOPLE = ("tech1", "tech2", "supervisor1")


@dataclass
class World:
    """The running system, its private server, the proxies in front of it (by process
    name), the webhook and the leak sensors registered (one per floor of BUILDING)."""

    system: System
    postgres: PrivatePostgres
    proxies: dict[str, TcpProxy]
    webhook: Webhook
    sensors: list[str]

    def processes(self) -> tuple[Process, ...]:
        """Every process the system runs."""
        return self.system.stack.processes

    def serving(self) -> list[str]:
        """The processes that do not answer SERVING (or, the gateway, ready) right now."""
        return [p.name for p in self.processes() if not self._serving(p)]

    def _serving(self, process: Process) -> bool:
        if process.name == "gateway":
            try:
                ready = httpx.get(f"{self.system.base_url}/readyz", timeout=2)
                listed = httpx.get(f"{self.system.base_url}/healthz", timeout=2)
            except httpx.HTTPError:
                return False
            return ready.status_code == listed.status_code == 200
        env = {**self.system.stack.env, **process.env}
        port = env[f"{process.module.rsplit('.', 1)[-1].upper()}_GRPC_PORT"]
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            try:
                reply = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=2
                )
            except grpc.RpcError:
                return False
        return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)

    def wait_serving(self, timeout_s: float) -> list[str]:
        """Wait until every process serves, at most `timeout_s`; those that still do not."""
        deadline = time.monotonic() + timeout_s
        while (missing := self.serving()) and time.monotonic() < deadline:
            time.sleep(0.1)
        return missing


def _processes(database_url: str, proxies: dict[str, TcpProxy]) -> tuple[Process, ...]:
    """Every process of the system, those in `proxies` reaching the database through
    their proxy, and a second SLA replica on ports of its own."""
    grpc_port, metrics_port = free_ports(2)
    second_sla = Process("sla-2", "services.sla",
                         env={"SLA_GRPC_PORT": str(grpc_port), "SLA_METRICS_PORT": str(metrics_port)})  # fmt: skip
    return tuple(
        replace(p, env={**p.env, "DATABASE_URL": make_conninfo(database_url, port=proxies[p.name].port)})
        if p.name in proxies else p
        for p in (*PROCESSES, second_sla)
    )  # fmt: skip


def _configure(system: System, webhook: Webhook, sensors: int) -> list[str]:
    """Dispatch (both technicians plumbers, always on duty), a P1 policy of seconds, the
    webhook for each of PEOPLE, and `sensors` leak sensors, each on a floor of its own."""
    every_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    with (
        system.client(system.token("supervisor1")) as boss,
        system.client(system.token("admin")) as admin,
    ):
        put_dispatch(
            boss,
            teams=[{"code": "maintenance", "name": "工程维修部 Maintenance",
                    "supervisors": ["supervisor1"]}],
            technicians=[{"username": who, "team": "maintenance", "skills": ["plumbing"]}
                         for who in ("tech1", "tech2")],
            shifts=[{"username": who, "days": every_day, "start": "00:00", "end": "00:00"}
                    for who in ("tech1", "tech2", "supervisor1")],
            rules=[{"name": "everything", "match": {},
                    "action": {"mode": "best_technician", "team": "maintenance"}}],
        )  # fmt: skip
        # The site's own P1 policy (the supervisor's site, demo) goes before the default one.
        ok(boss.put("/v1/sla/policies/demo-p1", json={
            "name": "P1 in seconds (fault suite)", "priority": "P1", "calendar": "24x7",
            "respond_target_s": RESPOND_S, "resolve_target_s": 3600,
            "reminder_share": 0.5, "remind": ["assignee"],
            "escalations": [{"target": "respond", "after_share": 1.0, "action": "escalate",
                             "notify": ["supervisor1"]}]}))  # fmt: skip
        for who in PEOPLE:
            body = {"apprise_urls": [webhook.url(f"/{who}")]}
            ok(admin.put(f"/v1/notifications/contacts/{who}", json=body))
        ok(admin.put(f"/v1/sites/demo/buildings/{BUILDING}", json={"name": "故障演练 Chaos"}))
        devices = []
        for floor in range(1, sensors + 1):
            ok(admin.put(f"/v1/sites/demo/buildings/{BUILDING}/floors/{floor}", json={}))
            device_id = f"chaos-leak-{floor}"
            location = {"site": "demo", "building": BUILDING, "floor": str(floor)}
            ok(admin.put(f"/v1/devices/{device_id}", json={"kind": "leak", "location": location}))
            devices.append(device_id)
    return devices


@contextmanager
def running_world(log_path: Path, sensors: int, partitioned: tuple[str, ...]) -> Iterator[World]:
    """Start it all (`partitioned`: the processes behind a database proxy), configured,
    with `sensors` leak sensors; stop and remove it all afterwards."""
    with ExitStack() as stack:
        postgres = stack.enter_context(PrivatePostgres())
        ports = free_ports(len(partitioned))
        proxies = {name: stack.enter_context(TcpProxy(port, postgres.port))
                   for name, port in zip(partitioned, ports, strict=True)}  # fmt: skip
        name = f"maint_chaos_{uuid.uuid4().hex[:8]}"
        processes = _processes(make_conninfo(postgres.admin_url, dbname=name), proxies)
        webhook = stack.enter_context(running_webhook())
        setup = Setup(postgres.admin_url, processes, name, ready_timeout_s=180)
        system = stack.enter_context(running_system(log_path, setup, **BRISK))
        devices = _configure(system, webhook, sensors)
        yield World(system, postgres, proxies, webhook, devices)
