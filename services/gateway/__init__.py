"""The REST gateway: the only public HTTP surface. It authenticates, authorises at the edge
and calls the services over gRPC; it holds no database connection."""
