"""The SLA service's gRPC face: translate, call a handler, translate back."""
