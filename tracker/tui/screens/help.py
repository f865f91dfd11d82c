"""Help: the keys and the concepts (RAG, overdue, due soon), from a Markdown file.

The thresholds in the text are the ones in force (`--due-soon-days`, `--tolerance-days`).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown, Static

from tracker.domain.rules import RuleSettings

__all__ = ["HELP_FILE", "HelpScreen", "help_text"]

HELP_FILE = Path(__file__).resolve().parent.parent / "help.md"


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


def help_text(settings: RuleSettings, *, demo_store: str | None = None) -> str:
    """The help page with the due-soon window and the RAG tolerance filled in; on the
    demo store (the DEMO badge), where that store is and how to start it afresh first."""
    text = HELP_FILE.read_text(encoding="utf-8")
    text = text.replace("{due_soon_days}", _days(settings.due_soon_days))
    text = text.replace("{tolerance_days}", _days(settings.tolerance_days))
    if demo_store:
        head, sep, rest = text.partition("\n\n")
        text = head + sep + demo_help(demo_store) + "\n\n" + rest
    return text


def demo_help(location: str) -> str:
    """What the DEMO badge means, as a paragraph of the help page."""
    return (
        "**DEMO**: this is the demo store, made from `sample_plans/` the first time. "
        f"Your changes are kept in `{location}` until `tracker demo --reset` makes it afresh."
    )


class HelpScreen(ModalScreen[None]):
    """The help page; escape, ? or q closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close", id="close"),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > #dialog {
        width: 90; max-width: 100%; height: 90%; border: thick $primary;
        background: $surface;
    }
    HelpScreen #hint { height: 1; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, settings: RuleSettings, *, demo_store: str | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.demo_store = demo_store

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            with VerticalScroll(id="help-scroll"):
                yield Markdown(help_text(self.settings, demo_store=self.demo_store), id="help")
            yield Static("↑/↓ scroll · escape: close", id="hint")

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    def action_close(self) -> None:
        self.dismiss(None)
