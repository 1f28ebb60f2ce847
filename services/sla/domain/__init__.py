"""SLA rules as plain dataclasses and pure functions: calendars, policies, clocks, timers."""
