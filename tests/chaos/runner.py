"""`make chaos`: the whole system under load, every fault in turn, then the invariants.

Per fault: tickets over REST and leak alerts over MQTT spread over a window; the fault
comes `lead_s` into it, held `hold_s` where it has a length; then the time until every
process is SERVING again (the recovery time). After the last fault the run waits for the
system to settle and counts what is lost or duplicated (tests/chaos/checks.py). The last
line is `faults=<n> lost=<n> duplicated=<n> recovery_p99_s=<x> ...`; the exit status is
non-zero when anything is lost or duplicated, or a process was not SERVING again within
the recovery bound (`late`).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from services.launcher.stack import PROCESSES
from tests.chaos.checks import Tally, check, escalations_due
from tests.chaos.faults import Fault, plan
from tests.chaos.load import AlertPublisher, Paced, Sent, TicketRaiser
from tests.chaos.world import RESPOND_S, World, running_world

__all__ = ["main", "p99", "run"]


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--only", default="", help="comma-separated faults (default: all)")
    parser.add_argument("--tickets", type=int, default=6, help="REST tickets per fault")
    parser.add_argument("--alerts", type=int, default=3, help="leak alerts per fault")
    parser.add_argument("--window-s", type=float, default=6.0, help="load window per fault")
    parser.add_argument("--lead-s", type=float, default=RESPOND_S - 0.5,
                        help="load before the fault (by default just under the P1 response"
                             " target, so the round's first deadlines fall in the fault)")  # fmt: skip
    parser.add_argument("--hold-s", type=float, default=3.0, help="a fault's length")
    parser.add_argument("--recovery-bound-s", type=float, default=60.0,
                        help="longest recovery allowed (SERVING again)")  # fmt: skip
    parser.add_argument("--settle-s", type=float, default=60.0,
                        help="how long the system may take to finish the work afterwards")  # fmt: skip
    parser.add_argument("--partition", default="intake,sla",
                        help="processes behind a database proxy, for partition faults")  # fmt: skip
    parser.add_argument("--log", type=Path, default=None, help="the processes' output")
    return parser.parse_args(argv)


def p99(values: list[float]) -> float:
    """The 99th percentile of `values` (the nearest rank), 0 for none."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)] if ordered else 0.0


@dataclass(frozen=True)
class _Outcome:
    """A fault's name, when it began, when it was healed (the server or process back, the
    proxy forwarding again) and when every process served again (UTC)."""

    name: str
    began: datetime
    healed: datetime
    recovered: datetime
    #: The processes not SERVING when the recovery bound ran out (none: recovered).
    missing: list[str]

    @property
    def recovery_s(self) -> float:
        """Seconds from healed to SERVING: the recovery time."""
        return (self.recovered - self.healed).total_seconds()


def _one(world: World, fault: Fault, loads: list[Paced], args: argparse.Namespace) -> _Outcome:
    """Inject and heal `fault` under `loads`; when it began and when the system recovered."""
    for load in loads:
        load.start()
    time.sleep(args.lead_s)
    began = datetime.now(UTC)
    fault.inject()
    time.sleep(fault.hold_s)
    fault.heal()
    healed = datetime.now(UTC)
    missing = world.wait_serving(args.recovery_bound_s)
    return _Outcome(fault.name, began, healed, datetime.now(UTC), missing)


def _progress(outcome: _Outcome, sent: list[Sent]) -> str:
    """One fault's progress line: its recovery and what the system acknowledged."""
    took = f"{outcome.recovery_s:.2f} s"
    state = (f"not SERVING after {took}: {', '.join(outcome.missing)}" if outcome.missing
             else f"SERVING again after {took}")  # fmt: skip
    acked = ", ".join(f"{what} acked {len(s.acked)}/{len(s.tried)}"
                      for what, s in zip(("tickets", "alerts"), sent, strict=True))  # fmt: skip
    return f"{outcome.name}: {state}; {acked}"


def _settle(world: World, tickets: Sent, alerts: Sent, settle_s: float) -> Tally:
    """Wait until nothing is missing (or `settle_s`); then a last count, a moment later,
    so that anything done twice has had its chance to show."""
    deadline = time.monotonic() + max(settle_s, RESPOND_S + 2)
    while check(world, tickets, alerts).lost and time.monotonic() < deadline:
        time.sleep(1.0)
    time.sleep(2.0)
    return check(world, tickets, alerts)


def run(args: argparse.Namespace) -> int:
    """The fault run `args` describe; the exit status."""
    log = args.log or Path(tempfile.mkdtemp(prefix="chaos-")) / "system.log"
    partitioned = tuple(name for name in args.partition.split(",") if name)
    only = [name for name in args.only.split(",") if name]
    # Each fault has sensors of its own: the restarts, a kill per process (two SLA replicas)
    # and a partition per proxied process.
    count = len(only) or 3 + len(PROCESSES) + 1 + len(partitioned)
    print(f"starting the system (processes' output in {log})", flush=True)
    began = time.monotonic()
    with running_world(log, count * args.alerts, partitioned) as world:
        print(f"system up in {time.monotonic() - began:.1f} s", flush=True)
        faults = plan(world, only, args.hold_s)
        raiser = TicketRaiser(world.system.base_url, world.system.token("tenant1"))
        tickets, alerts, outcomes = Sent(), Sent(), []
        with AlertPublisher(world.system.mqtt_port) as publisher:
            for n, fault in enumerate(faults):
                keys = [f"f{n}-t{i}" for i in range(args.tickets)]
                devices = world.sensors[n * args.alerts : (n + 1) * args.alerts]
                loads = [Paced(keys, args.window_s, raiser.send),
                         Paced(devices, args.window_s, publisher.send)]  # fmt: skip
                outcomes.append(_one(world, fault, loads, args))
                sent = [load.join() for load in loads]
                for total, part in zip((tickets, alerts), sent, strict=True):
                    total.tried += part.tried
                    total.acked += part.acked
                print(f"fault {n + 1}/{len(faults)} {_progress(outcomes[-1], sent)}", flush=True)
        tally = _settle(world, tickets, alerts, args.settle_s)
        for outcome in outcomes:
            due = escalations_due(world, outcome.began, outcome.recovered)
            print(f"{outcome.name}: {due} escalation(s) came due between the fault and the"
                  " recovery", flush=True)  # fmt: skip
    for problem in tally.problems:
        print(problem)
    recoveries = [outcome.recovery_s for outcome in outcomes]
    worst = max(recoveries, default=0.0)
    late = sum(1 for outcome in outcomes if outcome.missing)
    print(
        f"faults={len(recoveries)} lost={tally.lost} duplicated={tally.duplicated}"
        f" recovery_p99_s={p99(recoveries):.2f} recovery_max_s={worst:.2f} late={late}"
        f" tickets_acked={len(tickets.acked)} alerts_acked={len(alerts.acked)}"
        f" checked={tally.checked} redelivered={tally.redelivered}"
        f" elapsed_s={time.monotonic() - began:.0f}",
        flush=True,
    )
    return 1 if tally.lost or tally.duplicated or late else 0


def main(argv: list[str] | None = None) -> None:
    """Run the fault suite from the command line."""
    sys.exit(run(_arguments(argv)))
