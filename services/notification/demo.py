"""Demo contacts for `make run` (never for production): every demo user, in their language,
with the in-app inbox and no external channel.

`python -m services.notification.demo` seeds them; running it again changes nothing (a
contact someone has changed is left alone).
"""

from __future__ import annotations

import logging

import psycopg

from services.common.logs import configure_logging
from services.common.migrate import migrate
from services.notification.settings import NotificationSettings

__all__ = ["DEMO_CONTACTS", "seed_demo"]

log = logging.getLogger(__name__)

#: username -> locale, as the intake demo users have them.
DEMO_CONTACTS: dict[str, str] = {
    "tenant1": "zh-CN",
    "tenant2": "en",
    "tech1": "zh-CN",
    "tech2": "en",
    "dispatcher1": "zh-CN",
    "supervisor1": "zh-CN",
    "planner1": "en",
    "admin": "en",
}


def seed_demo(database_url: str) -> None:
    """Insert the demo contacts that are missing."""
    with psycopg.connect(database_url) as conn, conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO notification.contacts (username, locale) VALUES (%s, %s)"
            " ON CONFLICT (username) DO NOTHING",
            list(DEMO_CONTACTS.items()),
        )
    log.info("%d demo contacts are ready", len(DEMO_CONTACTS))


def main() -> None:
    settings = NotificationSettings()
    configure_logging(settings.log_level, settings.log_format, "demo")
    migrate(settings.database_url, ["notification"])
    seed_demo(settings.database_url)


if __name__ == "__main__":
    main()
