"""The SLA service's SQL repositories, its client of intake and the follower lock."""
