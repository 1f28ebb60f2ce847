"""Triage: a ticket's category and priority suggested from its text, Chinese or English.

Character n-grams (`char_wb`, 1-4) weighted by TF-IDF feed two logistic regressions, one
per target, trained on the labelled corpus beside this file (`corpus.csv`, written for
this project, CC0-1.0) and on the corrections people made. `python -m ml triage` measures
them on a fixed held-out split (`docs/triage.md`).
"""

from ml.triage.corpus import CORPUS, Example, load_corpus, split
from ml.triage.model import Guess, TriageModel

__all__ = ["CORPUS", "Example", "Guess", "TriageModel", "load_corpus", "split"]
