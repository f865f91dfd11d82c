"""The actions table: a virtual, paged table that draws only the rows on screen.

A view of 100,000 actions is never held in memory or turned into widgets: the table
knows how many rows the view has, keeps a small cache of pages fetched from the store
on demand in a thread worker, and renders each visible line with the Line API.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events, work
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tracker.domain.records import ActionRow
from tracker.domain.rules import RuleSettings
from tracker.domain.text import one_line
from tracker.tui.view import (
    DUE_SOON_STYLE,
    OVERDUE_STYLE,
    RAG_STYLES,
    STALE_STYLE,
    middle_truncate,
    stale_label,
    status_label,
)

__all__ = ["PAGE_SIZE", "ActionTable", "Column", "PageLoader"]

PAGE_SIZE = 100
MAX_PAGES = 40

PageLoader = Callable[[int, int], list[ActionRow]]


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its key (also the sort key when sortable), header and width (0 = flex)."""

    key: str
    label: str
    width: int
    drop: int  # columns with a higher number are hidden first when the table is narrow
    sortable: bool = True


COLUMNS: tuple[Column, ...] = (
    Column("plan", "Plan", 12, 0, sortable=False),
    Column("ref", "Ref", 7, 0),
    Column("description", "Description", 0, 0),
    Column("owner", "Owner", 16, 30),
    Column("deadline", "Deadline", 10, 10),
    Column("status", "Status", 11, 40),
    Column("progress", "Done", 4, 50),
    Column("rag", "RAG", 5, 0),
    Column("flag", "Flag", 13, 20, sortable=False),  # "OVERDUE 1057d", "no update 45d" whole
)
MIN_DESCRIPTION = 20
# Status and Done repeat what the RAG and the detail panel say: they show only while the
# description keeps this much room.
MIN_DESCRIPTION_BESIDE_EXTRAS = 30
EXTRAS_FROM = 40  # columns hidden at this drop number and above are the extras
# A ref alone is ambiguous when the view spans several plans, so the Plan column is never
# dropped while it shows: narrow, it is a short label cut in the middle (`sta…24-ilacs`),
# which keeps what tells one authority's plans apart.
PLAN_FULL_WIDTH = 30  # with room to spare the Plan column shows long keys whole
OWNER_FULL_WIDTH = 36  # ... and owners in full
DESCRIPTION_BEFORE_GROWTH = 30  # the description keeps this much before others grow


def _fit(text: str, width: int) -> str:
    """Exactly `width` cells: padded, or cut with an ellipsis."""
    if cell_len(text) > width:
        return set_cell_size(text, max(width - 1, 0)) + "…" if width > 0 else ""
    return set_cell_size(text, width)


class ActionTable(ScrollView, can_focus=True):
    """Rows of one view, fetched page by page; the cursor row is the selected action."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # "k" opens the measures screen (product keys), so only the arrow moves up here.
        Binding("up", "cursor(-1)", "Up", show=False, id="cursor-up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="cursor-down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="page-up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="page-down"),
        Binding("home", "jump(0)", "First", show=False, id="first"),
        Binding("end", "jump(-1)", "Last", show=False, id="last"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "action-table--header",
        "action-table--cursor",
        "action-table--overdue",
        "action-table--loading",
    }

    DEFAULT_CSS = """
    ActionTable { background: $surface; overflow-x: hidden; }
    ActionTable > .action-table--header { text-style: bold; background: $panel; }
    ActionTable > .action-table--cursor { background: $block-cursor-blurred-background; }
    ActionTable:focus > .action-table--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground;
    }
    ActionTable > .action-table--overdue { color: #ff8f8f; }
    ActionTable > .action-table--loading { color: $text-muted; }
    """

    cursor = reactive(0, always_update=True, init=False)

    class Highlighted(Message):
        """The cursor is on a row (None when the view is empty)."""

        def __init__(self, row: ActionRow | None) -> None:
            super().__init__()
            self.row = row

    class SortRequested(Message):
        """The user clicked a column header."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    class PageLoaded(Message):
        """A page of rows arrived from the store (ignored if the view changed meanwhile)."""

        def __init__(self, generation: int, page: int, rows: list[ActionRow]) -> None:
            super().__init__()
            self.generation = generation
            self.page = page
            self.rows = rows

    def __init__(
        self, settings: RuleSettings, *, name: str | None = None, id: str | None = None
    ) -> None:
        super().__init__(name=name, id=id)
        self.settings = settings
        self.total = 0
        self.sort = "ref"
        self.descending = False
        self._pages: OrderedDict[int, list[ActionRow]] = OrderedDict()
        self._pending: set[int] = set()
        self._loader: PageLoader | None = None
        self._generation = 0
        self._announced: int | None = None
        self.show_plan = True  # the view spans more than one plan
        self.marked: set[int] = set()  # action ids marked (space) for a bulk edit

    # --- the view ------------------------------------------------------------------------

    def set_view(
        self,
        *,
        total: int,
        pages: dict[int, list[ActionRow]],
        loader: PageLoader,
        cursor: int,
        sort: str,
        descending: bool,
        keep_screen_row: bool = True,
    ) -> None:
        """Show a new (or reloaded) view: its size, the pages already fetched, the cursor."""
        screen_row = self.cursor - round(self.scroll_y)
        self._generation += 1
        self.total = total
        self.sort, self.descending = sort, descending
        self._pages = OrderedDict(sorted(pages.items()))
        self._pending = set()
        self._loader = loader
        self._announced = None
        if self.virtual_size.height != total + 1:
            self.virtual_size = Size(self.size.width, total + 1)
        cursor = max(0, min(cursor, total - 1)) if total else 0
        body = self._body_height
        if keep_screen_row and 0 <= screen_row < body:
            top = cursor - screen_row
        else:
            top = cursor - body // 3
        self.scroll_to(y=max(0, min(top, max(total - body, 0))), animate=False, immediate=True)
        self.cursor = cursor
        self.refresh()

    @property
    def row(self) -> ActionRow | None:
        """The action under the cursor, if its page is loaded."""
        return self.row_at(self.cursor)

    def row_at(self, index: int) -> ActionRow | None:
        if not 0 <= index < self.total:
            return None
        page = self._pages.get(index // PAGE_SIZE)
        if page is None:
            return None
        offset = index % PAGE_SIZE
        return page[offset] if offset < len(page) else None

    def loaded_rows(self) -> list[ActionRow]:
        """Every cached row, in view order (for tests and quick lookups)."""
        return [r for _, page in sorted(self._pages.items()) for r in page]

    # --- cursor and scrolling -------------------------------------------------------------

    @property
    def _body_height(self) -> int:
        return max(self.scrollable_content_region.height - 1, 1)

    def watch_cursor(self, cursor: int) -> None:
        body = self._body_height
        top = round(self.scroll_y)
        if cursor < top:
            self.scroll_to(y=cursor, animate=False, immediate=True)
        elif cursor >= top + body:
            self.scroll_to(y=cursor - body + 1, animate=False, immediate=True)
        self.refresh()
        self._announce()

    def _announce(self) -> None:
        """Tell the screen which action is selected, once its row is loaded."""
        row = self.row
        if self.total == 0:
            if self._announced != -1:
                self._announced = -1
                self.post_message(self.Highlighted(None))
            return
        if row is None:
            self._ensure_page(self.cursor // PAGE_SIZE)
            return
        if self._announced != row.id:
            self._announced = row.id
            self.post_message(self.Highlighted(row))

    def action_cursor(self, delta: int) -> None:
        if self.total:
            self.cursor = max(0, min(self.cursor + delta, self.total - 1))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * self._body_height)

    def action_jump(self, where: int) -> None:
        if self.total:
            self.cursor = self.total - 1 if where < 0 else 0

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            key = self._column_at(offset.x)
            if key:
                self.post_message(self.SortRequested(key))
            return
        index = round(self.scroll_y) + offset.y - 1
        if 0 <= index < self.total:
            self.cursor = index

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, self.total + 1)
        self.refresh()

    # --- pages ------------------------------------------------------------------------------

    def _ensure_page(self, number: int) -> None:
        if number in self._pages or number in self._pending or self._loader is None:
            return
        if number * PAGE_SIZE >= self.total:
            return
        self._pending.add(number)
        self._fetch(self._generation, number, self._loader)

    @work(thread=True, group="table-pages", exit_on_error=False)
    def _fetch(self, generation: int, number: int, loader: PageLoader) -> None:
        rows = loader(number * PAGE_SIZE, PAGE_SIZE)
        self.post_message(self.PageLoaded(generation, number, rows))

    def on_action_table_page_loaded(self, message: ActionTable.PageLoaded) -> None:
        message.stop()
        if message.generation != self._generation:
            return
        self._pending.discard(message.page)
        self._pages[message.page] = message.rows
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)
        self.refresh()
        self._announce()

    # --- drawing ------------------------------------------------------------------------------

    def _layout(self, width: int) -> list[tuple[Column, int]]:
        """The columns that fit in `width`, with their widths (description takes the rest).

        The Plan column shows only while the view spans more than one plan, and then at
        every width. Room left over once the description has DESCRIPTION_BEFORE_GROWTH
        cells goes to the owner and the plan key (up to their full widths), then back to
        the description: wide terminals show owners and plan keys whole.
        """
        columns = [c for c in COLUMNS if c.key != "plan" or self.show_plan]
        while True:
            fixed = sum(c.width for c in columns) + len(columns) - 1 + 1
            spare = width - fixed
            extras = any(c.drop >= EXTRAS_FROM for c in columns)
            needed = MIN_DESCRIPTION_BESIDE_EXTRAS if extras else MIN_DESCRIPTION
            if extras and any(c.key == "owner" for c in columns):
                needed += OWNER_FULL_WIDTH - 16  # owners whole come before Status and Done
            if spare >= needed or max(c.drop for c in columns) == 0:
                break
            columns.remove(max(columns, key=lambda c: c.drop))
        grown = {c.key: c.width for c in columns}
        room = max(spare - DESCRIPTION_BEFORE_GROWTH, 0)
        for key, full in (("owner", OWNER_FULL_WIDTH), ("plan", PLAN_FULL_WIDTH)):
            if key in grown and room > 0:
                extra = min(full - grown[key], room)
                grown[key] += extra
                spare -= extra
                room -= extra
        return [(c, grown[c.key] if c.width else max(spare, 8)) for c in columns]

    def _column_at(self, x: int) -> str | None:
        left = 1
        for column, width in self._layout(self.scrollable_content_region.width):
            if left <= x < left + width + 1:
                return column.key if column.sortable else None
            left += width + 1
        return None

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            return self._header(width, base)
        index = round(self.scroll_y) + y - 1
        if index >= self.total:
            return Strip.blank(width, base)
        row = self.row_at(index)
        if row is None:
            self._ensure_page(index // PAGE_SIZE)
            style = base + self.get_component_rich_style("action-table--loading")
            return Strip([Segment(_fit(" …", width), style)], width)
        return self._row_strip(row, index, width, base)

    def _header(self, width: int, base: Style) -> Strip:
        style = base + self.get_component_rich_style("action-table--header")
        segments = [Segment(" ", style)]
        for column, col_width in self._layout(width):
            label = column.label
            if column.key == self.sort:
                label += " ▼" if self.descending else " ▲"
            segments.append(Segment(_fit(label, col_width) + " ", style))
        return Strip(segments).adjust_cell_length(width, style)

    def _row_strip(self, row: ActionRow, index: int, width: int, base: Style) -> Strip:
        settings = self.settings
        late = row.days_overdue(settings.today)
        style = base
        if late:
            style = style + self.get_component_rich_style("action-table--overdue")
        if index == self.cursor:
            style = style + self.get_component_rich_style("action-table--cursor")
        # A marked row (space) shows a text mark, not colour alone.
        segments = [Segment("*" if row.id in self.marked else " ", style)]
        for column, col_width in self._layout(width):
            cell_style = style
            key = column.key
            if key == "plan":
                value = middle_truncate(one_line(row.plan_key), col_width)
            elif key == "ref":
                value = one_line(row.ref)
            elif key == "description":
                value = one_line(row.description)
            elif key == "owner":
                value = one_line(row.owner)
            elif key == "deadline":
                value = row.deadline.isoformat()
            elif key == "status":
                value = status_label(row.status)
            elif key == "progress":
                value = f"{row.progress}%".rjust(4)
            elif key == "rag":
                rating = row.rag(settings)
                value = str(rating) if rating else ""
                if rating:
                    cell_style = style + RAG_STYLES[rating]
            else:
                if late:
                    value = f"OVERDUE {late}d"
                    cell_style = style + OVERDUE_STYLE + Style(reverse=index != self.cursor)
                elif row.due_soon(settings):
                    value = "due soon"
                    cell_style = style + DUE_SOON_STYLE
                elif row.stale(settings):
                    value = stale_label(row, settings)
                    if len(value) > col_width:  # 100 days and more: the detail says it whole
                        value = f"no upd {row.days_since_update(settings.today)}d"
                    cell_style = style + STALE_STYLE
                else:
                    value = ""
            segments.append(Segment(_fit(value, col_width), cell_style))
            segments.append(Segment(" ", style))
        return Strip(segments).adjust_cell_length(width, style)
