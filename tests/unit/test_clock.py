"""The shared clock and its setting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.common.clock import offset_clock, utc_now
from services.common.settings import ServiceSettings


def test_no_offset_is_the_real_clock() -> None:
    assert offset_clock(0) is utc_now


def test_an_offset_clock_reads_ahead_and_runs_at_real_speed() -> None:
    clock = offset_clock(-86400.0)
    before = datetime.now(UTC)
    read = clock()
    after = datetime.now(UTC)
    assert read.tzinfo is UTC
    assert before - timedelta(days=1) <= read <= after - timedelta(days=1)
    assert clock() >= read


def test_the_setting_is_read_without_a_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOCK_OFFSET_S", "3600")
    read = ServiceSettings().clock()()
    assert timedelta(minutes=59) < read - datetime.now(UTC) <= timedelta(hours=1)


def test_an_absurd_offset_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOCK_OFFSET_S", str(100 * 365 * 86400))
    with pytest.raises(ValueError, match=r"clock_offset_s|CLOCK_OFFSET_S"):
        ServiceSettings()
