"""Errors the dispatch domain and handlers raise; the entrypoint maps each to one gRPC code."""

from __future__ import annotations

__all__ = ["Conflict", "DispatchError", "Forbidden", "InvalidInput", "NotFound", "Unavailable"]


class DispatchError(Exception):
    """Base of every dispatch error; the message is safe to show to the caller."""


class InvalidInput(DispatchError):
    """The request (a rule set, a roster, a team) is malformed or names something unknown."""


class NotFound(DispatchError):
    """No such offer, ticket or rule set."""


class Forbidden(DispatchError):
    """The caller may not do this (claim an offer made to someone else, say)."""


class Conflict(DispatchError):
    """Someone was first: the offer is claimed, expired or the ticket is taken."""


class Unavailable(DispatchError):
    """A service dispatch depends on (intake) did not answer; try again."""
