"""``python -m generator`` is the same as the ``clientsmith`` console script."""

from generator.cli import main

if __name__ == "__main__":
    main()
