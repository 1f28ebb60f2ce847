"""Build the FastAPI application from settings."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector

from services.gateway.adapters.backends import Backends
from services.gateway.adapters.import_jobs import ImportJobs
from services.gateway.entrypoint import (
    analytics_routes,
    asset_routes,
    attachment_routes,
    audit,
    auth_routes,
    device_routes,
    dispatch_routes,
    follower_routes,
    hotspot_routes,
    import_routes,
    kb_routes,
    notification_routes,
    ops_routes,
    place_routes,
    sla_routes,
    ticket_routes,
    user_routes,
)
from services.gateway.entrypoint.audit import AuditMiddleware
from services.gateway.entrypoint.etag import ETagMiddleware
from services.gateway.entrypoint.login_limits import LoginLimits
from services.gateway.entrypoint.middleware import EdgeMiddleware
from services.gateway.entrypoint.problems import install_problem_handlers
from services.gateway.entrypoint.security import TokenIssuer
from services.gateway.entrypoint.web_app import mount_web
from services.gateway.settings import GatewaySettings

__all__ = ["create_app"]


def _registry(metrics_dir: str) -> CollectorRegistry:
    """What /metrics shows: this process's metrics, or every worker's summed."""
    if not metrics_dir:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=metrics_dir)  # type: ignore[no-untyped-call]
    return registry


_DESCRIPTION = """
The public REST API of the maintenance platform. Tenants raise repair requests (报修),
complaints (投诉) and inquiries (咨询) and follow them; staff accept, assign, work and
resolve them; the tenant rates the service.

Sign in with `POST /v1/auth/token` (form fields `username`, `password`) and send the token
as `Authorization: Bearer <token>`. Errors are `application/problem+json`.
"""


def create_app(settings: GatewaySettings) -> FastAPI:
    """The gateway app; its gRPC channel opens on start-up and closes on shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.backends = Backends(
            {
                "intake": settings.intake_target,
                "ingestor": settings.ingestor_target,
                "notification": settings.notification_target,
                "sla": settings.sla_target,
                "dispatch": settings.dispatch_target,
                "analytics": settings.analytics_target,
                "predictor": settings.predictor_target,
            },
            settings.max_upload_bytes + 1024 * 1024,
            settings.grpc_tls,
        )
        app.state.import_jobs = ImportJobs()
        try:
            yield
        finally:
            await app.state.import_jobs.close()
            await app.state.backends.close()

    app = FastAPI(
        title="Maintenance platform API",
        version="1.0.0",
        description=_DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.tokens = TokenIssuer(settings.jwt_secrets(), settings.token_ttl_s)
    app.state.login_limits = LoginLimits(
        settings.login_failures_per_user, settings.login_failures_per_address,
        settings.login_window_s, time.monotonic,
    )  # fmt: skip
    app.state.metrics = _registry(settings.metrics_dir)
    app.state.rpc_timeout_s = settings.rpc_timeout_s
    app.state.max_upload_bytes = settings.max_upload_bytes
    app.state.import_settings = settings
    install_problem_handlers(app)
    for module in (
        ops_routes,
        auth_routes,
        ticket_routes,
        attachment_routes,
        device_routes,
        place_routes,
        asset_routes,
        user_routes,
        notification_routes,
        sla_routes,
        dispatch_routes,
        import_routes,
        analytics_routes,
        hotspot_routes,
        follower_routes,
        kb_routes,
        audit,
    ):
        app.include_router(module.router)
    mount_web(app, settings.web_dir)
    app.add_middleware(ETagMiddleware)
    app.add_middleware(AuditMiddleware)
    app.add_middleware(
        EdgeMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
        max_import_bytes=settings.max_import_bytes,
    )
    return app
