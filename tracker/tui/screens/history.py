"""The history of one action: every change, who, when, old and new, and the note."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from tracker.domain.dates import format_utc
from tracker.domain.records import ActionRow, HistoryEntry
from tracker.domain.text import one_line
from tracker.tui.data import StoreAccess
from tracker.tui.failures import ReportsFailures

__all__ = ["HistoryScreen"]


class HistoryLoaded(Message):
    """The entries of the action's history, oldest first."""

    def __init__(self, entries: list[HistoryEntry]) -> None:
        super().__init__()
        self.entries = entries


class HistoryScreen(ReportsFailures, ModalScreen[None]):
    """Read-only list of changes; the newest at the bottom, where the cursor starts."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,h,q", "close", "Close", id="close"),
    ]

    DEFAULT_CSS = """
    HistoryScreen { align: center middle; }
    HistoryScreen > #dialog {
        width: 95%; height: 90%; border: thick $primary; background: $surface; padding: 0 1;
    }
    HistoryScreen #title { text-style: bold; height: auto; }
    HistoryScreen DataTable { height: 1fr; }
    HistoryScreen #hint { color: $text-muted; height: 1; }
    HistoryScreen #stacked { height: 1fr; }
    HistoryScreen #stacked > Static { width: 1fr; margin-bottom: 1; }
    """

    # Below this terminal width the six columns do not fit: each entry is stacked instead
    # (when and who, then field old → new, then the note), wrapped, never cut.
    STACK_BELOW = 110

    def __init__(self, store: StoreAccess, row: ActionRow) -> None:
        super().__init__()
        self.store = store
        self.row = row

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            title = Text("History of ", style="bold")
            title.append(one_line(self.row.address))
            title.append(" · " + one_line(self.row.description), style="not bold")
            yield Static(title, id="title")
            if self.stacked:
                yield VerticalScroll(id="stacked")
            else:
                yield DataTable(id="entries", cursor_type="row", zebra_stripes=True)
            yield Static("escape: close · times are UTC", id="hint")

    @property
    def stacked(self) -> bool:
        return self.app.size.width < self.STACK_BELOW

    def on_mount(self) -> None:
        if self.stacked:
            self.query_one("#stacked").loading = True
            self._load()
            return
        table = self.query_one(DataTable)
        table.add_columns("When (UTC)", "Who", "Field", "Old", "New", "Note")
        table.loading = True
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _load(self) -> None:
        self.post_message(HistoryLoaded(self.store.history(self.row.id)))

    def _no_entries(self) -> None:
        hint = "No changes recorded yet"
        if self.row.revisions:
            hint = "No changes recorded here: the deadline's revision came with the plan file"
        self.query_one("#hint", Static).update(f"{hint} · escape: close")

    def _show_stacked(self, entries: list[HistoryEntry]) -> None:
        """Each entry as a short block that wraps: everything visible at 80 columns."""
        box = self.query_one("#stacked", VerticalScroll)
        box.loading = False
        blocks = []
        for e in entries:
            text = Text()
            text.append(format_utc(e.at), style="dim")
            text.append(f" · {one_line(e.by)} · ")
            text.append(one_line(e.field), style="bold")
            if e.old is not None or e.new is not None:
                text.append(f"\n  {one_line(e.old) or '—'} → {one_line(e.new) or '—'}")
            if e.note:
                text.append("\n  Note: ", style="bold")
                text.append(one_line(e.note), style="italic")
            blocks.append(Static(text))
        box.mount_all(blocks)
        if entries:
            box.scroll_end(animate=False)
            self.query_one("#hint", Static).update(
                "escape: close · newest at the bottom · arrows scroll · times are UTC"
            )
        else:
            self._no_entries()
        box.focus()

    def on_history_loaded(self, message: HistoryLoaded) -> None:
        if self.stacked:
            self._show_stacked(message.entries)
            return
        table = self.query_one(DataTable)
        table.loading = False
        table.add_rows(
            [
                (
                    Text(format_utc(e.at)),
                    Text(one_line(e.by)),
                    Text(one_line(e.field), style="bold"),
                    Text(one_line(e.old)[:60]),
                    Text(one_line(e.new)[:60]),
                    Text(one_line(e.note)[:80]),
                )
                for e in message.entries
            ]
        )
        if not message.entries:
            self._no_entries()
        else:
            table.move_cursor(row=len(message.entries) - 1)
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)
