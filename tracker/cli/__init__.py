"""The command line: `main` runs one command and returns its exit status."""

from tracker.cli.main import main

__all__ = ["main"]
