"""Errors the SLA domain raises; the entrypoint maps each to one gRPC status code."""

from __future__ import annotations

__all__ = ["DomainError", "Forbidden", "InvalidInput", "NotFound"]


class DomainError(Exception):
    """Base of every rule violation; the message is safe to show to the caller."""


class InvalidInput(DomainError):
    """The request is malformed or names something that does not exist."""


class NotFound(DomainError):
    """No such thing."""


class Forbidden(DomainError):
    """The caller may not change this (another site's, or a default)."""
