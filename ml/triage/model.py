"""The triage model: shared character n-gram features, one linear model per target."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
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


class _Tfidf:
    """A fitted TfidfVectorizer (sublinear tf, l2 norm) applied without scikit-learn's
    per-call input checks, which cost several times the counting."""

    def __init__(self, fitted: TfidfVectorizer) -> None:
        self.analyze = fitted.build_analyzer()
        self.vocabulary: dict[str, int] = dict(fitted.vocabulary_)
        self.idf = np.asarray(fitted.idf_, dtype=np.float64)

    def transform(self, texts: Sequence[str]) -> csr_matrix:
        rows, cols, values = [], [], []
        for row, text in enumerate(texts):
            counts = Counter(self.vocabulary[g] for g in self.analyze(text) if g in self.vocabulary)
            if not counts:
                continue
            index = np.fromiter(counts, dtype=np.int64, count=len(counts))
            weight = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64))) * self.idf[
                index
            ]
            rows.extend([row] * len(index))
            cols.extend(index.tolist())
            values.extend((weight / np.linalg.norm(weight)).tolist())
        return csr_matrix((values, (rows, cols)), shape=(len(texts), len(self.idf)))


class _Linear:
    """A fitted multinomial logistic regression's weights: its probabilities without
    scikit-learn's per-call input checks, which cost more than the arithmetic."""

    def __init__(self, model: LogisticRegression) -> None:
        self.classes = [str(c) for c in model.classes_]
        coef = np.asarray(model.coef_, dtype=np.float64)
        intercept = np.asarray(model.intercept_, dtype=np.float64)
        if len(self.classes) == 2:  # one score for the second class; softmax of (0, s)
            coef = np.vstack([np.zeros_like(coef), coef])
            intercept = np.concatenate([[0.0], intercept])
        self.weights = coef.T
        self.intercept = intercept

    def probabilities(self, features: Any) -> npt.NDArray[np.float64]:
        scores = np.asarray(features @ self.weights) + self.intercept
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        return np.asarray(scores / scores.sum(axis=1, keepdims=True), dtype=np.float64)

    def best(self, features: Any) -> tuple[list[str], list[float]]:
        """The most probable class of each row, with its probability."""
        probabilities = self.probabilities(features)
        best = np.argmax(probabilities, axis=1)
        chosen = probabilities[np.arange(len(best)), best]
        return [self.classes[i] for i in best], [float(p) for p in chosen]


class TriageModel:
    """Suggests a category and a priority for a request's text."""

    def __init__(
        self, features: TfidfVectorizer, category: LogisticRegression,
        priority: LogisticRegression, version: str,
    ) -> None:  # fmt: skip
        self._features = _Tfidf(features)
        self._category = _Linear(category)
        self._priority = _Linear(priority)
        #: Names the training data: how many examples and a hash of them.
        self.version = version

    @classmethod
    def train(cls, examples: Sequence[Example]) -> TriageModel:
        """Fit on `examples` (at least two categories and two priorities), one thread."""
        features = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True)
        with threadpool_limits(1):
            x = features.fit_transform([e.text[:MAX_CHARS] for e in examples])
            category = LogisticRegression(C=10.0, solver="sag", max_iter=2000, random_state=0)
            category.fit(x, [e.category for e in examples])
            priority = LogisticRegression(C=10.0, solver="sag", max_iter=2000, random_state=0)
            priority.fit(x, [e.priority for e in examples])
        return cls(features, category, priority, _version(examples))

    def guess_all(self, texts: Sequence[str]) -> list[Guess]:
        """A guess per text, in order; any text (empty too) gets one."""
        x = self._features.transform([t[:MAX_CHARS] for t in texts])
        categories, category_p = self._category.best(x)
        priorities, priority_p = self._priority.best(x)
        return [Guess(*g) for g in zip(categories, category_p, priorities, priority_p, strict=True)]

    def guess(self, text: str) -> Guess:
        """The guess for one text."""
        return self.guess_all([text])[0]
