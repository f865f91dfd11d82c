"""The detail panel: every field of the selected action and its latest history."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from tracker.domain.dates import format_utc
from tracker.domain.measures import MeasureRow
from tracker.domain.records import ActionRow, HistoryEntry
from tracker.domain.rules import RuleSettings
from tracker.domain.text import one_line, printable
from tracker.tui.view import STALE_STYLE, flag_text, rag_text, stale_label, status_label
from tracker.tui.widgets.measures import MeasureList

__all__ = ["DetailPanel", "action_text", "history_line"]

LATEST = 3


def _field(text: Text, label: str, value: str | None, *, multiline: bool = False) -> None:
    text.append(f"{label}: ", style="bold")
    shown = printable(value).strip() if multiline else one_line(value)
    text.append(shown or "—", style="" if shown else "dim")
    text.append("\n")


def history_line(entry: HistoryEntry) -> Text:
    """One change as a line: when, who, field, old → new, note."""
    text = Text(no_wrap=False)
    text.append(format_utc(entry.at), style="dim")
    text.append(f" {one_line(entry.by)} ")
    text.append(one_line(entry.field), style="bold")
    if entry.old is not None or entry.new is not None:
        text.append(f" {one_line(entry.old) or '—'} → {one_line(entry.new) or '—'}")
    if entry.note:
        text.append(f" ({one_line(entry.note)})", style="italic")
    return text


def action_text(row: ActionRow, settings: RuleSettings, history: list[HistoryEntry] | None) -> Text:
    """Every field of one action as text (history None: still loading); never markup."""
    text = Text()
    text.append(one_line(row.address), style="bold")
    text.append("  ")
    text.append_text(rag_text(row.rag(settings)))
    flag = flag_text(row, settings)
    if flag:
        text.append("  ")
        text.append_text(flag)
    text.append("  ")
    text.append(f"{status_label(row.status)} · {row.progress}% done", style="bold")
    text.append("\n")
    # The facts a board asks first (who, by when) come before the longer text.
    _field(text, "Owner", row.owner)
    text.append("Deadline: ", style="bold")
    text.append(row.deadline.isoformat())
    if row.original_deadline and row.original_deadline != row.deadline:
        text.append(
            f" (originally {row.original_deadline.isoformat()}, moved {row.slippage_days:+d}d"
            f", {row.revisions} revision{'s' if row.revisions != 1 else ''})",
            style="dim",
        )
    text.append(" · ")
    text.append("Start: ", style="bold")
    text.append(row.start.isoformat() if row.start else "—")
    text.append("\n")
    text.append(f"{one_line(row.rec_ref)} {one_line(row.rec_title)}", style="dim")
    text.append("\n")
    text.append(printable(row.description).strip())
    text.append("\n")
    _field(text, "Partner", row.partner)
    _field(text, "Measure", row.measure, multiline=True)
    _field(text, "Evidence", row.evidence, multiline=True)
    _field(text, "Notes", row.notes, multiline=True)
    text.append("Updated: ", style="bold")
    text.append(f"{format_utc(row.updated_at)} by {one_line(row.updated_by)}")
    if row.stale(settings):
        text.append("  ")
        text.append(stale_label(row, settings), style=STALE_STYLE)
    text.append("\n")
    text.append("Latest history:", style="bold")
    if history is None:
        text.append(" …", style="dim")
        return text
    if row.revisions and not any(e.field == "deadline" for e in history):
        # The deadline moved before the action reached this store: say where from.
        text.append(" the deadline's revision came with the plan file", style="dim")
    if not history:
        text.append(" none", style="dim")
    for entry in history[-LATEST:][::-1]:
        text.append("\n  ")
        text.append_text(history_line(entry))
    return text


class DetailPanel(VerticalScroll):
    """Shows one action; scrolls (tab to it, then the arrow keys) when there is more."""

    DEFAULT_CSS = """
    DetailPanel { height: 12; border-top: tall $panel; background: $surface; padding: 0 1; }
    DetailPanel > Static { width: 1fr; }
    """

    _shown: int | None = None  # the action shown, so a new one starts at the top

    def compose(self) -> ComposeResult:
        yield MeasureList(limit=4, id="detail-measures")
        yield Static(Text("No action selected.", style="dim"), id="detail-body")

    def show(
        self,
        row: ActionRow | None,
        settings: RuleSettings,
        history: list[HistoryEntry] | None,
        *,
        measures: list[MeasureRow] | None = None,
    ) -> None:
        """The action; with `measures`, its recommendation's measures above it."""
        body = self.query_one("#detail-body", Static)
        listing = self.query_one(MeasureList)
        if row is None:
            body.update(Text("No action in this view.", style="dim"))
            listing.show([])
        else:
            if row.id != self._shown:  # another action: its first lines (ref, RAG) show
                self.scroll_home(animate=False, immediate=True)
                self._shown = row.id
            body.update(action_text(row, settings, history))
            if measures is not None:
                rec = f"{one_line(row.rec_ref)}'s measures of impact"
                listing.show(measures, heading=rec)
