"""The notification process's settings (env prefix NOTIFICATION_, plus DATABASE_URL and LOG_*)."""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from services.common.settings import GrpcServiceSettings

__all__ = ["NotificationSettings"]


class NotificationSettings(GrpcServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATION_", frozen=True, extra="ignore")

    grpc_port: int = 50054
    metrics_port: int = 9104
    intake_target: str = "127.0.0.1:50051"
    intake_timeout_s: float = 10.0
    pool_max: int = 6
    #: The language of users who have no contact, or whose locale is not supported.
    default_locale: str = Field(default="zh-CN", pattern="^(zh-CN|en)$")
    #: Events older than this are not announced (historical imports); 0 announces all.
    max_event_age_s: float = Field(default=24 * 3600, ge=0)
    #: A delivery is dead after this many failed attempts.
    max_attempts: int = Field(default=5, ge=1)
    #: The first retry waits this long; each further one twice as long, up to the cap.
    retry_base_s: float = Field(default=5.0, ge=0)
    retry_cap_s: float = Field(default=1800.0, ge=0)
    #: One attempt may take this long before it counts as failed.
    send_timeout_s: float = Field(default=20.0, gt=0)
    #: A claimed delivery comes due again after this long if its worker died.
    lease_s: float = Field(default=120.0, gt=0)
    #: How often the outbox is looked at for retries that came due (queued ones wake it).
    outbox_every_s: float = Field(default=1.0, gt=0)
    outbox_batch: int = Field(default=50, ge=1)
    send_concurrency: int = Field(default=8, ge=1)

    @model_validator(mode="after")
    def _lease_outlasts_a_send(self) -> NotificationSettings:
        if self.lease_s <= self.send_timeout_s:
            raise ValueError("lease_s must be longer than send_timeout_s")
        if self.retry_cap_s < self.retry_base_s:
            raise ValueError("retry_cap_s must be at least retry_base_s")
        return self
