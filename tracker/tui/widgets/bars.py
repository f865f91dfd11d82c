"""The one-line bars of the main screen: the top bar and the summary line."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tracker.domain.records import ViewCounts
from tracker.domain.text import one_line
from tracker.tui.view import ViewState, summary_text

__all__ = ["SummaryLine", "TopBar"]


class TopBar(Static):
    """Product, store, today and a READ-ONLY badge; no clock, so the screen stays still."""

    DEFAULT_CSS = """
    TopBar { height: 1; background: $primary-muted; color: $text; padding: 0 1; }
    """

    def show(self, *, location: str, today: str, read_only: bool, demo: bool) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("tracker", style="bold")
        text.append(f" · today {today}")
        if read_only:
            text.append("  ")
            text.append(" READ-ONLY ", style="bold reverse #ffb347")
        if demo:
            text.append("  ")
            text.append(" DEMO ", style="bold reverse")
        text.append(" · store ")
        text.append(one_line(location), style="italic")
        self.update(text)


class SummaryLine(Static):
    """How many actions the current view shows, and how many are overdue and so on."""

    DEFAULT_CSS = """
    SummaryLine {
        height: 1; background: $boost; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    """

    _last: tuple[ViewCounts, ViewState] | None = None
    _marked: int = 0

    def show(self, counts: ViewCounts, state: ViewState, *, marked: int | None = None) -> None:
        """The counts; `marked` (None: as before) counts the rows marked for a bulk edit."""
        self._last = (counts, state)
        if marked is not None:
            self._marked = marked
        text = summary_text(counts, state)
        if self._marked:
            text.append(f" · {self._marked:,} marked", style="bold")
        self.update(text)

    def show_marked(self, marked: int) -> None:
        """The marked count changed: the same counts, the new count of marks."""
        self._marked = marked
        if self._last is not None:
            self.show(*self._last)
