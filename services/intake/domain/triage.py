"""Triage: urgency from the words people use, in Chinese and English, and what a trained
classifier suggests for a ticket's category and priority (the model itself lives outside
the domain, behind `Classifier`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.intake.domain.model import CATEGORIES, Actor, Kind, Priority, Ticket

__all__ = [
    "DEFAULT_MIN_CONFIDENCE",
    "SUGGESTION_KEYS",
    "URGENT_WORDS",
    "Classifier",
    "Correction",
    "TriageSuggestion",
    "correction",
    "default_priority",
]

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

#: Below this probability a suggestion is recorded but decides nothing.
DEFAULT_MIN_CONFIDENCE = 0.5

#: The ticket attributes that record a suggestion.
SUGGESTION_KEYS = (
    "triage_category", "triage_category_confidence", "triage_priority",
    "triage_priority_confidence", "triage_model",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class TriageSuggestion:
    """What the classifier says of a request's text, with its probabilities."""

    category: str
    category_confidence: float
    priority: Priority
    priority_confidence: float
    #: The model that said it (its training data's size and hash).
    model_version: str

    def attributes(self) -> dict[str, str]:
        """The suggestion as ticket attributes (`SUGGESTION_KEYS`)."""
        values = (self.category, f"{self.category_confidence:.3f}", self.priority.value,
                  f"{self.priority_confidence:.3f}", self.model_version)  # fmt: skip
        return dict(zip(SUGGESTION_KEYS, values, strict=True))


class Classifier(Protocol):
    """Suggests a category and a priority for a request's title and description."""

    def suggest(self, text: str) -> TriageSuggestion: ...


@dataclass(frozen=True, slots=True)
class Correction:
    """A suggested ticket's text with the labels a person gave it: a training example."""

    ticket_id: str
    text: str
    category: str
    priority: Priority
    corrected_by: str
    corrected_at: datetime


def correction(
    ticket: Ticket, before: tuple[str, Priority], actor: Actor, now: datetime
) -> Correction | None:
    """The example to learn from when a person changed the category or priority
    (`before`) of a ticket that carries a suggestion; None otherwise."""
    if "triage_model" not in ticket.attributes or before == (ticket.category, ticket.priority):
        return None
    text = f"{ticket.title}\n{ticket.description}".strip()
    return Correction(ticket.id, text, ticket.category, ticket.priority, actor.username, now)


def default_priority(
    kind: Kind, category: str, text: str, suggested: Priority | None = None
) -> Priority:
    """P1 when the text names an emergency; otherwise a confident suggestion, or the
    category's usual priority.

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
    return suggested or CATEGORIES[category][2]
