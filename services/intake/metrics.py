"""Intake's own Prometheus metrics (beside the gRPC ones every service exports)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

__all__ = ["HELD_BACK", "KB_QUESTIONS", "TRIAGE", "TRIAGE_EXAMPLES"]

HELD_BACK = Gauge(
    "intake_event_log_held_back_seconds",
    "How long the oldest writing transaction on the database server has run: followers get"
    " no ticket event committed after it began until it ends",
)

#: Tenants' questions by what became of them: `answered_before_ticket` (an article answered
#: it, no ticket), `ticket` (an inquiry ticket was raised) and `answered_after_ticket` (an
#: article answered a raised inquiry, which closed itself; also counted in `ticket`).
#: Deflection rate = (answered_before_ticket + answered_after_ticket)
#: / (answered_before_ticket + ticket).
KB_QUESTIONS = Counter(
    "intake_kb_questions_total", "Tenants' questions, by what answered them", ["outcome"]
)

#: Triage: `suggested` (the classifier read a new ticket whose requester left the category
#: or priority out), `corrected` (the desk changed a suggested ticket's labels on accepting
#: it; kept as a training example). Corrected / suggested is how often the desk disagrees.
TRIAGE = Counter("intake_triage_total", "Triage suggestions and corrections", ["event"])

TRIAGE_EXAMPLES = Gauge(
    "intake_triage_model_examples",
    "Examples the triage classifier in use learned from (corpus and corrections); 0 until"
    " its first training ends",
)
