"""Dispatch's Prometheus metrics."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

__all__ = [
    "ASSIGNMENTS",
    "CLAIMS",
    "CLAIM_CONFLICTS",
    "DECISIONS",
    "DECISION_SECONDS",
    "FALLBACKS",
    "INTAKE_FAILURES",
    "OFFERS",
    "PAGES",
]

DECISIONS = Counter(
    "dispatch_decisions_total",
    "Routing decisions, by what was done (team, best_technician, claim_pool)",
    ["mode"],
)
DECISION_SECONDS = Histogram(
    "dispatch_decision_seconds",
    "Time to route one ticket: fetch it, load the site's configuration, decide and record",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
ASSIGNMENTS = Counter("dispatch_assignments_total", "Tickets dispatch assigned in intake")
OFFERS = Counter("dispatch_offers_total", "Tickets offered to a claim pool")
CLAIMS = Counter("dispatch_claims_total", "Claims of offers, by outcome", ["outcome"])
CLAIM_CONFLICTS = Counter(
    "dispatch_claim_conflicts_total", "Claims refused because someone else was first"
)
FALLBACKS = Counter(
    "dispatch_offer_fallbacks_total", "Offers nobody claimed in time, routed to assignment"
)
PAGES = Counter(
    "dispatch_pages_total", "Pages and notifications asked of intake, by reason", ["reason"]
)
INTAKE_FAILURES = Counter(
    "dispatch_intake_failures_total",
    "Calls to intake that failed, by whether they are retried",
    ["retried"],
)
