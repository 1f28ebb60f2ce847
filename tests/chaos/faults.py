"""The faults a run injects, each with how it is healed: the database restarted (a fast
shutdown, or an immediate one: a crash and recovery), the broker restarted, a process
killed (SIGKILL) and started again, a process cut off from the database (its proxy stops
forwarding) and reconnected."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tests.chaos.world import World

__all__ = ["Fault", "plan"]


@dataclass(frozen=True)
class Fault:
    """`inject()`, wait `hold_s`, `heal()`."""

    name: str
    inject: Callable[[], None]
    heal: Callable[[], None]
    hold_s: float = 0.0


def _nothing() -> None:
    return None


def _kill(world: World, name: str) -> Callable[[], None]:
    return lambda: world.system.kill(name)


def _restart(world: World, name: str) -> Callable[[], None]:
    return lambda: world.system.stack.restart(name)


def plan(world: World, only: list[str], hold_s: float) -> list[Fault]:
    """Every fault in turn (each process killed once, each proxied process cut off once),
    or those named in `only` (`postgres-fast`, `kill:sla`, `partition:intake`, ...)."""
    pg = world.postgres
    faults = [
        Fault("postgres-fast", lambda: pg.restart("fast"), _nothing),
        Fault("postgres-immediate", lambda: pg.restart("immediate"), _nothing),
        Fault("broker", world.system.broker.restart, _nothing),
        *(Fault(f"kill:{p.name}", _kill(world, p.name), _restart(world, p.name), hold_s)
          for p in world.processes()),
        *(Fault(f"partition:{name}", proxy.cut, proxy.restore, hold_s)
          for name, proxy in world.proxies.items()),
    ]  # fmt: skip
    if not only:
        return faults
    known = {f.name: f for f in faults}
    unknown = [name for name in only if name not in known]
    if unknown:
        raise ValueError(f"unknown faults {unknown}; known: {', '.join(known)}")
    return [known[name] for name in only]
