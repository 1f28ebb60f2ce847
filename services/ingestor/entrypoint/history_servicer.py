"""HistoryService over gRPC: translate, call the history use cases, translate back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC
from typing import Any

import grpc
from maintenance.ingestor.v1 import ingestor_pb2 as pb
from maintenance.ingestor.v1 import ingestor_pb2_grpc as pb_grpc

from services.ingestor.domain.history import (
    DeviceEvent,
    ImportOutcome,
    RowProblem,
    TelemetryColumns,
)
from services.ingestor.domain.model import Device
from services.ingestor.domain.registry import InvalidDevice
from services.ingestor.entrypoint.servicer import device_from_pb
from services.ingestor.handlers.history import History

__all__ = ["HistoryServicer"]

Context = grpc.aio.ServicerContext[Any, Any]


def _counts(outcome: ImportOutcome) -> pb.ImportCounts:
    return pb.ImportCounts(
        inserted=outcome.inserted, updated=outcome.updated, unchanged=outcome.unchanged,
        problems=[pb.RowProblem(line=p.line, column=p.column, reason=p.reason)
                  for p in outcome.problems],
    )  # fmt: skip


def _event(row: pb.EventRow) -> DeviceEvent:
    return DeviceEvent(row.time.ToDatetime(UTC), row.code, row.device_id, row.asset_id,
                       row.severity, row.message)  # fmt: skip


def _columns(chunk: pb.TelemetryChunk) -> TelemetryColumns:
    return TelemetryColumns(list(chunk.line), list(chunk.device_id), list(chunk.time_us),
                            list(chunk.metric), list(chunk.value))  # fmt: skip


class HistoryServicer(pb_grpc.HistoryServiceServicer):
    def __init__(self, history: History) -> None:
        self._history = history

    async def ImportDevices(
        self, request: pb.ImportDevicesRequest, context: Context
    ) -> pb.ImportCounts:
        rows: list[tuple[int, Device]] = []
        refused: list[RowProblem] = []
        for row in request.rows:
            try:
                rows.append((row.line, device_from_pb(row.device)))
            except InvalidDevice as exc:
                refused.append(RowProblem(row.line, "kind", str(exc)))
        return _counts(await self._history.import_devices(rows, request.dry_run, refused))

    async def ImportEvents(
        self, request: pb.ImportEventsRequest, context: Context
    ) -> pb.ImportCounts:
        rows = [(r.line, _event(r)) for r in request.rows]
        return _counts(await self._history.import_events(rows, request.dry_run))

    async def ImportTelemetry(
        self, request_iterator: AsyncIterator[pb.TelemetryChunk], context: Context
    ) -> pb.ImportCounts:
        first = await anext(request_iterator, None)
        if first is None:
            return pb.ImportCounts()

        async def chunks() -> AsyncIterator[TelemetryColumns]:
            chunk: pb.TelemetryChunk | None = first
            while chunk is not None:
                yield _columns(chunk)
                chunk = await anext(request_iterator, None)

        return _counts(await self._history.import_telemetry(chunks(), first.dry_run))
