"""The notification service: follows the ticket event log, fills the in-app inbox and
delivers messages through apprise channels from a retrying outbox."""
