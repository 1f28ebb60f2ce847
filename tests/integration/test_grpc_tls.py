"""Intake, notification and the gateway as processes with mutual TLS and an allow-list (one
certificate for all three): the gateway's calls and health checks and notification's event
stream from intake work over it; who may connect and who may call; the image's health check
over TLS; a half-configured process that refuses to start. Certificates are made for the
run (tests/support/certs.py)."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import httpx
import psycopg
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from maintenance.notification.v1 import notification_pb2 as pb
from maintenance.notification.v1 import notification_pb2_grpc as pb_grpc
from psycopg import sql

from services.common.grpc_tls import load_tls, sync_channel
from services.common.migrate import migrate
from services.gateway.entrypoint.security import Principal, TokenIssuer
from services.launcher.stack import LocalStack, Process, free_port, free_port_env
from tests.e2e.helpers import ok, wait_for
from tests.integration.conftest import SERVER_URL, drop_database, new_database_name, url_for
from tests.support.certs import Authority, Issued

ROOT = Path(__file__).resolve().parents[2]
HEALTHCHECK = ROOT / "config" / "container" / "healthcheck.py"
PROCESSES = (Process("intake", "services.intake"),
             Process("notification", "services.notification"),
             Process("gateway", "services.gateway"))  # fmt: skip


@dataclass(frozen=True)
class Secured:
    target: str  # notification's
    env: dict[str, str]
    base_url: str  # the gateway's
    token: str  # a tenant's, for the gateway
    member: Issued  # the processes' own, allowed
    intruder: Issued  # same CA, not allowed
    stranger: Issued  # another CA, allowed name


def _channel(target: str, issued: Issued) -> grpc.Channel:
    tls = load_tls(str(issued.cert), str(issued.key), str(issued.ca))
    return sync_channel(target, tls)


def _serving(channel: grpc.Channel) -> bool:
    reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def _wait_serving(stack: LocalStack, target: str, client: Issued) -> None:
    deadline = time.monotonic() + 30
    with _channel(target, client) as channel:
        while time.monotonic() < deadline:
            assert not stack.exited(), f"{stack.exited()} exited before it was ready"
            try:
                if _serving(channel):
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.1)
    raise TimeoutError(f"{target} not serving over TLS")


def _list_inbox(channel: grpc.Channel) -> pb.ListInboxResponse:
    stub = pb_grpc.NotificationServiceStub(channel)
    return stub.ListInbox(pb.ListInboxRequest(username=f"u{uuid.uuid4().hex[:8]}"), timeout=5)


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    folder = tmp_path_factory.mktemp("grpc-tls")
    ca = Authority(folder / "ca")
    member = ca.issue("maintenance")
    jwt_secret = secrets.token_hex(24)
    dbname = new_database_name()
    with psycopg.connect(SERVER_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    env, base_url = free_port_env(
        url_for(dbname), **member.env(), GRPC_TLS_ALLOWED_CLIENTS="gateway, maintenance",
        NOTIFICATION_GRACE_S="1", INTAKE_GRACE_S="1", GATEWAY_JWT_SECRET=jwt_secret,
    )  # fmt: skip
    token = TokenIssuer([jwt_secret], 600).issue(Principal("tenant1", "tenant", "demo", "A-301"))
    secured = Secured(
        f"127.0.0.1:{env['NOTIFICATION_GRPC_PORT']}", env, base_url, token, member,
        ca.issue("intruder"), Authority(folder / "other", "other-ca").issue("maintenance"),
    )  # fmt: skip
    log_path = folder / "system.log"
    try:
        migrate(env["DATABASE_URL"], ["intake", "notification"])
        with log_path.open("w") as sink:
            stack = LocalStack(env=env, processes=PROCESSES, sink=sink)
            stack.start()
            try:
                _wait_serving(stack, secured.target, member)
                _wait_serving(stack, f"127.0.0.1:{env['INTAKE_GRPC_PORT']}", member)
                stack.wait_ready(f"{base_url}/healthz")
                yield secured
            finally:
                stack.stop()
        codes = [child.returncode for child in stack.children.values()]
        assert all(code in (0, -signal.SIGTERM) for code in codes), (codes, log_path)
    finally:
        drop_database(dbname)


def test_the_gateway_calls_and_checks_its_services_over_tls(secured: Secured) -> None:
    headers = {"Authorization": f"Bearer {secured.token}"}
    with httpx.Client(base_url=secured.base_url, headers=headers, timeout=10) as client:
        assert ok(client.get("/v1/notifications"))["items"] == []
        not_ready = client.get("/readyz")
    assert not_ready.status_code == 503
    missing = not_ready.json()["not_serving"]
    assert "sla" in missing and not {"intake", "notification"} & set(missing), missing


def _heard_from_intake(metrics_url: str) -> bool:
    with urllib.request.urlopen(metrics_url, timeout=5) as reply:
        text = reply.read().decode()
    heard = 'ticket_event_follower_last_heard_timestamp_seconds{consumer="notification"} '
    return any(line.startswith(heard) and float(line.split()[-1]) > 0
               for line in text.splitlines())  # fmt: skip


def test_a_follower_hears_intake_over_tls(secured: Secured) -> None:
    metrics_url = f"http://127.0.0.1:{secured.env['NOTIFICATION_METRICS_PORT']}/metrics"
    # intake beats every 5 s on a quiet stream
    wait_for(lambda: _heard_from_intake(metrics_url), timeout_s=20, every_s=0.5)


def test_a_client_with_an_allowed_certificate_is_served(secured: Secured) -> None:
    with _channel(secured.target, secured.member) as channel:
        assert _list_inbox(channel).unread_count == 0


def _refused_at_connection(channel: grpc.Channel) -> None:
    with channel, pytest.raises(grpc.RpcError) as refused:
        _list_inbox(channel)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE, refused.value


def test_a_plaintext_client_is_refused(secured: Secured) -> None:
    _refused_at_connection(grpc.insecure_channel(secured.target))


def test_a_client_without_a_certificate_is_refused(secured: Secured) -> None:
    credentials = grpc.ssl_channel_credentials(secured.member.ca.read_bytes())
    _refused_at_connection(grpc.secure_channel(secured.target, credentials))


def test_a_certificate_from_another_authority_is_refused(secured: Secured) -> None:
    _refused_at_connection(_channel(secured.target, secured.stranger))


def test_a_certificate_not_on_the_allow_list_may_only_check_health(secured: Secured) -> None:
    with _channel(secured.target, secured.intruder) as channel:
        with pytest.raises(grpc.RpcError) as denied:
            _list_inbox(channel)
        assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "'intruder'" in (denied.value.details() or "")
        assert _serving(channel)


def _healthcheck(target: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(HEALTHCHECK)],
        env={**os.environ, **env, "HEALTHCHECK_URL": f"grpc://{target}"},
        check=False, capture_output=True, text=True, timeout=30,
    )  # fmt: skip


def test_the_image_health_check_asks_over_tls(secured: Secured) -> None:
    assert _healthcheck(secured.target, secured.env).returncode == 0
    plaintext = _healthcheck(secured.target, {})
    assert plaintext.returncode == 1 and "UNAVAILABLE" in plaintext.stderr


def test_a_half_configured_process_does_not_start(secured: Secured) -> None:
    env = {**os.environ, **secured.env, "NOTIFICATION_GRPC_PORT": str(free_port())}
    del env["GRPC_TLS_KEY"]
    started = subprocess.run(
        [sys.executable, "-m", "services.notification"],
        env=env, check=False, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert started.returncode != 0
    assert "missing GRPC_TLS_KEY" in started.stderr
