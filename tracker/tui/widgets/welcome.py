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

    def show(self, location: str) -> None:
        text = Text()
        text.append("Welcome to tracker\n\n", style="bold")
        text.append("This store has no improvement plan yet:\n  ")
        text.append(one_line(location), style="italic")
        text.append("\n\nTo load your plan, quit (q) and run:\n\n")
        text.append("  tracker import my-plan.toml\n", style="bold")
        text.append("\nA plan file lists the recommendations and their actions; ")
        text.append("see docs/plan-format.md and the examples in sample_plans/.\n")
        text.append("\nTo look around first with sample plans, run:\n\n")
        text.append("  tracker demo\n", style="bold")
        text.append("\nPress ? for help, q to quit.", style="dim")
        self.update(text)
