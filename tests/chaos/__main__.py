"""`python -m tests.chaos [--rounds N ...]`: the fault suite (docs/reliability.md)."""

from tests.chaos.runner import main

main()
