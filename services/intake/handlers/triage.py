"""Keep the triage classifier current: train it once intake is up, and anew when people
corrected suggestions."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from services.intake import metrics
from services.intake.adapters.triage_repo import TriageRepository
from services.intake.handlers.base import HandlersBase

if TYPE_CHECKING:
    from services.intake.adapters.classifier import TrainedClassifier

__all__ = ["TriageHandlers"]

log = logging.getLogger(__name__)

#: The training thread's niceness: on busy cores, requests (and processes starting) first.
_NICE = 10


def _lower_priority() -> None:
    # PRIO_PROCESS with a thread's id renices that thread alone on Linux.
    if hasattr(os, "setpriority"):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), _NICE)


#: One niced thread of its own, so intake's other work in threads keeps its priority.
_TRAINER = ThreadPoolExecutor(1, "triage-training", initializer=_lower_priority)


def _trained(corrections: list[tuple[str, str, str]]) -> TrainedClassifier:
    # Imported here, in a worker thread: scikit-learn takes seconds to import on a busy
    # machine, which would otherwise delay every start of intake and block its event loop.
    from services.intake.adapters.classifier import TrainedClassifier  # noqa: PLC0415

    return TrainedClassifier.train(corrections)


class TriageHandlers(HandlersBase):
    """Trains the classifier on the corpus and the stored corrections in a niced thread of
    its own; until the first training ends, tickets are triaged by the rules alone."""

    async def start_triage(self) -> None:
        """Train on the corpus alone (the database need not answer yet)."""
        await self._train([])

    async def retrain_triage(self) -> bool:
        """Train anew when the stored corrections changed since the last training; new
        tickets then use the new model. True when it trained."""
        async with self._pool.connection() as conn:
            corrections = await TriageRepository(conn).examples()
        if self._classifier is not None and corrections == self._taught:
            return False
        await self._train(corrections)
        return True

    async def _train(self, corrections: list[tuple[str, str, str]]) -> None:
        started = time.perf_counter()
        classifier = await asyncio.get_running_loop().run_in_executor(
            _TRAINER, _trained, corrections
        )
        self._classifier, self._taught = classifier, corrections
        metrics.TRIAGE_EXAMPLES.set(classifier.examples)
        log.info("triage model %s trained with %d correction(s) in %.2f s", classifier.version,
                 len(corrections), time.perf_counter() - started)  # fmt: skip
