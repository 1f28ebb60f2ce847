"""Start the gateway: `python -m services.gateway`."""

from __future__ import annotations

import logging
import sys

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
