"""The dispatch process's settings (env prefix DISPATCH_, plus DATABASE_URL and LOG_*)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import GrpcServiceSettings

__all__ = ["DispatchSettings"]


class DispatchSettings(GrpcServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DISPATCH_", frozen=True, extra="ignore")

    grpc_port: int = 50052
    metrics_port: int = 9102
    intake_target: str = "127.0.0.1:50051"
    #: How long an offer waits for a claim before it falls back to automatic assignment
    #: (a claim-pool rule may set its own `window_s`).
    offer_window_s: int = Field(default=300, ge=1, le=24 * 3600)
    #: How often the workers look for due work when no notification woke them.
    work_every_s: float = 0.5
    #: How long a claimed routing job or intake call is leased to one worker.
    lease_s: float = 30.0
    #: Timeout of each call to intake.
    rpc_timeout_s: float = 5.0
    #: A rule set file (JSON or TOML, with "site") loaded and validated at start; it replaces
    #: that site's rules. Empty: the rules in the database stay as they are.
    rules_file: str = ""
    #: Time zone of a rule set that names none.
    default_timezone: str = "Asia/Shanghai"
