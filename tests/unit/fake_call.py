"""A real `deps.Call` for route unit tests: the caller and the fake stubs a test gives,
nothing for the services it does not use (so the routes' own checks run unchanged)."""

from __future__ import annotations

from typing import Any

from services.gateway.entrypoint import deps
from services.gateway.entrypoint.security import Principal

__all__ = ["fake_call"]

_STUBS = ("intake", "devices", "notifications", "sla", "dispatch", "places", "assets", "users",
          "analytics", "predictor", "knowledge", "audit")  # fmt: skip


def fake_call(user: Principal, **stubs: Any) -> deps.Call:
    """`user`'s call, with `stubs` (by Call's field names) as its services."""
    unknown = set(stubs) - set(_STUBS)
    assert not unknown, f"deps.Call has no {unknown}"
    services: dict[str, Any] = {name: stubs.get(name) for name in _STUBS}
    return deps.Call(
        user=user, followers={}, opts={"timeout": 1.0, "metadata": ()},
        **services,
    )  # fmt: skip
