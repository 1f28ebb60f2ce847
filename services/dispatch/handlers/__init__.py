"""Dispatch use cases: configuration, following the event log, routing, delivery, offers,
and the loop that works what comes due."""
