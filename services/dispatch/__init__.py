"""Dispatch: routes tickets to teams and technicians by rules kept as data."""
