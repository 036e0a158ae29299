"""``python -m pinaudit``."""

from pinaudit.cli import main

if __name__ == "__main__":
    main()
