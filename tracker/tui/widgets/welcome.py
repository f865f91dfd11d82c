"""What an empty store shows instead of an empty grid: how to begin."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tracker.domain.text import one_line

__all__ = ["Welcome"]


class Welcome(Static):
    """How to import a plan, and that `tracker demo` exists."""

    DEFAULT_CSS = """
    Welcome { height: 1fr; padding: 1 2; background: $surface; }
    """

    def show(self, location: str, *, read_only: str | None = None) -> None:
        """How to begin, naming the store the plan will be written to."""
        text = Text()
        text.append("Welcome to tracker\n\n", style="bold")
        text.append("This store has no improvement plan yet:\n  ")
        text.append(one_line(location), style="italic")
        text.append("\n\n")
        if read_only:
            text.append(one_line(read_only), style="bold")
            text.append("\nOpen it without --read-only to start a plan here.\n")
        else:
            text.append("  p  ", style="bold reverse")
            text.append(
                "  start a plan here: a new plan, then recommendations (r) and actions (a)\n\n"
            )
            text.append("  i  ", style="bold reverse")
            text.append("  import a plan file (TOML, see docs/plan-format.md)\n\n")
            text.append("Moving off a spreadsheet? Quit (q) and run:\n")
            text.append("  tracker import-sheet my-plan.csv --plan KEY", style="bold")
            text.append("\n(see tracker import-sheet --help for the columns)\n")
        text.append("\nTo look around first with sample plans, run: ")
        text.append("tracker demo\n", style="bold")
        text.append("\nPress ? for help, q to quit.", style="dim")
        self.update(text)
