"""Photos and videos on tickets."""

from __future__ import annotations

import hashlib
import uuid

from services.intake.adapters.tickets_repo import AttachmentRow
from services.intake.domain.attachments import check_attachment
from services.intake.domain.errors import NotFound
from services.intake.domain.model import Actor, NewEvent, Role
from services.intake.handlers.base import HandlersBase

__all__ = ["AttachmentHandlers"]


class AttachmentHandlers(HandlersBase):
    """Stores and reads attachments on tickets the actor can see."""

    async def add_attachment(
        self, actor: Actor, ticket_id: str, filename: str, content_type: str, content: bytes
    ) -> AttachmentRow:
        """Store a photo or video on a ticket the actor can see; checks type and size first."""
        media_type = check_attachment(filename, content_type, content)
        now = self._clock()
        row = AttachmentRow(
            id=str(uuid.uuid4()),
            ticket_id=ticket_id,
            filename=filename,
            content_type=media_type,
            size_bytes=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            uploaded_by=actor.username,
            created_at=now,
        )
        async with self._unit() as repo:
            ticket = await self._visible(repo, actor, ticket_id, True)
            if actor.role is Role.PLANNER:
                raise NotFound(f"no ticket {ticket_id[:64]!r}")
            await repo.add_attachment(row, content)
            event = NewEvent(
                type="attachment_added", from_status=ticket.status, to_status=ticket.status,
                actor=actor.username, actor_role=actor.role, channel=actor.channel,
                occurred_at=now, payload={"attachment_id": row.id, "filename": filename,
                                          "content_type": media_type, "size_bytes": len(content)},
            )  # fmt: skip
            await repo.append_events(ticket_id, [event])
        return row

    async def get_attachment(
        self, actor: Actor, ticket_id: str, attachment_id: str
    ) -> tuple[AttachmentRow, bytes]:
        async with self._unit() as repo:
            await self._visible(repo, actor, ticket_id, False)
            found = await repo.attachment_content(ticket_id, attachment_id)
        if found is None:
            raise NotFound(f"no attachment {attachment_id[:64]!r} on this ticket")
        return found
