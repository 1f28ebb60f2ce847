"""`/v1/tickets/{id}/attachments`: photos and videos, checked by type and size."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Path, Request, Response, UploadFile, status
from maintenance.intake.v1 import intake_pb2 as pb

from services.gateway.entrypoint.deps import Caller
from services.gateway.entrypoint.problems import BodyTooLarge
from services.gateway.entrypoint.schemas import AttachmentOut, attachment_out

__all__ = ["router"]

router = APIRouter(prefix="/v1/tickets/{ticket_id}/attachments", tags=["attachments"])

TicketId = Annotated[str, Path(min_length=1, max_length=64)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=AttachmentOut,
    summary="Attach a photo or video",
)
async def add_attachment(
    ticket_id: TicketId,
    request: Request,
    file: Annotated[
        UploadFile, File(description="JPEG, PNG, GIF, WebP, HEIC or MP4, at most 10 MiB")
    ],
    caller: Caller,
) -> AttachmentOut:
    limit: int = request.app.state.max_upload_bytes
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise BodyTooLarge(limit)
    reply = await caller.intake.AddAttachment(
        pb.AddAttachmentRequest(
            actor=caller.actor(),
            ticket_id=ticket_id,
            filename=(file.filename or "upload")[:255],
            content_type=file.content_type or "",
            content=content,
        ),
        **caller.opts,
    )
    return attachment_out(ticket_id, reply.attachment)


@router.get(
    "/{attachment_id}",
    response_class=Response,
    responses={200: {"content": {"image/*": {}, "video/mp4": {}}}},
    summary="Download an attachment",
)
async def get_attachment(
    ticket_id: TicketId,
    attachment_id: Annotated[str, Path(min_length=1, max_length=64)],
    caller: Caller,
) -> Response:
    reply = await caller.intake.GetAttachment(
        pb.GetAttachmentRequest(
            actor=caller.actor(), ticket_id=ticket_id, attachment_id=attachment_id
        ),
        **caller.opts,
    )
    meta = reply.attachment
    safe_name = meta.filename.replace('"', "").encode("ascii", "replace").decode()
    return Response(
        content=reply.content,
        media_type=meta.content_type,
        headers={
            "Content-Disposition": f'inline; filename="{safe_name}"',
            "ETag": f'"{meta.sha256}"',
        },
    )
