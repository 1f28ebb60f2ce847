"""REST fuzzing: schemathesis generates requests from the gateway's own /openapi.json (its
examples, the boundaries of every schema, random data, and sequences that follow the links
from raising a ticket to acting on it) as a tenant, a technician and an admin, against a
system of its own (an admin's fuzzing changes users, places and rules). No answer may be a
server error or contradict the schema. The seed is fixed, so a failure reproduces; the
failing request is printed with a curl line.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.system import System, running_system

pytestmark = pytest.mark.e2e

#: Sign-in is left out: random names and passwords would trip the per-address sign-in
#: limit for the other roles (test_bad_input.py tries the limit itself).
_EXCLUDED = "/v1/auth/token"


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    with running_system(tmp_path_factory.mktemp("fuzz") / "system.log") as system:
        yield system


@pytest.mark.parametrize("username", ["tenant1", "tech1", "admin"])
def test_no_request_gets_a_server_error_or_an_answer_off_the_schema(
    fuzzed: System, username: str, tmp_path: Path
) -> None:
    token = fuzzed.token(username)
    for attempt in (1, 2):
        report, stderr, code = _fuzz(fuzzed.base_url, token, tmp_path)
        assert "=== FAILURES" not in report, _section(report, "FAILURES") + stderr
        # schemathesis's own runtime errors (one seen: hypothesis failing to describe a
        # filter, "AST constructor recursion depth mismatch") are the tool's, not an answer
        # of ours: run once more, and fail if it happens again.
        if code == 0 or attempt == 2:
            break
    assert code == 0, (_section(report, "ERRORS") or report[-6000:]) + stderr


def _fuzz(base_url: str, token: str, cwd: Path) -> tuple[str, str, int]:
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("schemathesis")), "run",
            f"{base_url}/openapi.json",
            "--header", f"Authorization: Bearer {token}",
            "--phases", "examples,coverage,fuzzing,stateful",
            "--checks", "not_a_server_error,response_schema_conformance",
            "--exclude-path", _EXCLUDED,
            "--max-examples", "5", "--seed", "20261205", "--workers", "2",
            "--request-timeout", "30", "--no-color",
        ],
        capture_output=True, text=True, timeout=600, check=False, cwd=cwd,
    )  # fmt: skip
    return done.stdout, done.stderr[-2000:], done.returncode


def _section(report: str, name: str) -> str:
    """The report's section `name` (FAILURES, ERRORS), up to the next one."""
    start = report.find(f"=== {name}")
    if start < 0:
        return ""
    end = report.find("\n===", report.find("\n", start))
    return report[start : end if end > 0 else None]
