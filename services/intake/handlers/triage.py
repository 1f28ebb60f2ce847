"""Keep the triage classifier current: train it anew when people corrected suggestions."""

from __future__ import annotations

import asyncio
import logging
import time

from services.intake.adapters.classifier import TrainedClassifier
from services.intake.adapters.triage_repo import TriageRepository
from services.intake.handlers.base import HandlersBase

__all__ = ["TriageHandlers"]

log = logging.getLogger(__name__)


class TriageHandlers(HandlersBase):
    """Retrains the classifier on the corpus and the stored corrections."""

    async def retrain_triage(self) -> bool:
        """Train anew, off the event loop, when the corrections changed since the classifier
        was trained; new tickets then use it. True when it trained."""
        async with self._pool.connection() as conn:
            corrections = await TriageRepository(conn).examples()
        if corrections == self._taught:
            return False
        started = time.perf_counter()
        classifier = await asyncio.to_thread(TrainedClassifier.train, corrections)
        self._classifier, self._taught = classifier, corrections
        log.info("triage model %s trained with %d correction(s) in %.2f s", classifier.version,
                 len(corrections), time.perf_counter() - started)  # fmt: skip
        return True
