"""Failed sign-ins per username and per address."""

from __future__ import annotations

from services.gateway.entrypoint.login_limits import LoginLimits


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_username_waits_after_its_limit_until_the_oldest_failure_leaves() -> None:
    clock = Clock()
    limits = LoginLimits(per_user=3, per_address=100, window_s=60, clock=clock)
    for n in range(3):
        assert limits.wait_s("tenant1", f"10.0.0.{n}") == 0
        limits.failed("tenant1", f"10.0.0.{n}")
        clock.now += 10
    assert limits.wait_s("tenant1", "10.0.0.9") == 30  # the first failure is 30 s from leaving
    assert limits.wait_s("tenant2", "10.0.0.9") == 0  # another name is not held
    clock.now += 30
    assert limits.wait_s("tenant1", "10.0.0.9") == 0


def test_an_address_trying_many_names_waits() -> None:
    clock = Clock()
    limits = LoginLimits(per_user=100, per_address=5, window_s=60, clock=clock)
    for n in range(5):
        limits.failed(f"user{n}", "10.0.0.1")
    assert limits.wait_s("anyone", "10.0.0.1") == 60
    assert limits.wait_s("anyone", "10.0.0.2") == 0


def test_success_forgives_the_username_not_the_address() -> None:
    clock = Clock()
    limits = LoginLimits(per_user=2, per_address=3, window_s=60, clock=clock)
    limits.failed("tech1", "10.0.0.1")
    limits.failed("tech1", "10.0.0.1")
    limits.succeeded("tech1")
    assert limits.wait_s("tech1", "10.0.0.2") == 0
    limits.failed("x", "10.0.0.1")
    assert limits.wait_s("tech1", "10.0.0.1") == 60


def test_memory_stays_bounded_under_a_flood_of_names() -> None:
    clock = Clock()
    limits = LoginLimits(per_user=5, per_address=10**9, window_s=60, clock=clock, max_keys=100)
    for n in range(1000):
        limits.failed(f"name{n}", "10.0.0.1")
    assert len(limits._failures) <= 100
