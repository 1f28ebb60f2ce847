"""History import: loads existing places, assets, work orders, events and telemetry from files."""
