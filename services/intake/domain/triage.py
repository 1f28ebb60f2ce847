"""Urgency from the words people use, in Chinese and English."""

from __future__ import annotations

from services.intake.domain.model import CATEGORIES, Kind, Priority

__all__ = ["URGENT_WORDS", "default_priority"]

#: Words that make a request an emergency whatever its category.
URGENT_WORDS: tuple[str, ...] = (
    "漏水", "跑水", "水管爆", "爆管", "停电", "断电", "着火", "起火", "失火", "火灾", "冒烟", "有烟", "烟雾",
    "困人", "被困", "关人", "燃气味", "燃气泄漏", "煤气味", "漏气", "触电", "漏电",
    "leak", "flood", "burst pipe", "power outage", "no power", "blackout", "on fire",
    "fire in", "a fire",
    "caught fire", "smoke", "trapped", "entrapment", "stuck in the elevator",
    "stuck in the lift", "elevator stuck", "lift stuck", "gas smell", "smell of gas",
    "electric shock", "sparking",
)  # fmt: skip


def default_priority(kind: Kind, category: str, text: str) -> Priority:
    """P1 when the text names an emergency; otherwise the category's usual priority.

    Inquiries that name no emergency are P4. Planned maintenance is P3 whatever its text
    says (an inspection of a riser that once leaked is not an emergency).
    """
    if kind is Kind.MAINTENANCE:
        return Priority.P3
    lowered = text.lower()
    if any(word in lowered for word in URGENT_WORDS):
        return Priority.P1
    if kind is Kind.INQUIRY:
        return Priority.P4
    return CATEGORIES[category][2]
