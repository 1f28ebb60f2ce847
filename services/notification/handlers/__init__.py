"""Notification use cases: following events, delivering the outbox, reading the inbox."""
