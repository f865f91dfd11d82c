"""The main screen: where are we? The plan tree, the actions table, the detail panel.

All store work runs in thread workers that post messages; only the message handlers
touch widgets. The store is polled every second so another terminal's change appears
without a key press, and reloads keep the selected action selected.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Tree
from textual.worker import Worker, WorkerState

from tracker.domain.errors import StaleWriteError, ValidationError
from tracker.domain.records import (
    ActionChanges,
    ActionRow,
    Filters,
    HistoryEntry,
    TreeNode,
    ViewCounts,
)
from tracker.domain.rules import STATUSES, Rag, RuleSettings
from tracker.domain.text import one_line
from tracker.tui.data import StoreAccess
from tracker.tui.failures import ReportsFailures
from tracker.tui.view import SORTS, ViewState, status_label
from tracker.tui.widgets.action_table import PAGE_SIZE, ActionTable, PageLoader
from tracker.tui.widgets.bars import SummaryLine, TopBar
from tracker.tui.widgets.detail import DetailPanel
from tracker.tui.widgets.plan_tree import Place, PlanTree
from tracker.tui.widgets.welcome import Welcome

if TYPE_CHECKING:
    # The forms load on first use: the first screen draws without them.
    from tracker.tui.screens.edit import EditResult

__all__ = ["MainScreen"]

READ_ONLY_MESSAGE = "This store is open read-only: nothing can be changed."


@dataclass(frozen=True, slots=True)
class Session:
    """What the main screen works with: the store, the rules' settings and the user."""

    store: StoreAccess
    settings: RuleSettings
    user: str
    read_only: bool = False
    demo: bool = False
    poll_interval: float = 1.0
    location: str | None = None  # how the top bar names the store (default: its path)


class ViewLoaded(Message):
    """A view's counts and the page holding the cursor, fresh from the store."""

    def __init__(
        self,
        generation: int,
        state: ViewState,
        counts: ViewCounts,
        pages: dict[int, list[ActionRow]],
        cursor: int,
        keep_screen_row: bool,
    ) -> None:
        super().__init__()
        self.generation = generation
        self.state = state
        self.counts = counts
        self.pages = pages
        self.cursor = cursor
        self.keep_screen_row = keep_screen_row


class TreeLoaded(Message):
    """The plans and recommendations with their roll-ups, and the owners for filters."""

    def __init__(self, nodes: list[TreeNode], owners: list[str], stamp: object) -> None:
        super().__init__()
        self.nodes = nodes
        self.owners = owners
        self.stamp = stamp


class DetailLoaded(Message):
    """The selected action as stored now, with its history."""

    def __init__(self, row: ActionRow, history: list[HistoryEntry]) -> None:
        super().__init__()
        self.row = row
        self.history = history


class StampChecked(Message):
    """The store's change fingerprint, read by the poller."""

    def __init__(self, stamp: object) -> None:
        super().__init__()
        self.stamp = stamp


class Saved(Message):
    """An edit was written (or changed nothing)."""

    def __init__(self, row: ActionRow, changes: int) -> None:
        super().__init__()
        self.row = row
        self.changes = changes


class SaveRefused(Message):
    """Someone else changed the action first; nothing was written."""

    def __init__(
        self, message: str, seen: ActionRow, newer: ActionRow, changes: ActionChanges
    ) -> None:
        super().__init__()
        self.message = message
        self.seen = seen
        self.newer = newer
        self.changes = changes


class SaveInvalid(Message):
    """The store refused a value; `field` names the form field when it knows which."""

    def __init__(
        self, message: str, field: str | None, seen: ActionRow, changes: ActionChanges
    ) -> None:
        super().__init__()
        self.message = message
        self.field = field
        self.seen = seen
        self.changes = changes


class Exported(Message):
    """The current view was written to a CSV snapshot."""

    def __init__(self, path: Path, rows: int) -> None:
        super().__init__()
        self.path = path
        self.rows = rows


class MainScreen(ReportsFailures, Screen[None]):
    """The plan at a glance, with the keys of the product promise."""

    # The plan tree hides below 110 columns and widens from 150; the detail panel
    # shrinks below 34 lines.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide"), (150, "-very-wide")]  # noqa: RUF012
    VERTICAL_BREAKPOINTS = [(0, "-short"), (34, "-tall")]  # noqa: RUF012

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "toggle_overdue", "Overdue", id="overdue"),
        # A priority key: the app runs it before it hands on the keys typed after it, so
        # letters typed straight after "/" (or pasted with it) land in the search box.
        Binding("slash", "search", "Search", priority=True, id="search"),
        Binding("e,enter", "edit", "Edit", id="edit"),
        Binding("h", "history", "History", id="history"),
        Binding("x", "export", "Export", id="export"),
        Binding("escape", "clear_filters", "Clear filter", id="clear"),
        Binding("s", "next_sort", "Sort", id="sort"),
        Binding("S", "reverse_sort", "Reverse", show=False, id="reverse"),
        Binding("t", "toggle_tree", "Tree", show=False, id="tree"),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.store = session.store
        self.settings = session.settings
        self.state = ViewState()
        self.counts = ViewCounts()
        self.owners: list[str] = []
        self.selected: ActionRow | None = None
        self._generation = 0
        self._stamp: object = None
        self._has_plans: bool | None = None
        self._plan_count: int | None = None
        self._poller: Timer | None = None
        self._had_row = False
        # The save on its way: until its answer is in, `selected` is the action as it was.
        self._saving: Worker[None] | None = None

    # --- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TopBar(id="topbar")
        with Horizontal(id="body"):
            yield PlanTree(id="tree")
            with Vertical(id="main"):
                yield Input(
                    placeholder="search ref, description or owner; enter to keep, escape to clear",
                    id="search",
                )
                yield ActionTable(self.settings, id="table")
                yield DetailPanel(id="detail")
                yield Welcome(id="welcome")
        yield SummaryLine(id="summary")
        yield Footer()

    def on_mount(self) -> None:
        session = self.session
        self.query_one(TopBar).show(
            location=session.location or self.store.location,
            today=self.settings.today.isoformat(),
            read_only=session.read_only,
            demo=session.demo,
        )
        self.query_one("#search", Input).display = False
        self.query_one(Welcome).display = False
        self.query_one(ActionTable).focus()
        self.reload(select_first=True)
        if session.poll_interval > 0:
            self._poller = self.set_interval(session.poll_interval, self._check_stamp)

    @property
    def table(self) -> ActionTable:
        return self.query_one(ActionTable)

    # --- loading --------------------------------------------------------------------------

    def reload(self, *, select_first: bool = False) -> None:
        """Fetch the view, the tree and the selected action again, keeping the selection.

        On the first load the tree waits for the table, so the actions appear first.
        """
        if self._has_plans is not None:
            self._load_tree()
        self.load_view(keep=not select_first)

    def load_view(self, *, keep: bool = True) -> None:
        """Fetch the current view; with `keep`, the selected action stays selected."""
        self._generation += 1
        selected = self.selected.id if (keep and self.selected) else None
        fallback = self.table.cursor if keep else 0
        self._load_view(self._generation, self.state, selected, fallback, keep)

    @work(thread=True, exclusive=True, group="view", exit_on_error=False)
    def _load_view(
        self, generation: int, state: ViewState, selected: int | None, fallback: int, keep: bool
    ) -> None:
        store, settings = self.store, self.settings
        # Counting a large view and finding its first page take about as long as each
        # other, so they run side by side.
        with ThreadPoolExecutor(max_workers=1) as pool:
            counting = pool.submit(store.view_counts, filters=state.filters, settings=settings)
            cursor = fallback
            if selected is not None:
                found = store.action_position(
                    selected,
                    filters=state.filters,
                    settings=settings,
                    sort=state.sort,
                    descending=state.descending,
                )
                if found is not None:
                    cursor = found
            page = cursor // PAGE_SIZE
            rows = self._page(state, page)
            counts = counting.result()
        if counts.total and cursor >= counts.total:
            cursor = counts.total - 1
            if cursor // PAGE_SIZE != page:
                page = cursor // PAGE_SIZE
                rows = self._page(state, page)
        cursor = max(cursor, 0)
        self.post_message(ViewLoaded(generation, state, counts, {page: rows}, cursor, keep))

    def _page(self, state: ViewState, page: int) -> list[ActionRow]:
        return self._loader(state)(page * PAGE_SIZE, PAGE_SIZE)

    @work(thread=True, exclusive=True, group="tree", exit_on_error=False)
    def _load_tree(self) -> None:
        stamp = self.store.data_stamp()
        nodes = self.store.tree(settings=self.settings)
        owners = self.store.owners()
        self.post_message(TreeLoaded(nodes, owners, stamp))

    @work(thread=True, exclusive=True, group="detail", exit_on_error=False)
    def _load_detail(self, action_id: int) -> None:
        row = self.store.get_action(action_id, settings=self.settings)
        self.post_message(DetailLoaded(row, self.store.history(action_id)))

    def _check_stamp(self) -> None:
        self._read_stamp()

    @work(thread=True, exclusive=True, group="poll", exit_on_error=False)
    def _read_stamp(self) -> None:
        self.post_message(StampChecked(self.store.data_stamp()))

    def _loader(self, state: ViewState) -> PageLoader:
        store, settings = self.store, self.settings

        def load(offset: int, limit: int) -> list[ActionRow]:
            return store.page_actions(
                filters=state.filters,
                settings=settings,
                offset=offset,
                limit=limit,
                sort=state.sort,
                descending=state.descending,
            )

        return load

    # --- message handlers -----------------------------------------------------------------

    def on_view_loaded(self, message: ViewLoaded) -> None:
        if message.generation != self._generation:
            return
        self.counts = message.counts
        table = self.table
        state = message.state
        table.show_plan = self._spans_plans(state)
        table.set_view(
            total=message.counts.total,
            pages=message.pages,
            loader=self._loader(state),
            cursor=message.cursor,
            sort=state.sort,
            descending=state.descending,
            keep_screen_row=message.keep_screen_row,
        )
        self.query_one(SummaryLine).show(message.counts, state)
        if self._has_plans is None and self._stamp is None:
            self._stamp = False  # the tree is on its way
            self._load_tree()
        self._show_welcome()

    def on_tree_loaded(self, message: TreeLoaded) -> None:
        self._stamp = message.stamp
        self.owners = message.owners
        self._has_plans = bool(message.nodes)
        self._plan_count = len(message.nodes)
        table = self.table
        spans = self._spans_plans(self.state)
        if table.show_plan != spans:
            table.show_plan = spans
            table.refresh()
        self.query_one(PlanTree).show_plans(message.nodes)
        self._show_welcome()

    def _spans_plans(self, state: ViewState) -> bool:
        """Whether the view may hold actions of more than one plan (then rows name theirs)."""
        return state.filters.plan is None and self._plan_count != 1

    def _show_welcome(self) -> None:
        empty = self._has_plans is False
        welcome = self.query_one(Welcome)
        if welcome.display == empty:
            return
        welcome.display = empty
        self.query_one(ActionTable).display = not empty
        self.query_one(DetailPanel).display = not empty
        if empty:
            self.query_one(Welcome).show(self.session.location or self.store.location)

    def on_stamp_checked(self, message: StampChecked) -> None:
        if self._stamp not in (None, False) and message.stamp != self._stamp:
            self._stamp = message.stamp
            self.reload()

    @on(ActionTable.Highlighted)
    def _highlighted(self, message: ActionTable.Highlighted) -> None:
        self.selected = message.row
        detail = self.query_one(DetailPanel)
        if message.row is None:
            detail.show(None, self.settings, [])
        else:
            detail.show(message.row, self.settings, None)
            self._load_detail(message.row.id)
        has_row = message.row is not None
        if has_row != self._had_row:  # the footer redraws only when edit/history change
            self._had_row = has_row
            self.refresh_bindings()

    def on_detail_loaded(self, message: DetailLoaded) -> None:
        if self.selected is None or message.row.id != self.selected.id:
            return
        self.selected = message.row
        self.query_one(DetailPanel).show(message.row, self.settings, message.history)

    @on(ActionTable.SortRequested)
    def _sort_requested(self, message: ActionTable.SortRequested) -> None:
        if message.key == self.state.sort:
            self.set_state(ViewState(self.state.filters, message.key, not self.state.descending))
        else:
            self.set_state(ViewState(self.state.filters, message.key, False))

    @on(Tree.NodeSelected, "#tree")
    def _place_selected(self, message: Tree.NodeSelected[Place]) -> None:
        place = message.node.data
        if place is None:
            return
        self.set_state(self.state.with_filters(plan=place.plan, rec=place.rec), keep=False)

    @on(Input.Changed, "#search")
    def _search_changed(self, message: Input.Changed) -> None:
        term = one_line(message.value) or None
        if term != self.state.filters.search:
            self.set_state(self.state.with_filters(search=term), keep=False)

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        self.table.focus()

    # --- state --------------------------------------------------------------------------

    def set_state(self, state: ViewState, *, keep: bool = True) -> None:
        """Show another view (filters or order) and fetch it."""
        if state == self.state:
            return
        self.state = state
        self.load_view(keep=keep)

    def set_filters(self, filters: Filters) -> None:
        self.set_state(ViewState(filters, self.state.sort, self.state.descending), keep=False)

    # --- actions ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Only edit and history depend on the view; other keys stay put, because each
        # change of the footer redraws it.
        if action in ("edit", "history") and self.selected is None:
            return None
        # In the search box "/" is a character, typed like any other.
        return not (action == "search" and isinstance(self.focused, Input))

    def action_toggle_overdue(self) -> None:
        self.set_state(self.state.with_filters(overdue=not self.state.filters.overdue))

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.display = True
        self.set_focus(search)  # now, not on the next idle: the next keys are already queued

    def action_clear_filters(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus or search.display:
            search.value = ""
            search.display = False
            self.table.focus()
        if self.state.is_filtered:
            tree = self.query_one(PlanTree)
            tree.move_cursor(tree.root)
            self.set_filters(Filters())
            self.notify("Showing all actions.", timeout=2)

    def action_next_sort(self) -> None:
        position = SORTS.index(self.state.sort) if self.state.sort in SORTS else 0
        self.set_state(ViewState(self.state.filters, SORTS[(position + 1) % len(SORTS)], False))

    def action_reverse_sort(self) -> None:
        self.set_state(ViewState(self.state.filters, self.state.sort, not self.state.descending))

    def action_sort_by(self, key: str) -> None:
        self.set_state(ViewState(self.state.filters, key, False))

    def action_toggle_tree(self) -> None:
        self.toggle_class("-tree-toggled")

    def action_edit(self) -> None:
        if self.app.screen is not self:
            return  # a key queued behind the one that opened a form (e then enter, pasted)
        row = self.selected
        if row is None:
            self.notify("No action is selected.", timeout=3)
            return
        if self.session.read_only:
            self.notify(
                self._read_only_message(), title="Read-only", severity="warning", markup=False
            )
            return
        saving = self._saving
        if saving is not None and saving.state not in (WorkerState.ERROR, WorkerState.CANCELLED):
            # A form on the action as it was before the save would be refused as stale.
            self.notify("Still saving the last change: edit again in a moment.", timeout=3)
            return
        from tracker.tui.screens.edit import EditScreen

        self.app.push_screen(EditScreen(row, self.settings), callback=self._edited)

    def _read_only_message(self) -> str:
        if self.store.read_only and self.store.read_only_reason:
            return f"Nothing can be changed: {self.store.read_only_reason}."
        if not self.store.read_only and not self.store.can_write():
            return "Nothing can be changed: you may not write to this store."
        return READ_ONLY_MESSAGE

    def _edited(self, result: EditResult | None) -> None:
        if result is None:
            return
        if result.changes.is_empty():
            self.notify("Nothing to save: no field was changed.", timeout=3)
            return
        self._saving = self._save(result.row, result.changes)

    @work(thread=True, exclusive=True, group="save", exit_on_error=False)
    def _save(self, seen: ActionRow, changes: ActionChanges) -> None:
        try:
            # The address, not the id: a refusal names the action as users know it.
            result = self.store.update_action(
                seen.address,
                changes,
                user=self.session.user,
                expected_version=seen.version,
                settings=self.settings,
            )
        except StaleWriteError as exc:
            newer = self.store.get_action(seen.id, settings=self.settings)
            self.post_message(SaveRefused(str(exc), seen, newer, changes))
            return
        except ValidationError as exc:
            self.post_message(SaveInvalid(str(exc), exc.field, seen, changes))
            return
        self.post_message(Saved(result.row, len(result.entries)))

    def on_saved(self, message: Saved) -> None:
        self._saving = None
        address = one_line(message.row.address)
        if message.changes:
            noun = "change" if message.changes == 1 else "changes"
            self.notify(
                f"Saved {address}: {message.changes} {noun} recorded in its history.",
                title="Saved",
                markup=False,
            )
        else:
            self.notify(f"{address}: no change (the values were already stored).", markup=False)
        self.selected = message.row
        self.reload()

    def on_save_refused(self, message: SaveRefused) -> None:
        self._saving = None
        from tracker.tui.screens.edit import EditScreen

        self.notify(one_line(message.message), title="Not saved", severity="warning", markup=False)
        self.app.push_screen(
            EditScreen(message.newer, self.settings, pending=message.changes, seen=message.seen),
            callback=self._edited,
        )
        self.reload()

    def on_save_invalid(self, message: SaveInvalid) -> None:
        self._saving = None
        from tracker.tui.screens.edit import EditScreen

        self.notify(one_line(message.message), title="Not saved", severity="warning", markup=False)
        self.app.push_screen(
            EditScreen(
                message.seen,
                self.settings,
                pending=message.changes,
                refused=(message.field, message.message),
            ),
            callback=self._edited,
        )

    def action_history(self) -> None:
        if self.app.screen is not self:
            return  # queued behind a key that opened another screen
        if self.selected is None:
            self.notify("No action is selected.", timeout=3)
            return
        from tracker.tui.screens.history import HistoryScreen

        self.app.push_screen(HistoryScreen(self.store, self.selected))

    def action_export(self) -> None:
        if self.app.screen is not self:
            return  # queued behind a key that opened another screen
        from tracker.tui.screens.export import ExportScreen

        default = Path(f"tracker-snapshot-{self.settings.today.isoformat()}.csv")
        self.app.push_screen(
            ExportScreen(default, self.counts.total, self.state.describe()),
            callback=self._export_to,
        )

    def _export_to(self, path: Path | None) -> None:
        if path is not None:
            self._export(path, self.state)

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def _export(self, path: Path, state: ViewState) -> None:
        from tracker.formats.outfile import open_output
        from tracker.formats.snapshot import write_snapshot

        rows = self.store.iter_actions(filters=state.filters, settings=self.settings)
        with open_output(path) as out:  # whole or not at all
            count = write_snapshot(rows, self.settings, out)
        self.post_message(Exported(path, count))

    def on_exported(self, message: Exported) -> None:
        noun = "action" if message.rows == 1 else "actions"
        self.notify(
            f"Wrote {message.rows:,} {noun} to {message.path}",
            title="Exported",
            markup=False,
            timeout=8,
        )

    # --- the command palette --------------------------------------------------------------

    def commands(self) -> Iterable[SystemCommand]:
        """The palette's commands for this screen; each reads "noun: Verb"."""
        f = self.state.filters
        yield SystemCommand(
            "filter: Overdue only" if not f.overdue else "filter: Overdue off",
            "Show all actions again (key o)"
            if f.overdue
            else "Show only open actions past their deadline (key o)",
            self.action_toggle_overdue,
        )
        yield SystemCommand(
            "filter: Due soon",
            "Open actions due within the due-soon window",
            lambda: self.set_state(self.state.with_filters(due_soon=not f.due_soon)),
        )
        yield SystemCommand("filter: Clear all", "Show every action (key escape)", self._clear)
        yield SystemCommand(
            "filter: Search", "Search by ref, description, owner (key /)", self.action_search
        )
        for status in STATUSES:
            yield SystemCommand(
                f"filter: Status {status_label(status)}",
                f"Only actions whose status is {status_label(status)}",
                lambda s=status: self.set_state(self.state.with_filters(statuses=(s,))),
            )
        for rating in Rag:
            yield SystemCommand(
                f"filter: RAG {rating}",
                f"Only actions rated {rating}",
                lambda r=str(rating): self.set_state(self.state.with_filters(rag=r)),
            )
        for owner in self.owners:
            yield SystemCommand(
                # The palette reads titles as markup: an owner's name is data, so escape it.
                f"filter: Owner {escape(one_line(owner))}",
                "Only this owner's actions",
                lambda o=owner: self.set_state(self.state.with_filters(owner=o)),
                discover=False,
            )
        yield SystemCommand(
            "export: CSV snapshot", "The current view as CSV (key x)", self.action_export
        )
        if self.selected is not None:
            yield SystemCommand(
                "action: Edit", "Edit the selected action (key e)", self.action_edit
            )
            yield SystemCommand(
                "action: History",
                "Every change of the selected action (key h)",
                self.action_history,
            )
        for key in SORTS:
            name = "RAG" if key == "rag" else key
            yield SystemCommand(
                f"sort: By {name}",
                f"Order the table by {name}",
                lambda k=key: self.action_sort_by(k),
            )
        yield SystemCommand(
            "sort: Reverse order", "Reverse the table's order (key S)", self.action_reverse_sort
        )
        yield SystemCommand(
            "view: Toggle plan tree", "Show or hide the plan tree (key t)", self.action_toggle_tree
        )

    def _clear(self) -> None:
        self.set_filters(Filters())
