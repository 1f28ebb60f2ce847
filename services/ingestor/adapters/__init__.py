"""The ingestor's ways to the outside: PostgreSQL, the MQTT broker and intake over gRPC."""
