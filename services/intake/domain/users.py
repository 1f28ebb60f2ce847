"""Users as data: who they are, their role, where they work or live, and what makes a
registration valid."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime

from services.intake.domain.errors import InvalidInput
from services.intake.domain.model import Role
from services.intake.domain.places import PlaceKey

__all__ = ["LOCALES", "User", "check_user"]

LOCALES = frozenset({"zh-CN", "en"})
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_ASSIGNABLE = frozenset(r for r in Role if r is not Role.SYSTEM)


@dataclass(frozen=True, slots=True)
class User:
    """A person who signs in. A tenant belongs to units (and through them to sites), a staff
    member to sites; the first of each is the one sign-in puts in the token."""

    username: str
    role: Role
    display_name: str = ""
    locale: str = "zh-CN"
    sites: tuple[str, ...] = ()
    units: tuple[PlaceKey, ...] = ()
    email: str = ""
    phone: str = ""
    disabled: bool = False
    #: Only when it is being set: never read back.
    password: str | None = field(default=None, repr=False)
    created_at: datetime | None = None
    updated_at: datetime | None = None


def check_user(user: User, min_password_chars: int) -> User:
    """The user with a tenant's sites taken from its units; InvalidInput names the problem."""
    if not _USERNAME.match(user.username):
        raise InvalidInput(
            "username must be 2-64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    if user.role not in _ASSIGNABLE:
        raise InvalidInput(f"role must be one of {', '.join(sorted(r.value for r in _ASSIGNABLE))}")
    if user.locale not in LOCALES:
        raise InvalidInput(f"locale must be one of {', '.join(sorted(LOCALES))}")
    for name, value, limit in (("display_name", user.display_name, 200),
                               ("email", user.email, 200), ("phone", user.phone, 40)):  # fmt: skip
        if len(value) > limit or not value.isprintable():
            raise InvalidInput(f"{name} must be at most {limit} printable characters")
    if user.password is not None and len(user.password) < min_password_chars:
        raise InvalidInput(f"a password needs at least {min_password_chars} characters")
    if any(not site.strip() for site in user.sites):
        raise InvalidInput("sites: a site code may not be empty")
    if len(set(user.sites)) != len(user.sites) or len(set(user.units)) != len(user.units):
        raise InvalidInput("a site or unit is listed twice")
    if user.role is Role.TENANT:
        if not user.units:
            raise InvalidInput("a tenant needs the unit(s) they live in")
        sites = tuple(dict.fromkeys([*user.sites, *(u.site for u in user.units)]))
        return replace(user, sites=sites)
    if user.units:
        raise InvalidInput("only tenants live in units; staff work at sites")
    if not user.sites and user.role is not Role.ADMIN:
        raise InvalidInput(f"a {user.role.value} needs the site(s) they work at")
    return user
