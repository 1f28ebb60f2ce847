"""Demo data for `make run` (never for production): site `demo`, buildings A and B, users
and the knowledge base's articles.

`python -m services.intake.demo` seeds it; running it again changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime

from psycopg_pool import AsyncConnectionPool

from services.common.db import create_pool
from services.common.logs import configure_logging
from services.common.migrate import migrate
from services.intake.demo_articles import DEMO_ARTICLES
from services.intake.domain.assets import Asset
from services.intake.domain.errors import NotFound
from services.intake.domain.model import Actor, Role
from services.intake.domain.places import Building, Floor, PlaceKey, Site, Unit
from services.intake.domain.users import User
from services.intake.handlers.assets import AssetHandlers
from services.intake.handlers.knowledge import KnowledgeHandlers
from services.intake.handlers.places import PlaceHandlers
from services.intake.handlers.users import UserHandlers
from services.intake.settings import IntakeSettings

__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "seed_demo"]

log = logging.getLogger(__name__)

DEMO_PASSWORD = "demo"

#: username -> (role, display name, unit, locale)
DEMO_USERS: dict[str, tuple[str, str, str, str]] = {
    "tenant1": ("tenant", "王芳 Wang Fang", "A-301", "zh-CN"),
    "tenant2": ("tenant", "Li Lei", "B-502", "en"),
    "tech1": ("technician", "张伟 Zhang Wei (plumbing)", "", "zh-CN"),
    "tech2": ("technician", "Chen Jie (electrical)", "", "en"),
    "dispatcher1": ("dispatcher", "刘洋 Liu Yang", "", "zh-CN"),
    "supervisor1": ("supervisor", "赵敏 Zhao Min", "", "zh-CN"),
    "planner1": ("planner", "Sun Hao", "", "en"),
    "admin": ("admin", "Administrator", "", "en"),
}

_BUILDINGS = ("A", "B")
_FLOORS = range(1, 11)
_FLOORS_PER_BUILDING = len(_FLOORS)
_SEEDER = Actor("demo-seed", Role.SYSTEM)
_UNITS_PER_FLOOR = 4
_ASSETS = [
    ("A", "1", "riser-A-1", "riser", "Water riser A-1 / A栋1号立管"),
    ("A", "1", "panel-A-1", "power_panel", "Power panel A-1 / A栋配电柜"),
    ("A", "1", "elevator-A-E1", "elevator", "Elevator A-E1 / A栋1号电梯"),
    ("B", "1", "riser-B-3", "riser", "Water riser B-3 / B栋3号立管"),
    ("B", "1", "panel-B-1", "power_panel", "Power panel B-1 / B栋配电柜"),
    ("B", "1", "elevator-B-E2", "elevator", "Elevator B-E2 / B栋2号电梯"),
]


#: The named parts of each demo asset type.
_COMPONENTS = {
    "riser": ("joint", "pipe", "valve"),
    "power_panel": ("breaker", "busbar", "meter"),
    "elevator": ("brake", "controller", "door_operator", "motor"),
}


def seed_demo(database_url: str) -> None:
    """Create the demo site tree, its assets, its users and its articles through the same
    use cases as `PUT /v1/sites/...`, `PUT /v1/assets/...`, `PUT /v1/users/...` and
    `PUT /v1/kb/articles/...`. Running it again puts the demo places and assets back as
    they were and leaves the users and articles alone."""
    asyncio.run(_seed(database_url))
    log.info("demo site 'demo' with %d units, %d users and %d articles is ready",
             _FLOORS_PER_BUILDING * len(_BUILDINGS) * _UNITS_PER_FLOOR, len(DEMO_USERS),
             len(DEMO_ARTICLES))  # fmt: skip


async def _seed_users(pool: AsyncConnectionPool, units: dict[str, PlaceKey]) -> None:
    users = UserHandlers(pool, min_password_chars=len(DEMO_PASSWORD))
    for name, (role, display, unit, locale) in DEMO_USERS.items():
        try:
            await users.get(_SEEDER, name)
            continue  # keep what a person changed
        except NotFound:
            pass
        home = (units[unit],) if unit else ()
        await users.put(_SEEDER, User(name, Role(role), display, locale, sites=("demo",),
                                      units=home, password=DEMO_PASSWORD))  # fmt: skip


async def _seed_articles(pool: AsyncConnectionPool) -> None:
    articles = KnowledgeHandlers(pool, lambda: datetime.now(UTC))
    for article in DEMO_ARTICLES:
        try:
            await articles.get(_SEEDER, article.id)
            continue  # keep what a person changed
        except NotFound:
            await articles.put(_SEEDER, article)


async def _seed(database_url: str) -> None:
    pool = create_pool(database_url, min_size=1, max_size=1)
    await pool.open(wait=True, timeout=30)
    units: dict[str, PlaceKey] = {}
    try:
        places = PlaceHandlers(pool)
        await places.put_site(_SEEDER, Site("demo", "示范园区", "Asia/Shanghai", "Demo Park"))
        for b in _BUILDINGS:
            await places.put_building(_SEEDER, "demo", Building(b, f"{b}栋", f"Building {b}"))
            for f in _FLOORS:
                floor = Floor(str(f), f, f"{f}层", f"Floor {f}")
                await places.put_floor(_SEEDER, "demo", b, floor, order_given=False)
                for n in range(1, _UNITS_PER_FLOOR + 1):
                    code = f"{b}-{f}{n:02d}"
                    units[code] = PlaceKey("demo", b, str(f), code)
                    await places.put_unit(
                        _SEEDER, units[code], Unit(code, f"{code}室", f"Unit {code}")
                    )
        assets = AssetHandlers(pool, lambda: datetime.now(UTC))
        for at_building, at_floor, asset_id, type_, name in _ASSETS:
            asset = Asset(asset_id, type_, "demo", at_building, at_floor, name=name,
                          installed_on=date(2016, 5, 1), components=_COMPONENTS[type_])  # fmt: skip
            await assets.put(_SEEDER, asset)
        await _seed_users(pool, units)
        await _seed_articles(pool)
    finally:
        await pool.close()


def main() -> None:
    settings = IntakeSettings()
    configure_logging(settings.log_level, settings.log_format, "demo")
    migrate(settings.database_url, ["intake"])
    seed_demo(settings.database_url)


if __name__ == "__main__":
    main()
