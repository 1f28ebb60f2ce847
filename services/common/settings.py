"""Settings shared by every process; each process subclasses with its own env prefix."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_DATABASE_URL", "ServiceSettings"]

DEFAULT_DATABASE_URL = "postgresql://127.0.0.1:5432/maintenance"


class ServiceSettings(BaseSettings):
    """What every service needs: where the database is and how to log.

    `DATABASE_URL`, `LOG_LEVEL` and `LOG_FORMAT` are read without the prefix so one
    environment configures every process alike.
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
