"""The analytics service's gRPC face and its reading of intake's events."""
