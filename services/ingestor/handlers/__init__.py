"""The ingestor's use cases: the registry, ingesting batches, the ticket outbox, the watchdog."""
