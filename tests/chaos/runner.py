"""`make chaos`: the whole system under load, every fault in turn, then the invariants.

Per fault: tickets over REST and leak alerts over MQTT spread over a window; the fault
comes `lead_s` into it, held `hold_s` where it has a length; then the time until every
process is SERVING again (the recovery time). After the last fault the run waits for the
system to settle and counts what is lost or duplicated (tests/chaos/checks.py). The last
line is `faults=<n> lost=<n> duplicated=<n> recovery_p99_s=<x> ...`; the exit status is
non-zero when anything is lost or duplicated, or a recovery took longer than the bound.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

from tests.chaos.checks import Tally, check
from tests.chaos.faults import Fault, plan
from tests.chaos.load import AlertPublisher, Paced, Sent, TicketRaiser
from tests.chaos.world import RESPOND_S, World, running_world

__all__ = ["main", "run"]


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--only", default="", help="comma-separated faults (default: all)")
    parser.add_argument("--tickets", type=int, default=6, help="REST tickets per fault")
    parser.add_argument("--alerts", type=int, default=3, help="leak alerts per fault")
    parser.add_argument("--window-s", type=float, default=6.0, help="load window per fault")
    parser.add_argument("--lead-s", type=float, default=2.0, help="load before the fault")
    parser.add_argument("--hold-s", type=float, default=3.0, help="a fault's length")
    parser.add_argument("--recovery-bound-s", type=float, default=30.0,
                        help="longest recovery allowed (SERVING again)")  # fmt: skip
    parser.add_argument("--settle-s", type=float, default=60.0,
                        help="how long the system may take to finish the work afterwards")  # fmt: skip
    parser.add_argument("--partition", default="intake,sla",
                        help="processes behind a database proxy, for partition faults")  # fmt: skip
    parser.add_argument("--log", type=Path, default=None, help="the processes' output")
    return parser.parse_args(argv)


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)] if ordered else 0.0


def _one(world: World, fault: Fault, loads: list[Paced], args: argparse.Namespace) -> float:
    """Inject and heal `fault` under `loads`; the recovery time in seconds."""
    for load in loads:
        load.start()
    time.sleep(args.lead_s)
    fault.inject()
    time.sleep(fault.hold_s)
    fault.heal()
    return world.wait_serving(args.recovery_bound_s)


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
    count = len(only) or 5 + 9 + len(partitioned)  # sensors to register: enough for every fault
    print(f"starting the system (processes' output in {log})", flush=True)
    began = time.monotonic()
    with running_world(log, count * args.alerts, partitioned) as world:
        print(f"system up in {time.monotonic() - began:.1f} s", flush=True)
        faults = plan(world, only, args.hold_s)
        raiser = TicketRaiser(world.system.base_url, world.system.token("tenant1"))
        tickets, alerts, recoveries = Sent(), Sent(), []
        with AlertPublisher(world.system.mqtt_port) as publisher:
            for n, fault in enumerate(faults):
                keys = [f"f{n}-t{i}" for i in range(args.tickets)]
                devices = world.sensors[n * args.alerts : (n + 1) * args.alerts]
                loads = [Paced(keys, args.window_s, raiser.send),
                         Paced(devices, args.window_s, publisher.send)]  # fmt: skip
                recoveries.append(_one(world, fault, loads, args))
                sent = [load.join() for load in loads]
                for total, part in zip((tickets, alerts), sent, strict=True):
                    total.tried += part.tried
                    total.acked += part.acked
                print(f"fault {n + 1}/{len(faults)} {fault.name}: SERVING again after"
                      f" {recoveries[-1]:.2f} s; tickets acked {len(sent[0].acked)}/{len(keys)},"
                      f" alerts acked {len(sent[1].acked)}/{len(devices)}", flush=True)  # fmt: skip
        tally = _settle(world, tickets, alerts, args.settle_s)
    for problem in tally.problems:
        print(problem)
    worst = max(recoveries, default=0.0)
    print(
        f"faults={len(recoveries)} lost={tally.lost} duplicated={tally.duplicated}"
        f" recovery_p99_s={_p99(recoveries):.2f} recovery_max_s={worst:.2f}"
        f" tickets_acked={len(tickets.acked)} alerts_acked={len(alerts.acked)}"
        f" checked={tally.checked}"
        f" elapsed_s={time.monotonic() - began:.0f}",
        flush=True,
    )
    return 1 if tally.lost or tally.duplicated else 0


def main(argv: list[str] | None = None) -> None:
    """Run the fault suite from the command line."""
    sys.exit(run(_arguments(argv)))
