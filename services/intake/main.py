"""Start the intake service: `python -m services.intake`."""

from __future__ import annotations

from datetime import timedelta

import grpc
from maintenance.intake.v1 import (
    assets_pb2_grpc,
    audit_pb2_grpc,
    history_pb2_grpc,
    knowledge_pb2_grpc,
    places_pb2_grpc,
    users_pb2_grpc,
)
from maintenance.intake.v1 import intake_pb2_grpc as pb_grpc

from services.common.db import ping
from services.common.periodic import every
from services.common.service import run_main, serve, service_pool
from services.intake.entrypoint.assets_servicer import AssetServicer
from services.intake.entrypoint.audit_servicer import AuditServicer
from services.intake.entrypoint.history_servicer import HistoryServicer
from services.intake.entrypoint.knowledge_servicer import KnowledgeServicer
from services.intake.entrypoint.places_servicer import PlaceServicer
from services.intake.entrypoint.servicer import IntakeServicer
from services.intake.entrypoint.users_servicer import UserServicer
from services.intake.handlers import IntakeHandlers
from services.intake.handlers.assets import AssetHandlers
from services.intake.handlers.audit import AuditHandlers
from services.intake.handlers.knowledge import KnowledgeHandlers
from services.intake.handlers.places import PlaceHandlers
from services.intake.handlers.users import UserHandlers
from services.intake.handlers.work_orders import WorkOrderHandlers
from services.intake.settings import IntakeSettings

__all__ = ["main", "run"]

SERVICE_NAME = "maintenance.intake.v1.IntakeService"


async def run(settings: IntakeSettings) -> None:
    """Wire the service from settings and serve until stopped."""
    async with service_pool(settings, "intake") as pool:
        handlers = IntakeHandlers(
            pool, settings.clock(), settings.stream_poll_s, settings.approval_threshold_cents,
            triage_min_confidence=settings.triage_min_confidence,
        )  # fmt: skip

        def register(server: grpc.aio.Server) -> None:
            pb_grpc.add_IntakeServiceServicer_to_server(IntakeServicer(handlers), server)
            places_pb2_grpc.add_PlaceServiceServicer_to_server(
                PlaceServicer(PlaceHandlers(pool)), server
            )
            assets_pb2_grpc.add_AssetServiceServicer_to_server(
                AssetServicer(AssetHandlers(pool, settings.clock())), server
            )
            users_pb2_grpc.add_UserServiceServicer_to_server(
                UserServicer(UserHandlers(pool, settings.min_password_chars)), server
            )
            history_pb2_grpc.add_HistoryServiceServicer_to_server(
                HistoryServicer(WorkOrderHandlers(pool, settings.clock())), server
            )
            audit_pb2_grpc.add_AuditServiceServicer_to_server(
                AuditServicer(AuditHandlers(pool, settings.clock())), server
            )
            knowledge_pb2_grpc.add_KnowledgeServiceServicer_to_server(
                KnowledgeServicer(KnowledgeHandlers(pool, settings.clock())), server
            )

        async def auto_close() -> None:
            await handlers.close_unrated_forever(
                timedelta(seconds=settings.rating_window_s), settings.auto_close_every_s
            )

        async def triage() -> None:
            """The corpus alone first (the database may be away), then its corrections."""
            await handlers.start_triage()
            await every(settings.triage_retrain_every_s, handlers.retrain_triage,
                        "retraining the triage classifier")  # fmt: skip

        await serve(settings, SERVICE_NAME, register, lambda: ping(pool), [
            auto_close,
            lambda: every(settings.held_back_every_s, handlers.measure_held_back,
                          "measuring how far the event log is held back"),
            *([triage] if settings.triage else []),
        ])  # fmt: skip


def main() -> None:
    run_main(IntakeSettings(), "intake", run)
