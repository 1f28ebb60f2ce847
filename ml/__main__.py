"""`python -m ml`: see `ml.cli`."""

from ml.cli import main

if __name__ == "__main__":
    main()
