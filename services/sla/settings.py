"""The SLA process's settings (env prefix SLA_, plus DATABASE_URL and LOG_*)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import GrpcServiceSettings

__all__ = ["SlaSettings"]


class SlaSettings(GrpcServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SLA_", frozen=True, extra="ignore")

    grpc_port: int = 50053
    metrics_port: int = 9103
    intake_target: str = "127.0.0.1:50051"
    #: Longest sleep between timer checks (the worker also wakes for the next due timer).
    timer_every_s: float = Field(default=0.25, gt=0)
    #: Timers claimed per check.
    timer_batch: int = Field(default=200, ge=1, le=5000)
    #: How long a claimed timer is reserved for its worker before another may take it.
    timer_lease_s: float = Field(default=30.0, gt=0)
    #: Calls to intake in flight at once while firing timers.
    timer_concurrency: int = Field(default=16, ge=1, le=256)
    #: Timeout of each call to intake (keep it well under the lease).
    intake_timeout_s: float = Field(default=10.0, gt=0)
    #: Tickets recomputed per transaction after a policy or calendar change.
    recompute_batch: int = Field(default=50, ge=1, le=1000)
    recompute_every_s: float = Field(default=1.0, gt=0)
    #: How often the at-risk gauges are refreshed.
    gauges_every_s: float = Field(default=15.0, gt=0)
    #: Store the default policies and calendars when there are no policies yet.
    seed_defaults: bool = True
