"""Sign-in: check a user's credentials."""

from __future__ import annotations

from services.intake.adapters.users_repo import UserRecord, UserRepository
from services.intake.domain.errors import Unauthenticated
from services.intake.handlers.base import HandlersBase

__all__ = ["AccountHandlers"]


class AccountHandlers(HandlersBase):
    """Checks who is signing in."""

    async def verify_credentials(self, username: str, password: str) -> UserRecord:
        async with self._pool.connection() as conn:
            user = await UserRepository(conn).verify(username, password)
        if user is None:
            raise Unauthenticated("unknown user or wrong password")
        return user
