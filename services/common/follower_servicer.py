"""FollowerService over gRPC: the events a service's follower parked, and retrying one."""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from maintenance.follower.v1 import follower_pb2 as pb
from maintenance.follower.v1 import follower_pb2_grpc as pb_grpc

from services.common.follower_store import FollowerStore, Parked

__all__ = ["FollowerServicer"]

Context = grpc.aio.ServicerContext[Any, Any]
_MAX_LIMIT = 1000


def _to_pb(parked: Parked) -> pb.ParkedEvent:
    at = Timestamp()
    at.FromDatetime(parked.parked_at)
    return pb.ParkedEvent(
        event_id=parked.event_id, consumer=parked.consumer, ticket_id=parked.ticket_id,
        type=parked.type, error=parked.error, attempts=parked.attempts, parked_at=at,
    )  # fmt: skip


class FollowerServicer(pb_grpc.FollowerServiceServicer):
    def __init__(self, store: FollowerStore) -> None:
        self._store = store

    async def ListParkedEvents(
        self, request: pb.ListParkedEventsRequest, context: Context
    ) -> pb.ListParkedEventsResponse:
        if not 0 <= request.limit <= _MAX_LIMIT:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, f"limit must be 0 to {_MAX_LIMIT}"
            )
        parked = await self._store.list(request.limit or 100)
        return pb.ListParkedEventsResponse(events=[_to_pb(p) for p in parked])

    async def RetryParkedEvent(
        self, request: pb.RetryParkedEventRequest, context: Context
    ) -> pb.RetryParkedEventResponse:
        handled, again = await self._store.retry(request.event_id)
        if not handled and again is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no parked event {request.event_id}")
        return pb.RetryParkedEventResponse(handled=handled, event=_to_pb(again) if again else None)
