"""Translation between gRPC messages and the notification handlers."""
