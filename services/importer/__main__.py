"""`python -m services.importer`."""

from services.importer.main import main

main()
