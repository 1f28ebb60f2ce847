"""Dispatch rules with no I/O: the model, routing rules, the roster and the choice of technician."""
