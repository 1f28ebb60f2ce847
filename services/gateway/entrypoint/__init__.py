"""The REST API: one router per resource, one place that maps gRPC errors to HTTP."""
