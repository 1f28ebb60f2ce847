"""The labelled corpus and its fixed held-out split."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sklearn.model_selection import train_test_split

__all__ = ["CORPUS", "Example", "load_corpus", "split"]

#: The corpus shipped with the library: `text,category,priority,lang`, `#` lines are notes.
CORPUS = Path(__file__).with_name("corpus.csv")


@dataclass(frozen=True, slots=True)
class Example:
    """A request's text with the category and priority a person gave it."""

    text: str
    category: str
    priority: str


def load_corpus(path: Path = CORPUS) -> list[Example]:
    """The examples of a corpus file, in file order."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        return [Example(r["text"], r["category"], r["priority"]) for r in rows]


def split(
    examples: Sequence[Example], test_share: float = 0.2, seed: int = 11
) -> tuple[list[Example], list[Example]]:
    """A held-out split, stratified by category: (train, test). The same examples and seed
    give the same split."""
    train, test = train_test_split(
        list(examples),
        test_size=test_share,
        random_state=seed,
        stratify=[e.category for e in examples],
    )
    return list(train), list(test)
