"""Errors the analytics domain raises; the entrypoint maps each to one gRPC status code."""

from __future__ import annotations

__all__ = ["DomainError", "Forbidden", "InvalidInput", "NotFound", "Unavailable"]


class DomainError(Exception):
    """Base of every rule violation; the message is safe to show to the caller."""


class InvalidInput(DomainError):
    """The request is malformed (a bad date, an unknown dimension, a forged cell)."""


class NotFound(DomainError):
    """No such site."""


class Forbidden(DomainError):
    """The caller may not see this site's figures."""


class Unavailable(DomainError):
    """A service the report needs (dispatch, for teams) does not answer; try again."""
