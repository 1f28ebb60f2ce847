"""Text from devices made safe to keep."""

from __future__ import annotations

__all__ = ["clean_text"]


def clean_text(value: str, limit: int) -> str:
    """`value` without control characters (NUL included) or unpaired surrogates, which
    PostgreSQL cannot store; line breaks and tabs become spaces. Cut to `limit` characters."""
    if value.isprintable():
        return value[:limit]
    return "".join(c if c.isprintable() else " " if c in "\t\r\n" else "" for c in value)[:limit]
