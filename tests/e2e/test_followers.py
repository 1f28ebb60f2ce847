"""The parked events of every service that follows the event log, over REST: each answers,
only admins may look, and an event that is not parked cannot be retried."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from services.gateway.adapters.backends import FOLLOWERS

Login = Callable[[str], httpx.Client]


@pytest.mark.parametrize("service", FOLLOWERS)
def test_every_follower_lists_what_it_parked(as_user: Login, service: str) -> None:
    reply = as_user("admin").get(f"/v1/admin/followers/{service}/parked")
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"items": []}
    missing = as_user("admin").post(f"/v1/admin/followers/{service}/parked/999999999/retry")
    assert missing.status_code == 404, missing.text
    assert "999999999" in missing.json()["detail"]


def test_only_admins_and_only_followers(as_user: Login) -> None:
    assert as_user("supervisor1").get("/v1/admin/followers/sla/parked").status_code == 403
    assert as_user("admin").get("/v1/admin/followers/predictor/parked").status_code == 422
    assert as_user("admin").get("/v1/admin/followers/sla/parked?limit=0").status_code == 422
