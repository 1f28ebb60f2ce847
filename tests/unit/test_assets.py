"""The asset registry's rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from services.intake.domain.assets import Asset, check_asset, check_component
from services.intake.domain.errors import InvalidInput

TODAY = date(2026, 12, 5)
PUMP = Asset("pump-B2-1", "pump", "demo", "B", "B2", components=("seal", "motor", "seal"))


def test_a_good_asset_has_its_components_sorted_once() -> None:
    assert check_asset(PUMP, TODAY).components == ("motor", "seal")
    numbered = replace(PUMP, components=("comp1", "comp2", "comp3", "comp4"))
    assert check_asset(numbered, TODAY).components == ("comp1", "comp2", "comp3", "comp4")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"asset_id": "pump B2"}, "asset_id"),
        ({"type": "spaceship"}, "unknown asset type"),
        ({"criticality": 0}, "criticality"),
        ({"criticality": 6}, "criticality"),
        ({"installed_on": date(2027, 1, 1)}, "in the future"),
        ({"components": ("Seal",)}, "component"),
        ({"components": ("a" * 41,)}, "component"),
        ({"components": tuple(f"c{n}" for n in range(51))}, "at most 50"),
        ({"serial": "x\x00y"}, "serial"),
        ({"unit": "B2-01", "floor": ""}, "floor"),
        ({"building": "B/2"}, "building code"),
    ],
)
def test_bad_assets_are_refused_naming_the_problem(change: dict[str, object], words: str) -> None:
    with pytest.raises(InvalidInput, match=words):
        check_asset(replace(PUMP, **change), TODAY)  # type: ignore[arg-type]


def test_a_ticket_names_only_a_component_its_asset_has() -> None:
    check_component(PUMP, "seal")
    check_component(PUMP, "")
    with pytest.raises(InvalidInput, match="has no component 'impeller'"):
        check_component(PUMP, "impeller")
