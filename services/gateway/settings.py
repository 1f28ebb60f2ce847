"""The gateway's settings (env prefix GATEWAY_, plus LOG_*)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings

__all__ = ["DEV_JWT_SECRET", "GatewaySettings"]

#: Used only when GATEWAY_JWT_SECRET is not set; `main` warns about it.
DEV_JWT_SECRET = "dev-only-secret-change-me-in-production-0123456789"
#: The checkout's `web/`: the web application and the browser libraries npm installs there.
_WEB_DIR = Path(__file__).resolve().parents[2] / "web"


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", frozen=True, extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = Field(default=1, ge=1, le=16)
    intake_target: str = "127.0.0.1:50051"
    ingestor_target: str = "127.0.0.1:50057"
    notification_target: str = "127.0.0.1:50054"
    sla_target: str = "127.0.0.1:50053"
    dispatch_target: str = "127.0.0.1:50052"
    analytics_target: str = "127.0.0.1:50055"
    predictor_target: str = "127.0.0.1:50056"
    rpc_timeout_s: float = 10.0
    jwt_secret: str = Field(default=DEV_JWT_SECRET, min_length=32)
    token_ttl_s: int = 12 * 3600
    #: Largest JSON body accepted; larger ones get 413.
    max_body_bytes: int = 256 * 1024
    #: Largest upload (attachments) accepted.
    max_upload_bytes: int = 10 * 1024 * 1024
    #: Largest history file accepted by `POST /v1/import/{kind}`.
    max_import_bytes: int = 256 * 1024 * 1024
    #: Files up to this size are imported before the answer; larger ones become a job.
    import_at_once_bytes: int = 1024 * 1024
    #: The web application served at /app/ (its `app/` and `node_modules/` folders).
    web_dir: Path = _WEB_DIR
