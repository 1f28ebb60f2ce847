"""A service process (`python -m services.notification`) with mutual TLS and an allow-list:
who may connect, who may call, the image's health check over TLS, and a half-configured
process that refuses to start. Certificates are made for the run (tests/support/certs.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import psycopg
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from maintenance.notification.v1 import notification_pb2 as pb
from maintenance.notification.v1 import notification_pb2_grpc as pb_grpc
from psycopg import sql

from services.common.grpc_tls import load_tls, sync_channel
from services.common.migrate import migrate
from services.launcher.stack import LocalStack, Process, free_port
from tests.integration.conftest import SERVER_URL, drop_database, new_database_name, url_for
from tests.support.certs import Authority, Issued

ROOT = Path(__file__).resolve().parents[2]
HEALTHCHECK = ROOT / "config" / "container" / "healthcheck.py"


@dataclass(frozen=True)
class Secured:
    target: str
    server_env: dict[str, str]
    gateway: Issued  # allowed
    intruder: Issued  # same CA, not allowed
    stranger: Issued  # another CA


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
            assert not stack.exited(), "notification exited before it was ready"
            try:
                if _serving(channel):
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.1)
    raise TimeoutError("notification not serving over TLS")


def _list_inbox(channel: grpc.Channel) -> pb.ListInboxResponse:
    stub = pb_grpc.NotificationServiceStub(channel)
    return stub.ListInbox(pb.ListInboxRequest(username=f"u{uuid.uuid4().hex[:8]}"), timeout=5)


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    folder = tmp_path_factory.mktemp("grpc-tls")
    ca = Authority(folder / "ca")
    other = Authority(folder / "other", "other-ca")
    server = ca.issue("notification")
    dbname = new_database_name()
    with psycopg.connect(SERVER_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    grpc_port = free_port()
    env = {
        "DATABASE_URL": url_for(dbname),
        "NOTIFICATION_GRPC_PORT": str(grpc_port),
        "NOTIFICATION_METRICS_PORT": str(free_port()),
        "NOTIFICATION_INTAKE_TARGET": f"127.0.0.1:{free_port()}",  # nobody there
        "NOTIFICATION_GRACE_S": "1",
        **server.env(),
        "GRPC_TLS_ALLOWED_CLIENTS": "gateway, dispatch",
    }
    secured = Secured(
        f"127.0.0.1:{grpc_port}", env, ca.issue("gateway"), ca.issue("intruder"),
        other.issue("gateway"),
    )  # fmt: skip
    log_path = folder / "notification.log"
    try:
        migrate(env["DATABASE_URL"], ["notification"])
        with log_path.open("w") as sink:
            stack = LocalStack(
                env=env, processes=(Process("notification", "services.notification"),), sink=sink
            )
            stack.start()
            try:
                _wait_serving(stack, secured.target, secured.gateway)
                yield secured
            finally:
                stack.stop()
        codes = [child.returncode for child in stack.children.values()]
        assert all(code in (0, -signal.SIGTERM) for code in codes), (codes, log_path)
    finally:
        drop_database(dbname)


def test_a_client_with_an_allowed_certificate_is_served(secured: Secured) -> None:
    with _channel(secured.target, secured.gateway) as channel:
        assert _list_inbox(channel).unread_count == 0


def _refused_at_connection(channel: grpc.Channel) -> None:
    with channel, pytest.raises(grpc.RpcError) as refused:
        _list_inbox(channel)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE, refused.value


def test_a_plaintext_client_is_refused(secured: Secured) -> None:
    _refused_at_connection(grpc.insecure_channel(secured.target))


def test_a_client_without_a_certificate_is_refused(secured: Secured) -> None:
    credentials = grpc.ssl_channel_credentials(secured.gateway.ca.read_bytes())
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
    assert _healthcheck(secured.target, secured.server_env).returncode == 0
    plaintext = _healthcheck(secured.target, {})
    assert plaintext.returncode == 1 and "UNAVAILABLE" in plaintext.stderr


def test_a_half_configured_process_does_not_start(secured: Secured) -> None:
    env = {**os.environ, **secured.server_env, "NOTIFICATION_GRPC_PORT": str(free_port())}
    del env["GRPC_TLS_KEY"]
    started = subprocess.run(
        [sys.executable, "-m", "services.notification"],
        env=env, check=False, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert started.returncode != 0
    assert "missing GRPC_TLS_KEY" in started.stderr
