"""`python -m tracker` and the `tracker` console script."""

from __future__ import annotations

import sys


def main() -> None:
    from tracker.cli import main as run

    sys.exit(run())


if __name__ == "__main__":
    main()
