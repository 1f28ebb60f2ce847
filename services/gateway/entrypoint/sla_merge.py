"""Tickets shown with the SLA service's deadlines, when it has seen them."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import grpc
from maintenance.intake.v1 import intake_pb2 as pb
from maintenance.sla.v1 import sla_pb2

from services.gateway.entrypoint.deps import Call

__all__ = ["with_sla"]

log = logging.getLogger(__name__)

_TIMEOUT_S = 1.0


async def with_sla(caller: Call, tickets: Sequence[pb.Ticket]) -> Sequence[pb.Ticket]:
    """Fill each ticket's `sla`; if the SLA service does not answer, tickets show none."""
    if not tickets:
        return tickets
    try:
        reply = await caller.sla.GetSlaStates(
            sla_pb2.GetSlaStatesRequest(ticket_ids=[t.id for t in tickets]),
            timeout=_TIMEOUT_S,
            metadata=caller.opts["metadata"],
        )
    except grpc.aio.AioRpcError as exc:
        log.warning("SLA states unavailable (%s); tickets shown without them", exc.code().name)
        return tickets
    states = {s.ticket_id: s for s in reply.states}
    for ticket in tickets:
        state = states.get(ticket.id)
        if state is None:
            continue
        if state.respond.HasField("due_at"):
            ticket.sla.respond_by.CopyFrom(state.respond.due_at)
        if state.resolve.HasField("due_at"):
            ticket.sla.resolve_by.CopyFrom(state.resolve.due_at)
        ticket.sla.breached = state.breached
    return tickets
