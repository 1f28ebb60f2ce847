"""DispatchService over gRPC."""
