"""SLA use cases: follow ticket events, work due timers, edit policies and calendars."""
