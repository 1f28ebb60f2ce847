"""The triage model: shared character n-gram features, one linear model per target."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from ml.triage.corpus import Example

__all__ = ["MAX_CHARS", "Guess", "TriageModel"]

#: Text beyond this is not read (a title and a description fit).
MAX_CHARS = 6000


@dataclass(frozen=True, slots=True)
class Guess:
    """The most likely category and priority, each with its probability."""

    category: str
    category_confidence: float
    priority: str
    priority_confidence: float


def _version(examples: Sequence[Example]) -> str:
    digest = hashlib.sha256()
    for e in examples:
        digest.update(f"{e.text}\x1f{e.category}\x1f{e.priority}\x1e".encode())
    return f"triage-{len(examples)}-{digest.hexdigest()[:10]}"


def _best(model: LogisticRegression, features: Any) -> tuple[list[str], list[float]]:
    probabilities = model.predict_proba(features)
    best = np.argmax(probabilities, axis=1)
    labels = [str(model.classes_[i]) for i in best]
    return labels, [float(p) for p in probabilities[np.arange(len(best)), best]]


class TriageModel:
    """Suggests a category and a priority for a request's text."""

    def __init__(
        self, features: TfidfVectorizer, category: LogisticRegression,
        priority: LogisticRegression, version: str,
    ) -> None:  # fmt: skip
        self._features = features
        self._category = category
        self._priority = priority
        #: Names the training data: how many examples and a hash of them.
        self.version = version

    @classmethod
    def train(cls, examples: Sequence[Example]) -> TriageModel:
        """Fit on `examples` (at least two categories and two priorities), one thread."""
        features = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True)
        with threadpool_limits(1):
            x = features.fit_transform([e.text[:MAX_CHARS] for e in examples])
            category = LogisticRegression(C=10.0, max_iter=2000)
            category.fit(x, [e.category for e in examples])
            priority = LogisticRegression(C=10.0, max_iter=2000)
            priority.fit(x, [e.priority for e in examples])
        return cls(features, category, priority, _version(examples))

    def guess_all(self, texts: Sequence[str]) -> list[Guess]:
        """A guess per text, in order; any text (empty too) gets one."""
        with threadpool_limits(1):
            x = self._features.transform([t[:MAX_CHARS] for t in texts])
            categories, category_p = _best(self._category, x)
            priorities, priority_p = _best(self._priority, x)
        return [Guess(*g) for g in zip(categories, category_p, priorities, priority_p, strict=True)]

    def guess(self, text: str) -> Guess:
        """The guess for one text."""
        return self.guess_all([text])[0]
