"""What makes a user registration valid."""

from __future__ import annotations

from dataclasses import replace

import pytest

from services.intake.domain.errors import InvalidInput
from services.intake.domain.model import Role
from services.intake.domain.places import PlaceKey
from services.intake.domain.users import User, check_user

A301 = PlaceKey("demo", "A", "3", "A-301")
TENANT = User("tenant9", Role.TENANT, "王芳", units=(A301,), password="long enough")


def test_a_tenant_belongs_to_the_sites_of_its_units() -> None:
    other = PlaceKey("park2", "T1", "1", "T1-101")
    assert check_user(replace(TENANT, units=(A301, other)), 8).sites == ("demo", "park2")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"username": "Tenant 9"}, "username"),
        ({"username": "x"}, "username"),
        ({"role": Role.SYSTEM}, "role"),
        ({"locale": "fr"}, "locale"),
        ({"display_name": "a\x00b"}, "display_name"),
        ({"password": "short"}, "at least 8"),
        ({"units": ()}, "needs the unit"),
        ({"units": (A301, A301)}, "twice"),
        ({"role": Role.TECHNICIAN, "units": ()}, "needs the site"),
        ({"role": Role.TECHNICIAN, "sites": ("demo",)}, "only tenants"),
        ({"role": Role.ADMIN, "units": (), "sites": ("",)}, "may not be empty"),
    ],
)
def test_bad_registrations_say_why(change: dict[str, object], words: str) -> None:
    with pytest.raises(InvalidInput, match=words):
        check_user(replace(TENANT, **change), 8)  # type: ignore[arg-type]


def test_an_admin_needs_no_site_and_no_password_is_fine() -> None:
    check_user(User("root2", Role.ADMIN), 8)
    check_user(replace(TENANT, password=None), 8)
