"""The predictor process's settings (env prefix PREDICTOR_, plus DATABASE_URL and LOG_*)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import GrpcServiceSettings

__all__ = ["PredictorSettings"]


class PredictorSettings(GrpcServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PREDICTOR_", frozen=True, extra="ignore")

    grpc_port: int = 50056
    metrics_port: int = 9106
    intake_target: str = "127.0.0.1:50051"
    ingestor_target: str = "127.0.0.1:50057"
    intake_timeout_s: float = Field(default=10.0, gt=0)
    #: Horizons (days) with a model of their own; others are converted from the nearest.
    horizons: str = Field(default="7,30", pattern=r"^\d{1,2}(,\d{1,2})*$")
    #: How often the leader syncs the read model and checks what is due (seconds).
    cycle_every_s: float = Field(default=60.0, gt=0)
    #: A model older than this is trained again (days).
    retrain_days: int = Field(default=7, ge=1, le=90)
    #: Days of training rows, and boosting rounds: the model's size.
    train_days: int = Field(default=365, ge=14, le=3650)
    max_iter: int = Field(default=100, ge=5, le=1000)
    #: Keys of each ranking explained with reasons and an action.
    explain: int = Field(default=50, ge=1, le=5000)

    def horizon_days(self) -> tuple[int, ...]:
        found = tuple(sorted({int(h) for h in self.horizons.split(",") if 1 <= int(h) <= 90}))
        return found or (7,)
