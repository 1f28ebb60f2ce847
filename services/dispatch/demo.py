"""Demo dispatch data for `make run` (never for production): the demo site's teams,
technicians, an around-the-clock roster and the rules in `demo_rules.toml`.

`python -m services.dispatch.demo` seeds it; running it again changes nothing.
"""

from __future__ import annotations

import logging
from pathlib import Path

import psycopg
from psycopg.types.json import Jsonb

from services.common.logs import configure_logging
from services.common.migrate import migrate
from services.dispatch.domain.config import validate_teams, validate_technicians
from services.dispatch.domain.model import Team, Technician
from services.dispatch.domain.rules import parse_rule_set
from services.dispatch.handlers.config import read_rules_file
from services.dispatch.settings import DispatchSettings

__all__ = ["DEMO_RULES_FILE", "DEMO_SITE", "DEMO_TEAMS", "DEMO_TECHNICIANS", "seed_demo"]

log = logging.getLogger(__name__)

DEMO_SITE = "demo"
DEMO_RULES_FILE = Path(__file__).with_name("demo_rules.toml")
DEMO_TEAMS = [
    Team(DEMO_SITE, "maintenance", "工程维修部 Maintenance", ("supervisor1",)),
    Team(DEMO_SITE, "service", "客服中心 Service desk", ("supervisor1",)),
]
DEMO_TECHNICIANS = [
    Technician(
        "tech1", DEMO_SITE, "maintenance",
        frozenset({"plumbing", "hvac", "doors_windows", "cleaning", "other"}),
        frozenset({"A", "B"}), "张伟 Zhang Wei",
    ),
    Technician(
        "tech2", DEMO_SITE, "maintenance",
        frozenset({"electrical", "elevator", "hvac", "doors_windows", "security", "other"}),
        frozenset({"A", "B"}), "Chen Jie",
    ),
]  # fmt: skip
#: Everyone on duty around the clock, so the demo routes at any hour (days 0-6, 00:00-00:00).
_ON_DUTY = ("tech1", "tech2", "supervisor1")
_TIMEZONE = "Asia/Shanghai"


def seed_demo(database_url: str) -> None:
    """Insert the demo site's dispatch configuration where it is missing."""
    teams = validate_teams(DEMO_SITE, DEMO_TEAMS)
    technicians = validate_technicians(DEMO_SITE, DEMO_TECHNICIANS, [t.code for t in teams])
    doc = read_rules_file(DEMO_RULES_FILE)
    rules = parse_rule_set(DEMO_SITE, doc, [t.code for t in teams])
    with psycopg.connect(database_url) as conn, conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO dispatch.teams (site, code, name, supervisors) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT DO NOTHING",
            [(t.site, t.code, t.name, list(t.supervisors)) for t in teams],
        )
        cur.executemany(
            "INSERT INTO dispatch.technicians (username, site, team, skills, buildings,"
            " display_name) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            [
                (t.username, t.site, t.team, sorted(t.skills), sorted(t.buildings), t.display_name)
                for t in technicians
            ],
        )
        cur.execute("SELECT 1 FROM dispatch.shifts WHERE site = %s LIMIT 1", (DEMO_SITE,))
        if cur.fetchone() is None:
            cur.executemany(
                "INSERT INTO dispatch.shifts (site, username, days, start_time, end_time, timezone)"
                " VALUES (%s, %s, '{0,1,2,3,4,5,6}', '00:00', '00:00', %s)",
                [(DEMO_SITE, name, _TIMEZONE) for name in _ON_DUTY],
            )
        cur.execute(
            "INSERT INTO dispatch.rule_sets (site, timezone, document, updated_by)"
            " VALUES (%s, %s, %s, 'demo') ON CONFLICT DO NOTHING",
            (DEMO_SITE, rules.timezone, Jsonb(rules.to_document())),
        )
    log.info("dispatch demo: %d teams, %d technicians, %d rules at site %s",
             len(teams), len(technicians), len(rules.rules), DEMO_SITE)  # fmt: skip


def main() -> None:
    settings = DispatchSettings()
    configure_logging(settings.log_level, settings.log_format, "demo")
    migrate(settings.database_url, ["dispatch"])
    seed_demo(settings.database_url)


if __name__ == "__main__":
    main()
