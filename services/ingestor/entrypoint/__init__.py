"""The ingestor's gRPC face: the device registry."""
