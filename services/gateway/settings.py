"""The gateway's settings (env prefix GATEWAY_, plus LOG_*)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings

__all__ = ["DEV_JWT_SECRET", "GatewaySettings", "MissingSecret"]

#: Used only in development mode (GATEWAY_DEV_MODE, as `make run` sets it) when
#: GATEWAY_JWT_SECRET is not set.
DEV_JWT_SECRET = "dev-only-secret-change-me-in-production-0123456789"
_MIN_SECRET = 32
#: The checkout's `web/`: the web application and the browser libraries npm installs there.
_WEB_DIR = Path(__file__).resolve().parents[2] / "web"


class MissingSecret(ValueError):
    """The gateway has no real secret to sign tokens with and was not asked for
    development mode."""


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", frozen=True, extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = Field(default=1, ge=1, le=16)
    #: With several workers: the folder where each writes its metrics and from which
    #: /metrics sums them (prometheus_client's multiprocess mode). `main` sets it.
    metrics_dir: str = ""
    intake_target: str = "127.0.0.1:50051"
    ingestor_target: str = "127.0.0.1:50057"
    notification_target: str = "127.0.0.1:50054"
    sla_target: str = "127.0.0.1:50053"
    dispatch_target: str = "127.0.0.1:50052"
    analytics_target: str = "127.0.0.1:50055"
    predictor_target: str = "127.0.0.1:50056"
    rpc_timeout_s: float = 10.0
    #: Signs and checks tokens. Required unless `dev_mode`.
    jwt_secret: str = ""
    #: During a key rotation, the secret before: tokens it signed stay valid until they
    #: expire (new ones are signed with `jwt_secret`). Empty outside a rotation.
    jwt_previous_secret: str = ""
    #: Development mode (`make run`, the test systems): without `jwt_secret` the committed
    #: development secret is used. Never in production.
    dev_mode: bool = False
    token_ttl_s: int = 12 * 3600
    #: Failed sign-ins a username may have in `login_window_s` before it must wait (429).
    login_failures_per_user: int = Field(default=5, ge=1)
    #: Failed sign-ins an address may have in `login_window_s` (whatever names it tries).
    login_failures_per_address: int = Field(default=30, ge=1)
    login_window_s: float = Field(default=300.0, gt=0)
    #: Proxies whose X-Forwarded-For is believed for the caller's address (comma-separated
    #: IPs or `*`): set the ingress's, or every caller shares its address.
    forwarded_allow_ips: str = "127.0.0.1"
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

    @field_validator("jwt_secret", "jwt_previous_secret")
    @classmethod
    def _long_enough(cls, value: str) -> str:
        if value and len(value) < _MIN_SECRET:
            raise ValueError(f"a token secret has at least {_MIN_SECRET} characters")
        return value

    def jwt_secrets(self) -> tuple[str, ...]:
        """The secret that signs, then the one still accepted during a rotation; raises
        MissingSecret without a real secret outside development mode."""
        signing = self.jwt_secret
        if not signing and self.dev_mode:
            signing = DEV_JWT_SECRET
        if not signing:
            raise MissingSecret(
                "GATEWAY_JWT_SECRET is not set: give it a random secret of at least"
                f" {_MIN_SECRET} characters (or GATEWAY_DEV_MODE=true on a development machine)"
            )
        if signing == DEV_JWT_SECRET and not self.dev_mode:
            raise MissingSecret(
                "GATEWAY_JWT_SECRET is the committed development secret: use a secret of your own"
            )
        return (signing, self.jwt_previous_secret) if self.jwt_previous_secret else (signing,)
