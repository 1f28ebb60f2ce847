"""Errors the domain raises; the entrypoint maps each to one gRPC status code."""

from __future__ import annotations

__all__ = [
    "DomainError",
    "Forbidden",
    "IdempotencyConflict",
    "IllegalTransition",
    "InUse",
    "InvalidInput",
    "NotFound",
    "Unauthenticated",
]


class DomainError(Exception):
    """Base of every rule violation; the message is safe to show to the caller."""


class InvalidInput(DomainError):
    """The request is malformed or names something that does not exist; `field` names the
    input at fault when there is one (an import reports it as the column)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class NotFound(DomainError):
    """No such thing, or the caller may not see it."""


class Forbidden(DomainError):
    """The caller's role may not do this."""


class IllegalTransition(DomainError):
    """The ticket's current state does not allow the action."""


class InUse(DomainError):
    """The thing cannot be removed while others use it; the message names them."""


class IdempotencyConflict(DomainError):
    """An idempotency key was reused with a different request."""


class Unauthenticated(DomainError):
    """Unknown user or wrong password."""
