"""The analytics process's settings (env prefix ANALYTICS_, plus DATABASE_URL and LOG_*)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import GrpcServiceSettings

__all__ = ["AnalyticsSettings"]


class AnalyticsSettings(GrpcServiceSettings):
    """Where analytics listens and finds intake, dispatch and SLA, and how it follows."""

    model_config = SettingsConfigDict(env_prefix="ANALYTICS_", frozen=True, extra="ignore")

    grpc_port: int = 50055
    metrics_port: int = 9105
    #: One connection follows, the others answer reports and count gauges.
    pool_min: int = 1
    pool_max: int = 4
    intake_target: str = "127.0.0.1:50051"
    #: Where dispatch is: it says which team each technician belongs to.
    dispatch_target: str = "127.0.0.1:50052"
    #: Where the SLA service is: its policies and calendars give business hours.
    sla_target: str = "127.0.0.1:50053"
    #: How often the SLA policies and calendars are asked for again.
    calendars_every_s: float = Field(default=60.0, gt=0)
    #: Timeout of each call to intake, dispatch or SLA.
    rpc_timeout_s: float = Field(default=10.0, gt=0)
    #: Events handled at most in one transaction while catching up (a replay, an import).
    follow_batch: int = Field(default=500, ge=1, le=5000)
    #: How long dispatch's answer (technician -> team) is kept.
    teams_ttl_s: float = Field(default=60.0, ge=0)
    #: How often the sites' time zones are compared with intake's.
    zones_every_s: float = Field(default=60.0, gt=0)
    #: The process's CPU niceness (0-19): a read model gives way to the services that act
    #: on live tickets when the cores are busy (catching up after an import, say).
    nice: int = Field(default=10, ge=0, le=19)
    #: How often the backlog, SLA, at-risk and satisfaction gauges are counted.
    gauges_every_s: float = Field(default=15.0, gt=0)
