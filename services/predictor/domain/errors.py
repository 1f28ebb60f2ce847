"""Errors the predictor's rules raise; the entrypoint maps each to one gRPC status code."""

from __future__ import annotations

__all__ = ["DomainError", "Forbidden", "InvalidInput", "NotFound", "NotReady"]


class DomainError(Exception):
    """Base of every rule violation; the message is safe to show to the caller."""


class InvalidInput(DomainError):
    """The request is malformed."""


class NotFound(DomainError):
    """No such hotspot (or site)."""


class Forbidden(DomainError):
    """The caller may not do this."""


class NotReady(DomainError):
    """No ranking yet for what was asked (no model has been trained for the site)."""
