"""The intake service's ways to the outside: PostgreSQL and password hashing."""
