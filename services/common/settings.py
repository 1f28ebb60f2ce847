"""Settings shared by every process; each process subclasses with its own env prefix."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from services.common.clock import Clock, offset_clock
from services.common.grpc_tls import GrpcTlsSettings

__all__ = ["DEFAULT_DATABASE_URL", "GrpcServiceSettings", "ServiceSettings"]

DEFAULT_DATABASE_URL = "postgresql://127.0.0.1:5432/maintenance"


class ServiceSettings(GrpcTlsSettings):
    """What every service needs: where the database is, how to log, what time it is, and
    the optional TLS of its gRPC (`services.common.grpc_tls`).

    `DATABASE_URL`, `LOG_LEVEL`, `LOG_FORMAT`, `CLOCK_OFFSET_S` and `GRPC_TLS_*` are read
    without the prefix so one environment configures every process alike.
    """

    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        validation_alias=AliasChoices("DATABASE_URL", "database_url"),
    )
    log_level: str = Field(default="INFO", validation_alias=AliasChoices("LOG_LEVEL", "log_level"))
    log_format: str = Field(
        default="text",
        validation_alias=AliasChoices("LOG_FORMAT", "log_format"),
        pattern="^(text|json)$",
    )
    #: Seconds added to the real time by the services that keep ticket time (intake,
    #: dispatch, SLA, notification): for demos and end-to-end tests of time-of-day rules.
    clock_offset_s: float = Field(
        default=0.0,
        validation_alias=AliasChoices("CLOCK_OFFSET_S", "clock_offset_s"),
        ge=-10 * 365 * 86400,
        le=10 * 365 * 86400,
    )

    def clock(self) -> Clock:
        """The clock these settings ask for."""
        return offset_clock(self.clock_offset_s)


class GrpcServiceSettings(ServiceSettings):
    """What a gRPC service adds: where it listens, its pool, how it starts and stops.

    Each service sets its own defaults for the ports (and pool sizes where they differ).
    """

    host: str = "127.0.0.1"
    grpc_port: int
    metrics_port: int
    pool_min: int = 2
    pool_max: int = 8
    #: The server ends a session of the pool left idle inside a transaction this long.
    idle_in_transaction_s: float = Field(default=60.0, gt=0)
    #: The server cancels a statement of the pool that runs longer than this.
    statement_timeout_s: float = Field(default=300.0, gt=0)
    #: How long a stopping service lets calls in flight finish.
    grace_s: float = 5.0
    #: Apply the service's migrations when it starts.
    migrate_on_start: bool = True
