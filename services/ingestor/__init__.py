"""The ingestor: MQTT in, telemetry stored, alerts turned into tickets, the device registry."""
