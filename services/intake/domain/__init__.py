"""Ticket rules with no I/O: the model, the lifecycle state machine and role rules."""
