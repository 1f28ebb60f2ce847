"""Dispatch use cases: configuration, following the event log, routing, delivery, offers."""
