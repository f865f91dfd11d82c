"""What the main screen is showing (filters and sort) and how values look on screen.

Plan text is data: everything here builds `rich.text.Text` from printable, one-line
strings, so a description holding `[bold]` or an escape sequence is shown as typed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from rich.cells import cell_len, get_character_cell_size
from rich.style import Style
from rich.text import Text

from tracker.domain.records import ActionRow, Filters, ViewCounts
from tracker.domain.rules import Rag, RuleSettings
from tracker.domain.text import one_line

__all__ = [
    "RAG_STYLES",
    "SORTS",
    "SORT_LABELS",
    "STALE_STYLE",
    "ViewState",
    "flag_text",
    "middle_truncate",
    "progress_text",
    "rag_text",
    "sort_words",
    "stale_label",
    "status_label",
    "summary_text",
]

# Sortable columns, in the order `s` steps through them ("rag" puts the worst first).
SORTS: tuple[str, ...] = ("ref", "deadline", "rag", "owner", "status", "progress", "description")
# How a sort is named on screen, where that differs from its key.
SORT_LABELS: dict[str, str] = {"rag": "RAG"}
# Each order in words, ascending and descending, as the summary line says it.
SORT_WORDS: dict[str, tuple[str, str]] = {
    "ref": ("ref", "ref, last first"),
    "deadline": ("deadline, soonest first", "deadline, latest first"),
    "rag": ("RAG, worst first", "RAG, best first"),
    "owner": ("owner, A to Z", "owner, Z to A"),
    "status": ("status", "status, reversed"),
    "progress": ("progress, least done first", "progress, most done first"),
    "description": ("description, A to Z", "description, Z to A"),
}


def sort_words(sort: str, descending: bool) -> str:
    """The order in words: `RAG, worst first`."""
    words = SORT_WORDS.get(sort, (SORT_LABELS.get(sort, sort), f"{sort}, reversed"))
    return words[1] if descending else words[0]


RAG_STYLES: dict[str, Style] = {
    Rag.RED: Style(color="#ff6b6b", bold=True),
    Rag.AMBER: Style(color="#ffb347", bold=True),
    Rag.GREEN: Style(color="#5fd787", bold=True),
    Rag.BLUE: Style(color="#6cb6ff", bold=True),
}
OVERDUE_STYLE = Style(color="#ff6b6b", bold=True)
DUE_SOON_STYLE = Style(color="#ffb347")
STALE_STYLE = Style(color="#b0b0b0", italic=True)


@dataclass(frozen=True, slots=True)
class ViewState:
    """The filters and order of the actions table; a new value for every change."""

    filters: Filters = field(default_factory=Filters)
    sort: str = "ref"
    descending: bool = False

    def with_filters(self, **changes: object) -> ViewState:
        return replace(self, filters=replace(self.filters, **changes))  # type: ignore[arg-type]

    def sorted_by(self, key: str) -> ViewState:
        """Ordered by `key`, ascending."""
        return replace(self, sort=key, descending=False)

    def reversed(self) -> ViewState:
        return replace(self, descending=not self.descending)

    def next_sort(self) -> ViewState:
        """The next of SORTS, the order `s` steps through."""
        position = SORTS.index(self.sort) if self.sort in SORTS else 0
        return self.sorted_by(SORTS[(position + 1) % len(SORTS)])

    def header_clicked(self, key: str) -> ViewState:
        """A click on a column header: that column ascending, or reversed when it is sorted."""
        return self.reversed() if key == self.sort else self.sorted_by(key)

    def unfiltered(self) -> ViewState:
        """Every action, in the same order."""
        return replace(self, filters=Filters())

    @property
    def is_filtered(self) -> bool:
        return self.filters != Filters()

    def describe(self) -> str:
        """The active filters in words, for the summary line ("" when none)."""
        f = self.filters
        parts: list[str] = []
        if f.overdue:
            parts.append("overdue only")
        if f.due_soon:
            parts.append("due soon")
        if f.stale:
            parts.append("not updated")
        if f.plan:
            parts.append(f"plan {f.plan}" + (f" {f.rec}" if f.rec else ""))
        if f.owner:
            parts.append(f"owner ~ {f.owner!r}")
        if f.owner_is is not None:
            parts.append(f"owner {f.owner_is!r}")
        if f.statuses:
            parts.append("status " + "/".join(status_label(s) for s in f.statuses))
        if f.rag:
            parts.append(f"RAG {f.rag}")
        if f.search:
            parts.append(f"search {f.search!r}")
        return one_line(", ".join(parts))


def status_label(status: str) -> str:
    """`not_started` as `not started`."""
    return status.replace("_", " ")


def middle_truncate(value: str, width: int) -> str:
    """At most `width` cells, cut in the middle with `…` so the start and the end show.

    A plan key ends with what tells plans of one authority apart (the year, the kind of
    inspection), so `staffordshire-2024-ilacs` becomes `staff…2024-ilacs`: a third of
    the room for the start, the rest for the end.
    """
    if width <= 0:
        return ""
    if cell_len(value) <= width:
        return value
    if width == 1:
        return "…"
    room = width - 1
    head_room = max(room // 3, 1)
    head, used = "", 0
    for char in value:
        size = get_character_cell_size(char)
        if used + size > head_room:
            break
        head += char
        used += size
    tail_room = room - used
    tail, used = "", 0
    for char in reversed(value[len(head) :]):
        size = get_character_cell_size(char)
        if used + size > tail_room:
            break
        tail = char + tail
        used += size
    return head + "…" + tail


def rag_text(rating: Rag | str | None, *, width: int = 0) -> Text:
    """The RAG word in its colour (blank for none)."""
    word = str(rating) if rating else ""
    return Text(word.ljust(width), style=RAG_STYLES.get(word, Style()))


def progress_text(progress: float | None) -> str:
    return "" if progress is None else f"{round(progress)}%"


def flag_text(row: ActionRow, settings: RuleSettings) -> Text:
    """`OVERDUE 45d`, `due soon`, `no update 45d` (stale) or nothing."""
    late = row.days_overdue(settings.today)
    if late:
        return Text(f"OVERDUE {late}d", style=OVERDUE_STYLE)
    if row.due_soon(settings):
        return Text("due soon", style=DUE_SOON_STYLE)
    if row.stale(settings):
        return Text(stale_label(row, settings), style=STALE_STYLE)
    return Text("")


def stale_label(row: ActionRow, settings: RuleSettings) -> str:
    """`no update 45d`: the days since the action's latest history entry."""
    return f"no update {row.days_since_update(settings.today)}d"


def summary_text(counts: ViewCounts, state: ViewState) -> Text:
    """The summary line: how many actions, overdue, due soon, blocked, complete."""
    text = Text()
    noun = "action" if counts.total == 1 else "actions"
    text.append(f"{counts.total:,} {noun}", style="bold")
    text.append(" · ")
    text.append(f"{counts.overdue:,} overdue", style=OVERDUE_STYLE if counts.overdue else "")
    text.append(f" · {counts.due_soon:,} due soon · {counts.blocked:,} blocked")
    text.append(f" · {counts.complete:,} complete")
    described = state.describe()
    text.append("  │ ", style="dim")
    if described:
        text.append(described, style="italic")
    else:
        text.append("all actions", style="dim")
    if state.sort != "ref" or state.descending:
        text.append(f" · by {sort_words(state.sort, state.descending)}", style="dim")
    return text
