"""The intake process's settings (env prefix INTAKE_, plus DATABASE_URL and LOG_*)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import GrpcServiceSettings

__all__ = ["IntakeSettings"]


class IntakeSettings(GrpcServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", frozen=True, extra="ignore")

    grpc_port: int = 50051
    metrics_port: int = 9101
    pool_max: int = 10
    #: How long a resolved ticket waits for the tenant's rating before it closes by itself.
    rating_window_s: float = 7 * 24 * 3600
    #: How often unrated tickets are looked for.
    auto_close_every_s: float = 60.0
    #: How often the event log's held-back time (intake_event_log_held_back_seconds) is read.
    held_back_every_s: float = 5.0
    #: How often a following event stream looks for new events.
    stream_poll_s: float = 0.1
    #: Resolutions costing more than this (cents, CNY) wait for a supervisor's approval.
    approval_threshold_cents: int = 500_00
    #: The shortest password `PUT /v1/users/{username}` accepts.
    min_password_chars: int = Field(default=8, ge=4)
    #: Train the triage classifier at start (corpus + corrections) to fill what requesters
    #: leave out; false leaves it to the rules (urgent words, the category's priority).
    triage: bool = True
    #: Below this probability a suggestion is recorded on the ticket but decides nothing.
    triage_min_confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    #: How often stored corrections are looked for, to train the classifier anew with them.
    triage_retrain_every_s: float = 3600.0
