"""User use cases: admins register and change people; everyone reads themselves."""

from __future__ import annotations

import asyncio

from psycopg_pool import AsyncConnectionPool

from services.intake.adapters.places_repo import PlacesRepository
from services.intake.adapters.users_repo import UserAdminRepository, hash_password
from services.intake.domain.errors import Forbidden, InvalidInput, NotFound
from services.intake.domain.model import Actor, Role
from services.intake.domain.places import PlaceKey
from services.intake.domain.users import User, check_user

__all__ = ["UserHandlers"]

_LISTERS = (Role.ADMIN, Role.SYSTEM, Role.SUPERVISOR, Role.DISPATCHER)


class UserHandlers:
    """Create, change, read and list users. A user is disabled, never deleted."""

    def __init__(self, pool: AsyncConnectionPool, min_password_chars: int = 8) -> None:
        self._pool = pool
        self._min_password_chars = min_password_chars

    async def put(self, actor: Actor, user: User) -> tuple[User, bool]:
        """Create or replace a user (admins); the password changes only when one is given."""
        if actor.role not in (Role.ADMIN, Role.SYSTEM):
            raise Forbidden(f"a {actor.role.value} may not change users")
        user = check_user(user, self._min_password_chars)
        hashed = await asyncio.to_thread(hash_password, user.password) if user.password else None
        async with self._pool.connection() as conn, conn.transaction():
            places = PlacesRepository(conn)
            for site in user.sites:
                if await places.missing_level(PlaceKey(site)) is not None:
                    raise InvalidInput(f"no site {site!r}")
            for unit in user.units:
                if (missing := await places.missing_level(unit)) is not None:
                    raise InvalidInput(f"units: no {missing.describe()}")
            repo = UserAdminRepository(conn)
            created = await repo.put(user, hashed)
            saved = await repo.get(user.username)
        assert saved is not None
        return saved, created

    async def get(self, actor: Actor, username: str) -> User:
        async with self._pool.connection() as conn:
            user = await UserAdminRepository(conn).get(username)
        if user is None or not _may_see(actor, user):
            raise NotFound(f"no user {username[:64]!r}")
        return user

    async def page(
        self, actor: Actor, site: str, role: str, limit: int, after: str
    ) -> tuple[list[User], str]:
        if actor.role not in _LISTERS:
            raise Forbidden(f"a {actor.role.value} may not list users")
        if actor.role not in (Role.ADMIN, Role.SYSTEM):
            site = actor.site
        if role and role not in {r.value for r in Role}:
            raise InvalidInput(f"unknown role {role[:20]!r}")
        async with self._pool.connection() as conn:
            return await UserAdminRepository(conn).page(site, role, limit, after)


def _may_see(actor: Actor, user: User) -> bool:
    if actor.role in (Role.ADMIN, Role.SYSTEM) or actor.username == user.username:
        return True
    return actor.role in _LISTERS and actor.site in user.sites
