"""Between protobuf enum numbers and the lower-case codes the REST API and the domain use.

Protobuf enums carry their type as a prefix (`TICKET_STATUS_IN_PROGRESS`); the code is the
rest in lower case (`in_progress`). Priorities keep their case (`P1`).
"""

from __future__ import annotations

from typing import Any

__all__ = ["code_of", "number_of"]

# Generated enum wrappers (e.g. `intake_pb2.TicketStatus`) have `Name` and `Value`; their
# stubs type them as classes with a metaclass, which no Protocol matches, hence Any.
EnumType = Any


def code_of(enum: EnumType, prefix: str, number: int, upper: bool = False) -> str:
    """`code_of(TicketStatus, "TICKET_STATUS_", 4)` is `"in_progress"`; 0 and unknown give ''."""
    if number == 0:
        return ""
    try:
        name = str(enum.Name(number))
    except ValueError:
        return ""
    code = name.removeprefix(prefix)
    return code if upper else code.lower()


def number_of(enum: EnumType, prefix: str, code: str) -> int:
    """`number_of(TicketStatus, "TICKET_STATUS_", "in_progress")` is 4; unknown codes give 0."""
    if not code:
        return 0
    try:
        return int(enum.Value(prefix + code.upper()))
    except ValueError:
        return 0
