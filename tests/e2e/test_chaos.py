"""The fault suite in small (tests/chaos, `make chaos` for all of it): under load, the
database crashes and recovers while two SLA replicas time P1 tickets whose deadlines fall
around the crash, the broker restarts and an SLA replica is killed; nothing acknowledged
is lost, nothing is done twice, and every process is SERVING again within the bound."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.chaos.runner import main

RECOVERY_BOUND_S = 30


def test_faults_lose_nothing_and_do_nothing_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--only", "postgres-immediate,broker,kill:sla", "--tickets", "3", "--alerts",
            "2", "--window-s", "2", "--hold-s", "1.5", "--partition", "",
            "--recovery-bound-s", str(RECOVERY_BOUND_S), "--log", str(tmp_path / "system.log")]  # fmt: skip
    with pytest.raises(SystemExit) as done:
        main(args)
    out = capsys.readouterr().out
    figures = dict(pair.split("=", 1) for pair in out.strip().splitlines()[-1].split())
    assert done.value.code == 0, out
    assert (figures["faults"], figures["lost"], figures["duplicated"]) == ("3", "0", "0"), out
    # Each of the 9 tickets and 6 alerts is a ticket with its events and messages.
    assert int(figures["checked"]) >= 15 * 3, out
    assert float(figures["recovery_max_s"]) <= RECOVERY_BOUND_S, out
    # The two SLA replicas had deadlines to keep while the database was down: each of
    # those escalations is among the ones counted exactly once above.
    due = re.search(r"^postgres-immediate: (\d+) escalation", out, re.MULTILINE)
    assert due is not None and int(due.group(1)) >= 1, out
