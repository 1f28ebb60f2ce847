"""Analytics use cases: follow ticket events into the facts, answer reports, keep gauges."""
