"""The ingestor's settings (env prefix INGESTOR_, plus DATABASE_URL, MQTT_URL and LOG_*)."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import GrpcServiceSettings

__all__ = ["IngestorSettings"]


class IngestorSettings(GrpcServiceSettings):
    """The ingestor keeps the real clock (device timestamps are checked against it), so it
    ignores `CLOCK_OFFSET_S`."""

    model_config = SettingsConfigDict(env_prefix="INGESTOR_", frozen=True, extra="ignore")

    mqtt_url: str = Field(
        default="mqtt://127.0.0.1:1883", validation_alias=AliasChoices("MQTT_URL", "mqtt_url")
    )
    #: Each replica needs its own id: its persistent session (unacknowledged messages) lives
    #: under it at the broker.
    client_id: str = "ingestor-1"
    #: Replicas in the same group share the subscriptions.
    share_group: str = "ingestors"
    #: How many unacknowledged messages the broker may have in flight to us (MQTT 5
    #: Receive Maximum): the bound on what is held while the database is away.
    receive_maximum: int = Field(default=2000, ge=1, le=65535)
    #: Payload bytes of received messages held before QoS 0 ones are dropped on arrival
    #: (QoS 1 ones are bounded by `receive_maximum`).
    max_queued_bytes: int = Field(default=64 * 1024 * 1024, ge=1)
    grpc_port: int = 50057
    metrics_port: int = 9107
    intake_target: str = "127.0.0.1:50051"
    batch_size: int = Field(default=2000, ge=1)
    batch_wait_s: float = 0.02
    max_payload_bytes: int = 64 * 1024
    pool_max: int = 6
    #: A device silent for `offline_factor` times its expected interval is offline.
    offline_factor: float = 2.0
    offline_check_every_s: float = 10.0
    #: How often the ticket outbox looks for retries that came due (new items wake it at once).
    outbox_every_s: float = 1.0
    #: Devices on one floor raising the same alert within this window share one ticket.
    rollup_window_s: float = 600.0
    #: Repeats of an open incident add at most one ticket event per this interval.
    repeat_event_every_s: float = 300.0
