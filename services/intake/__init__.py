"""The intake service: tickets, their lifecycle and the append-only ticket event log."""
