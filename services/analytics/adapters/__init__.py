"""The analytics service's SQL repositories and its clients of intake and dispatch."""
