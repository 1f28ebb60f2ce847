"""The triage classifier intake runs: `ml.triage` trained on the shipped corpus and the
corrections people made, behind the domain's `Classifier`."""

from __future__ import annotations

from collections.abc import Iterable

from ml.triage import Example, TriageModel, load_corpus
from services.intake.domain.model import CATEGORIES, Priority
from services.intake.domain.triage import TriageSuggestion

__all__ = ["TrainedClassifier"]

_PRIORITIES = frozenset(p.value for p in Priority)


class TrainedClassifier:
    """A trained model that answers in the domain's terms."""

    def __init__(self, model: TriageModel, examples: int) -> None:
        self._model = model
        self.version = model.version
        #: How many examples it learned from: the corpus and the corrections.
        self.examples = examples

    @classmethod
    def train(cls, corrections: Iterable[tuple[str, str, str]]) -> TrainedClassifier:
        """Train on the corpus and the (text, category, priority) corrections, skipping any
        whose labels intake no longer knows. Takes about a second of one core."""
        taught = [Example(*c) for c in corrections if c[1] in CATEGORIES and c[2] in _PRIORITIES]
        examples = [*load_corpus(), *taught]
        return cls(TriageModel.train(examples), len(examples))

    def suggest(self, text: str) -> TriageSuggestion:
        guess = self._model.guess(text)
        return TriageSuggestion(
            guess.category, guess.category_confidence, Priority(guess.priority),
            guess.priority_confidence, self.version,
        )  # fmt: skip
