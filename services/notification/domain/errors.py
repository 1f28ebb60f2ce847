"""Errors the notification domain raises; the servicer maps each to one gRPC status code."""

from __future__ import annotations

__all__ = ["DomainError", "InvalidInput", "NotFound"]


class DomainError(Exception):
    """Base of every rule violation; the message is safe to show to the caller."""


class InvalidInput(DomainError):
    """The request is malformed (a bad page token, an unsupported locale, a bad URL)."""


class NotFound(DomainError):
    """No such thing."""
