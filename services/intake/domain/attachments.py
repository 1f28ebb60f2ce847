"""Which files a ticket accepts: photos and short videos, recognised by their bytes."""

from __future__ import annotations

from services.intake.domain.errors import InvalidInput

__all__ = ["MAX_ATTACHMENT_BYTES", "check_attachment", "sniff_media_type"]

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


def sniff_media_type(content: bytes) -> str | None:
    """The media type the content really has, or None when it is not one we accept."""
    head = content[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"mif1", b"msf1"):
            return "image/heic"
        return "video/mp4"
    return None


def check_attachment(filename: str, declared_type: str, content: bytes) -> str:
    """Return the media type to store, or raise InvalidInput saying why the file is refused."""
    if not content:
        raise InvalidInput("the file is empty")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise InvalidInput(f"the file is {len(content)} bytes; the limit is {MAX_ATTACHMENT_BYTES}")
    if not filename or len(filename) > 255 or "/" in filename or "\\" in filename:
        raise InvalidInput("the file name must be 1-255 characters with no path separators")
    actual = sniff_media_type(content)
    if actual is None:
        raise InvalidInput("only photos (JPEG, PNG, GIF, WebP, HEIC) and MP4 videos are accepted")
    declared = declared_type.split(";", maxsplit=1)[0].strip().lower()
    if declared and declared not in ("application/octet-stream", actual):
        raise InvalidInput(f"the file says it is {declared} but its content is {actual}")
    return actual
