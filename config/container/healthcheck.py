"""The container image's health check (Dockerfile HEALTHCHECK, docker-compose.yml).

Checks HEALTHCHECK_URL: `grpc://HOST:PORT` asks grpc.health.v1 for the server's overall
status (SERVING only while the service's database answers), `http://...` expects a 200.
Exits 0 when healthy and 1 otherwise. With `GRPC_TLS_CERT`, `_KEY` and `_CA` set (the
process's own), it asks over mutual TLS: the server's certificate must then name the
loopback address too. Kubernetes does not use it, unless gRPC runs over TLS: its probes
call gRPC health natively (k8s/base), without a client certificate.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

TIMEOUT_S = 3.0


def _grpc_serving(target: str) -> bool:
    import grpc  # noqa: PLC0415 (only the gRPC services need it)
    from grpc_health.v1 import health_pb2, health_pb2_grpc  # noqa: PLC0415

    from services.common.grpc_tls import GrpcTlsSettings, sync_channel  # noqa: PLC0415

    with sync_channel(target, GrpcTlsSettings().grpc_tls) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=TIMEOUT_S
            )
        except grpc.RpcError as exc:
            print(f"{target}: {exc.code().name}", file=sys.stderr)
            return False
    serving: bool = reply.status == health_pb2.HealthCheckResponse.SERVING
    return serving


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as reply:
            return int(reply.status) == 200
    except (urllib.error.URLError, OSError) as exc:
        print(f"{url}: {exc}", file=sys.stderr)
        return False


def healthy(url: str) -> bool:
    """Whether what `url` names answers as healthy."""
    if url.startswith("grpc://"):
        return _grpc_serving(url.removeprefix("grpc://"))
    if url.startswith(("http://", "https://")):
        return _http_ok(url)
    raise ValueError(f"HEALTHCHECK_URL must be grpc://host:port or http(s)://..., not {url!r}")


def main() -> None:
    sys.exit(0 if healthy(os.environ.get("HEALTHCHECK_URL", "")) else 1)


if __name__ == "__main__":
    main()
