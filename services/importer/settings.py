"""The importer's settings (env prefix IMPORTER_): where the owning services are, and the
gRPC TLS every process shares (`GRPC_TLS_*`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from services.common.grpc_tls import GrpcTlsSettings

__all__ = ["ImporterSettings"]


class ImporterSettings(GrpcTlsSettings):
    model_config = SettingsConfigDict(env_prefix="IMPORTER_", frozen=True, extra="ignore")

    #: Intake, which owns places, assets and work orders.
    intake_target: str = "127.0.0.1:50051"
    #: The ingestor, which owns devices, their events and telemetry.
    ingestor_target: str = "127.0.0.1:50057"
