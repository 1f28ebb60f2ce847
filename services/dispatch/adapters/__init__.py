"""Dispatch's SQL repositories and its client of the intake service."""
