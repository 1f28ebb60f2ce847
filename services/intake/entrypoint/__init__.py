"""The intake service's gRPC face: translate, call a handler, translate back."""
