"""Start the whole system on one machine and stop it cleanly on Ctrl-C.

Migrates, seeds the demo site, runs every process in `stack.PROCESSES` with its output
prefixed by its name, backfills the demo site's recent history (so that reports have
figures), registers the simulated sensor fleet and starts the simulator.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
from types import FrameType

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.logs import configure_logging
from services.common.migrate import migrate
from services.common.settings import ServiceSettings
from services.dispatch.demo import seed_demo as seed_dispatch
from services.intake.demo import DEMO_PASSWORD, DEMO_USERS, seed_demo
from services.launcher.stack import LocalStack, Process
from services.notification.demo import seed_demo as seed_notification_contacts

__all__ = ["main"]

log = logging.getLogger("launcher")

_API = "http://127.0.0.1:8080"


class LauncherSettings(ServiceSettings):
    """`make run`'s settings (env prefix LAUNCHER_, plus DATABASE_URL and LOG_*)."""

    model_config = SettingsConfigDict(env_prefix="LAUNCHER_", frozen=True, extra="ignore")

    #: Days of demo history the simulator backfills at start (tickets, alerts, telemetry);
    #: 0 starts with none. A rerun adds only what is missing.
    history_days: float = Field(default=90.0, ge=0, le=3650)


def _banner() -> None:
    users = ", ".join(f"{name} ({role})" for name, (role, *_rest) in DEMO_USERS.items())
    print(
        f"""
Demo users (password '{DEMO_PASSWORD}'): {users}
  TOKEN=$(curl -s -d username=tenant1 -d password=demo http://127.0.0.1:8080/v1/auth/token | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  curl -s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/v1/tickets
  curl -s -G -H "Authorization: Bearer $TOKEN" --data-urlencode 'q=物业费怎么交' http://127.0.0.1:8080/v1/kb/suggest
Web app: http://127.0.0.1:8080/app/   API docs: http://127.0.0.1:8080/docs   Ctrl-C stops everything.
""",
        flush=True,
    )


def main() -> None:
    settings = LauncherSettings()
    configure_logging(settings.log_level, settings.log_format, "launcher")
    migrate(settings.database_url)
    seed_demo(settings.database_url)
    seed_notification_contacts(settings.database_url)
    seed_dispatch(settings.database_url)
    stopping = threading.Event()

    def stop(signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    # make run is a development machine: the gateway may sign with the development secret.
    with LocalStack(env={"GATEWAY_DEV_MODE": "true"}) as stack:
        stack.wait_ready(f"{_API}/readyz", timeout_s=60)
        _demo_history(settings.history_days)
        _demo_sensors(stack)
        _banner()
        while not stopping.wait(0.2):
            dead = stack.exited()
            if dead and dead != "sensors":
                log.error("%s exited; stopping the rest", dead)
                break
        log.info("stopping %s", ", ".join(stack.children))
    log.info("all stopped")


def _demo_history(days: float) -> None:
    """Backfill the demo site's last `days` through the simulator (imported history, which
    analytics counts and the other services leave alone)."""
    if not days:
        return
    done = subprocess.run(
        [sys.executable, "-m", "sensors_sim", "backfill", "--days", f"{days:g}"], check=False
    )
    if done.returncode != 0:
        log.warning("could not backfill the demo history; reports start empty")


def _demo_sensors(stack: LocalStack) -> None:
    """Register the simulated fleet through the REST API and start publishing it."""
    registered = subprocess.run(
        [sys.executable, "-m", "sensors_sim", "register", "--api", _API], check=False
    )
    if registered.returncode != 0:
        log.warning("could not register the demo sensors; running without the simulator")
        return
    stack.add(Process("sensors", "sensors_sim", ("run", "--duration", "86400", "--rate", "20")))
