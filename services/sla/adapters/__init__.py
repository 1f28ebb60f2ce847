"""The SLA service's SQL repositories and its client of intake."""
