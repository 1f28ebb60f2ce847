"""`make run`: migrate, seed demo data and run every process of the system in the foreground."""
