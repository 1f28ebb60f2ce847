"""Deliver the ticket outbox to intake: open a ticket per incident, record repeats and clears.

Opening is exactly once: CreateTicket carries the incident id as its idempotency key, so a
retry after a crash returns the ticket already made. Activity events are at least once.
A transient failure (UNAVAILABLE, DEADLINE_EXCEEDED...) is retried with backoff; a permanent
one (`PERMANENT_CODES`: INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION...) ends the item
as dead, with its reason, an ERROR line and `ingestor_outbox_dead_total`; so do the repeats
and clears of an incident whose ticket could not be opened.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

import grpc
from maintenance.intake.v1 import intake_pb2 as pb
from psycopg_pool import AsyncConnectionPool

from services.common.protoenum import number_of
from services.common.rpc_errors import PERMANENT_CODES
from services.common.worker import Worker
from services.ingestor import metrics
from services.ingestor.adapters.outbox_repo import OutboxItem, OutboxRepository
from services.ingestor.adapters.places_client import PlaceChecker, Placed
from services.ingestor.adapters.store import IngestStore
from services.ingestor.domain.incidents import Incident
from services.ingestor.domain.ticket_text import SensorTicket, sensor_ticket
from services.ingestor.handlers.registry import DeviceCache

if TYPE_CHECKING:
    from maintenance.intake.v1.intake_pb2_grpc import IntakeServiceAsyncStub

__all__ = ["ACTOR", "Outbox"]

log = logging.getLogger(__name__)

#: Who the ingestor is to intake.
ACTOR = pb.Actor(username="ingestor", role=pb.ROLE_SYSTEM, channel=pb.CHANNEL_SENSOR)


class _NotYet(Exception):
    """The item waits for something else (its incident's ticket) to happen first."""


class _GivenUp(Exception):
    """The item can never be delivered; the message says why."""


class Outbox:
    def __init__(
        self,
        pool: AsyncConnectionPool,
        intake: IntakeServiceAsyncStub,
        cache: DeviceCache,
        places: PlaceChecker,
        timeout_s: float = 10.0,
    ) -> None:
        self._pool = pool
        self._intake = intake
        self._cache = cache
        self._places = places
        self._timeout_s = timeout_s
        self._worker = Worker()

    def wake(self) -> None:
        """Something was queued: deliver now rather than at the next tick."""
        self._worker.wake()

    async def run_forever(self, every_s: float) -> None:
        """Deliver whenever woken (again at once while there was something to deliver), and
        every `every_s` for retries that come due."""
        await self._worker.run_forever(self.deliver_due, every_s, "delivering the ticket outbox")

    async def deliver_due(self, limit: int = 50) -> int:
        """Deliver what is due; returns how many items were delivered."""
        async with self._pool.connection() as conn, conn.transaction():
            items = await OutboxRepository(conn).claim(limit)
        delivered = 0
        for item in items:
            try:
                ticket_id = await self._send(item)
            except _NotYet:
                await self._retry(item, "waiting for the incident's ticket", 1.0)
                continue
            except _GivenUp as exc:
                await self._bury(item, "GIVEN_UP", str(exc))
                continue
            except grpc.aio.AioRpcError as exc:
                if exc.code() in PERMANENT_CODES:
                    await self._bury(item, exc.code().name, exc.details() or "")
                    continue
                metrics.OUTBOX_FAILURES.inc()
                delay = min(60.0, 0.5 * 2**item.attempts)
                log.warning(
                    "outbox item %d failed (%s: %s); retry in %.1fs",
                    item.id,
                    exc.code().name,
                    exc.details(),
                    delay,
                )
                await self._retry(item, f"{exc.code().name}: {exc.details()}", delay)
                continue
            async with self._pool.connection() as conn, conn.transaction():
                await OutboxRepository(conn).done(item, ticket_id)
            delivered += 1
        return delivered

    async def _bury(self, item: OutboxItem, code: str, detail: str) -> None:
        """Intake refused the item for good (or it can never be sent): keep it as dead with
        its reason instead of retrying it forever."""
        log.error("outbox item %d (%s of incident %s) given up: %s: %s",
                  item.id, item.action, item.incident_id, code, detail)  # fmt: skip
        metrics.OUTBOX_DEAD.labels(code).inc()
        async with self._pool.connection() as conn, conn.transaction():
            await OutboxRepository(conn).bury(item, f"{code}: {detail}")

    async def _retry(self, item: OutboxItem, error: str, delay_s: float) -> None:
        async with self._pool.connection() as conn, conn.transaction():
            await OutboxRepository(conn).retry_later(item, error, delay_s)

    async def _open(self, incident: Incident) -> str:
        """Open the incident's ticket at its place. Should intake refuse the place (removed
        behind the API's back since the device was registered), open it at the nearest
        place that exists, saying what is missing, for a person to fix."""
        device = await self._cache.find_by_id(incident.devices[0])
        if device is None:
            raise _GivenUp(f"device {incident.devices[0]} is no longer registered")
        text = sensor_ticket(incident, device)
        try:
            return await self._create(
                incident, device.device_id, text, Placed(incident.building, incident.floor, "")
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.INVALID_ARGUMENT:
                raise
            placed = await self._places.nearest(incident.site, incident.building, incident.floor)
            if not placed.problem:
                raise
        log.error("incident %s: %s; its ticket opens at the nearest place that exists",
                  incident.id, placed.problem)  # fmt: skip
        return await self._create(incident, device.device_id, text, placed)

    async def _create(
        self, incident: Incident, device_id: str, text: SensorTicket, placed: Placed
    ) -> str:
        attributes = dict(text.attributes)
        if placed.problem:
            attributes["place_problem"] = (
                f"{placed.problem} (the device says {incident.building}/{incident.floor})"
            )
        reply = await self._intake.CreateTicket(
            pb.CreateTicketRequest(
                actor=ACTOR,
                kind=pb.TICKET_KIND_REPAIR,
                category=text.category,
                title=text.title,
                description=text.description,
                location=pb.Location(
                    site=incident.site, building=placed.building, floor=placed.floor
                ),
                priority=number_of(pb.Priority, "PRIORITY_", incident.priority),  # type: ignore[arg-type]
                idempotency_key=f"incident:{incident.id}",
                device_id=device_id,
                attributes=attributes,
            ),
            timeout=self._timeout_s,
        )
        log.info("incident %s opened ticket %s (%s)", incident.id, reply.ticket.number,
                 incident.alert_type)  # fmt: skip
        return str(reply.ticket.id)

    async def _send(self, item: OutboxItem) -> str | None:
        """Send one item; returns the ticket id when it opened one."""
        async with self._pool.connection() as conn:
            incident = await IngestStore(conn).incident_by_id(item.incident_id)
            if incident is None:  # written in the same transaction as the item: cannot happen
                raise _GivenUp(f"incident {item.incident_id} does not exist")
            if item.action != "open" and incident.ticket_id is None:
                if await OutboxRepository(conn).opening_is_dead(item.incident_id):
                    raise _GivenUp("the incident's ticket could not be opened")
                raise _NotYet
        if item.action == "open":
            return await self._open(incident)
        assert incident.ticket_id is not None
        payload = dict(item.payload)
        note = str(payload.pop("note", ""))
        await self._intake.RecordActivity(
            pb.RecordActivityRequest(actor=ACTOR, ticket_id=incident.ticket_id, type=item.activity,
                                     note=note, payload_json=json.dumps(payload)),
            timeout=self._timeout_s,
        )  # fmt: skip
        return None
