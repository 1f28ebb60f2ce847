"""Look in a ticket's history at intake for what a service recorded there before, so that
a retry after a crash does not record it twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from maintenance.intake.v1 import intake_pb2 as pb

from services.common.event_follower import event_payload

if TYPE_CHECKING:
    from maintenance.intake.v1.intake_pb2_grpc import IntakeServiceAsyncStub

__all__ = ["recorded_values"]


async def recorded_values(
    intake: IntakeServiceAsyncStub,
    actor: pb.Actor,
    ticket_id: str,
    key: str,
    *,
    types: Callable[[str], bool],
    timeout_s: float,
) -> list[object]:
    """The values under `key` in the JSON payloads of the ticket's events whose type
    `types` accepts, oldest first; a payload that is not a JSON object, or lacks `key`,
    adds none. Intake's refusals and failures raise `grpc.aio.AioRpcError`."""
    reply = await intake.ListTicketEvents(
        pb.ListTicketEventsRequest(actor=actor, ticket_id=ticket_id), timeout=timeout_s
    )
    values: list[object] = []
    for event in reply.events:
        if not types(event.type):
            continue
        payload = event_payload(event)
        if key in payload:
            values.append(payload[key])
    return values
