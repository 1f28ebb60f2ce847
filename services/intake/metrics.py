"""Intake's own Prometheus metrics (beside the gRPC ones every service exports)."""

from __future__ import annotations

from prometheus_client import Counter

__all__ = ["KB_QUESTIONS"]

#: Tenants' questions by what became of them: `answered_before_ticket` (an article answered
#: it, no ticket), `ticket` (an inquiry ticket was raised) and `answered_after_ticket` (an
#: article answered a raised inquiry, which closed itself; also counted in `ticket`).
#: Deflection rate = (answered_before_ticket + answered_after_ticket)
#: / (answered_before_ticket + ticket).
KB_QUESTIONS = Counter(
    "intake_kb_questions_total", "Tenants' questions, by what answered them", ["outcome"]
)
