"""Analytics rules as plain dataclasses and pure functions: what each ticket's history makes
of it, how periods are cut into buckets, how figures follow from additive measures."""
