"""Held-out figures for the triage model: accuracy per target and per language, the
most-frequent-class baseline, and the category confusion table."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ml.triage.corpus import Example, split
from ml.triage.model import TriageModel

__all__ = ["Evaluation", "evaluate", "language"]


def language(text: str) -> str:
    """`zh` when the text holds a CJK character, else `en`."""
    return "zh" if any("\u4e00" <= c <= "\u9fff" for c in text) else "en"


def _share(hits: Sequence[bool]) -> float:
    return round(sum(hits) / len(hits), 3) if hits else 0.0


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What one training on the train part scored on the held-out part."""

    train: list[Example]
    test: list[Example]
    #: The model's (category, priority) for each test example, in order.
    predicted: list[tuple[str, str]]
    train_s: float

    def figures(self) -> dict[str, float | int]:
        """Accuracy per target and per language, with the most-frequent-class baseline."""
        cats = [p[0] == e.category for p, e in zip(self.predicted, self.test, strict=True)]
        pris = [p[1] == e.priority for p, e in zip(self.predicted, self.test, strict=True)]
        common_cat = Counter(e.category for e in self.train).most_common(1)[0][0]
        common_pri = Counter(e.priority for e in self.train).most_common(1)[0][0]
        by_lang = {lang: [hit for hit, e in zip(cats, self.test, strict=True)
                          if language(e.text) == lang] for lang in ("zh", "en")}  # fmt: skip
        return {
            "train_rows": len(self.train),
            "test_rows": len(self.test),
            "category_accuracy": _share(cats),
            "category_baseline": _share([e.category == common_cat for e in self.test]),
            "priority_accuracy": _share(pris),
            "priority_baseline": _share([e.priority == common_pri for e in self.test]),
            "category_accuracy_zh": _share(by_lang["zh"]),
            "category_accuracy_en": _share(by_lang["en"]),
            "train_s": round(self.train_s, 3),
        }

    def confusion(self, target: str = "category") -> str:
        """A Markdown table: a row per true label, a column per predicted one."""
        at = 0 if target == "category" else 1
        pairs = Counter(
            (getattr(e, target), p[at]) for p, e in zip(self.predicted, self.test, strict=True)
        )
        labels = sorted({t for t, _ in pairs} | {p for _, p in pairs})
        lines = ["| true \\ predicted | " + " | ".join(labels) + " |",
                 "|---" * (len(labels) + 1) + "|"]  # fmt: skip
        for true in labels:
            cells = [str(pairs[true, pred]) if pairs[true, pred] else "." for pred in labels]
            lines.append(f"| {true} | " + " | ".join(cells) + " |")
        return "\n".join(lines)


def evaluate(examples: Sequence[Example], test_share: float = 0.2, seed: int = 11) -> Evaluation:
    """Train on the train part of the fixed split and predict the held-out part."""
    train, test = split(examples, test_share, seed)
    started = time.perf_counter()
    model = TriageModel.train(train)
    took = time.perf_counter() - started
    guesses = model.guess_all([e.text for e in test])
    return Evaluation(train, test, [(g.category, g.priority) for g in guesses], took)
