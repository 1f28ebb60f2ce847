"""The place tree's rules: codes, names, time zones, floor order, who may change what."""

from __future__ import annotations

import pytest

from services.intake.domain.errors import Forbidden, InvalidInput
from services.intake.domain.model import Actor, Role
from services.intake.domain.places import (
    Level,
    PlaceKey,
    check_code,
    check_may_manage,
    check_names,
    check_timezone,
    floor_order,
)


def test_floors_sort_as_people_expect() -> None:
    codes = ["RF", "10", "2", "B1", "1", "B2", "G", "M", "3F", "-3"]
    assert sorted(codes, key=lambda c: (floor_order(c), c)) == [
        "-3", "B2", "B1", "G", "1", "2", "3F", "10", "RF", "M",
    ]  # fmt: skip


@pytest.mark.parametrize("code", ["A", "demo", "A-301", "B2", "一号楼", "T1.east", "x" * 64])
def test_good_codes(code: str) -> None:
    assert check_code(Level.BUILDING, code) == code


@pytest.mark.parametrize("code", ["", "-A", "A B", "A/B", "A\x00", "x" * 65, "a%b", " A"])
def test_bad_codes(code: str) -> None:
    with pytest.raises(InvalidInput, match="building code"):
        check_code(Level.BUILDING, code)


def test_names_and_time_zones() -> None:
    check_names("示范园区", "Demo Park", "")
    with pytest.raises(InvalidInput):
        check_names("bad\x00name")
    with pytest.raises(InvalidInput):
        check_names("x" * 201)
    assert check_timezone("Asia/Shanghai") == "Asia/Shanghai"
    for zone in ("Mars/Olympus", "", "../etc/passwd"):
        with pytest.raises(InvalidInput, match="time zone"):
            check_timezone(zone)


def test_a_place_describes_itself() -> None:
    assert PlaceKey("demo").describe() == "site 'demo'"
    assert PlaceKey("demo", "A", "3").describe() == "floor '3' of building 'A' at site 'demo'"
    assert PlaceKey("demo", "A", "3", "A-301").level is Level.UNIT


def test_admins_manage_everything_supervisors_their_own_site_below_it() -> None:
    admin = Actor("admin", Role.ADMIN)
    boss = Actor("supervisor1", Role.SUPERVISOR, "demo")
    check_may_manage(admin, PlaceKey("any"))
    check_may_manage(boss, PlaceKey("demo", "A"))
    for actor, key in [
        (boss, PlaceKey("demo")),
        (boss, PlaceKey("other", "A")),
        (Actor("tenant1", Role.TENANT, "demo"), PlaceKey("demo", "A")),
        (Actor("tech1", Role.TECHNICIAN, "demo"), PlaceKey("demo", "A", "1")),
    ]:
        with pytest.raises(Forbidden):
            check_may_manage(actor, key)
