"""Start the gateway: `python -m services.gateway`."""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile

import uvicorn
from fastapi import FastAPI

from services.common.logs import configure_logging
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings, MissingSecret

__all__ = ["app_from_env", "main"]

log = logging.getLogger(__name__)


def app_from_env() -> FastAPI:
    """The app built from the environment; uvicorn calls this in each worker."""
    settings = GatewaySettings()
    configure_logging(settings.log_level, settings.log_format, "gateway")
    return create_app(settings)


def _metrics_shared_by_workers() -> str:
    """Each worker (a process uvicorn starts, with this environment) writes its samples to
    files in one new folder, and /metrics sums them: prometheus_client's multiprocess mode,
    which it reads from PROMETHEUS_MULTIPROC_DIR when a worker imports it. Returns it."""
    folder = tempfile.mkdtemp(prefix="gateway-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    os.environ["GATEWAY_METRICS_DIR"] = folder
    return folder


def main() -> None:
    settings = GatewaySettings()
    configure_logging(settings.log_level, settings.log_format, "gateway")
    try:
        settings.jwt_secrets()
    except MissingSecret as exc:
        log.error("cannot start: %s", exc)
        sys.exit(2)
    if settings.dev_mode:
        log.warning("development mode (GATEWAY_DEV_MODE): never use it in production")
    shared = _metrics_shared_by_workers() if settings.workers > 1 else ""
    log.info("REST API on http://%s:%d (docs at /docs)", settings.host, settings.port)
    uvicorn.run(
        "services.gateway.main:app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=5,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )
    if shared:
        shutil.rmtree(shared, ignore_errors=True)
