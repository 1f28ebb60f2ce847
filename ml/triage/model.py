"""The triage model: shared character n-gram features, one linear model per target."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
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


#: A text's features: the vocabulary indices it holds and their TF-IDF weights.
Features = tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]


class _Tfidf:
    """A fitted TfidfVectorizer (sublinear tf, l2 norm) applied to one text at a time,
    without scikit-learn's per-call input checks (they cost several times the counting)."""

    def __init__(self, fitted: TfidfVectorizer) -> None:
        self.analyze = fitted.build_analyzer()
        self.vocabulary: dict[str, int] = dict(fitted.vocabulary_)
        self.idf = np.asarray(fitted.idf_, dtype=np.float64)

    def features(self, text: str) -> Features:
        """The text's n-grams known to the vocabulary, weighted; none for an unknown text."""
        counts = Counter(self.vocabulary[g] for g in self.analyze(text) if g in self.vocabulary)
        index = np.fromiter(counts, dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        weight = (1.0 + np.log(tf)) * self.idf[index]
        norm = float(np.linalg.norm(weight))
        return index, weight / norm if norm else weight


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
        #: One row per feature, one column per class: a text's rows are gathered.
        self.weights = np.ascontiguousarray(coef.T)
        self.intercept = intercept

    def probabilities(self, features: Features) -> npt.NDArray[np.float64]:
        index, weight = features
        scores = weight @ self.weights[index] + self.intercept
        scores = np.exp(scores - scores.max())
        return np.asarray(scores / scores.sum(), dtype=np.float64)

    def best(self, features: Features) -> tuple[str, float]:
        """The most probable class, with its probability."""
        probabilities = self.probabilities(features)
        best = int(np.argmax(probabilities))
        return self.classes[best], float(probabilities[best])


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

    def guess(self, text: str) -> Guess:
        """The guess for one text; any text (empty too) gets one."""
        features = self._features.features(text[:MAX_CHARS])
        return Guess(*self._category.best(features), *self._priority.best(features))

    def guess_all(self, texts: Sequence[str]) -> list[Guess]:
        """A guess per text, in order."""
        return [self.guess(text) for text in texts]
