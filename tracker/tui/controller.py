"""The main screen's store work: what it shows, and the thread workers that fetch and save.

`MainController` holds what the main screen is showing (the view's filters and order,
its counts, the selected action, the owners for the palette) and runs every store call
in a thread worker on the screen, each in its own exclusive group so a newer request
cancels an older one. Workers only post messages (tracker.tui.messages); the screen's
handlers draw them and tell the controller what arrived. Nothing here touches a widget,
so nothing here waits on the event loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from textual.dom import DOMNode
from textual.worker import Worker, WorkerState

from tracker.domain.errors import StaleWriteError, TrackerError, ValidationError
from tracker.domain.records import ActionChanges, ActionRow, Filters, TreeNode, ViewCounts
from tracker.tui.data import StoreAccess
from tracker.tui.messages import (
    ChangeRefused,
    DetailLoaded,
    Exported,
    PlanChanged,
    RefSuggested,
    Saved,
    SaveInvalid,
    SaveRefused,
    StampChecked,
    TreeLoaded,
    UndoPreviewed,
    ViewLoaded,
    WriteChecked,
)
from tracker.tui.session import Session
from tracker.tui.view import ViewState
from tracker.tui.widgets.action_table import PAGE_SIZE, PageLoader

if TYPE_CHECKING:
    from tracker.domain.measures import MeasureRow

__all__ = ["READ_ONLY_MESSAGE", "MainController", "write_refusal"]

READ_ONLY_MESSAGE = "This store is open read-only: nothing can be changed."
NOT_YET_CHECKED = "Still checking whether this store can be changed: try again in a moment."


def write_refusal(store: StoreAccess, read_only: bool) -> str | None:
    """Why this user may change nothing in the store, or None when they may.

    It may ask the store (a round trip on PostgreSQL): call it from a worker.
    """
    if store.read_only:
        reason = store.read_only_reason
        return f"Nothing can be changed: {reason}." if reason else READ_ONLY_MESSAGE
    if not store.can_write():
        return "Nothing can be changed: you may not write to this store."
    return READ_ONLY_MESSAGE if read_only else None


class MainController:
    """What the main screen shows, and the workers that fetch it and save changes."""

    def __init__(self, session: Session, host: DOMNode, cursor: Callable[[], int]) -> None:
        self.session = session
        self.cursor = cursor  # the table's cursor row: kept when the selection is gone
        self.store = session.store
        self.settings = session.settings
        self.host = host  # the screen: workers run on it and post their messages to it
        self.state = ViewState()
        self.counts = ViewCounts()
        self.owners: list[str] = []
        self.selected: ActionRow | None = None
        # Why nothing can be changed (None when it can); settled by the write check.
        self.refusal: str | None = READ_ONLY_MESSAGE if session.read_only else None
        self.write_checked = session.read_only
        self.has_plans: bool | None = None  # None until the tree first arrives
        self.plan_count: int | None = None
        self.nodes: list[TreeNode] = []  # the plans and their recommendations, as last read
        self.marked: dict[int, ActionRow] = {}  # rows marked (space) for a bulk edit
        self._generation = 0
        self._stamp: object = None  # None before the first tree, False while it is on its way
        self._measure_stamp: object = None  # the measures' fingerprint, read with the tree
        # The save on its way: until its answer is in, `selected` is the action as it was.
        self._saving: Worker[object] | None = None

    def _run(self, work: Callable[[], object], group: str) -> Worker[object]:
        return self.host.run_worker(
            work, name=group, group=group, thread=True, exclusive=True, exit_on_error=False
        )

    # --- what is shown --------------------------------------------------------------------

    def set_state(self, state: ViewState, *, keep: bool = True) -> bool:
        """Show another view (filters or order) and fetch it; False if it is the same."""
        if state == self.state:
            return False
        self.state = state
        self.load_view(keep=keep)
        return True

    def set_filters(self, filters: Filters) -> bool:
        return self.set_state(
            ViewState(filters, self.state.sort, self.state.descending), keep=False
        )

    def filter(self, **changes: object) -> bool:
        """The view with some filters changed (the others kept), keeping the selection."""
        return self.set_state(self.state.with_filters(**changes))

    def spans_plans(self, state: ViewState) -> bool:
        """Whether the view may hold actions of more than one plan (then rows name theirs)."""
        return state.filters.plan is None and self.plan_count != 1

    def loader(self, state: ViewState) -> PageLoader:
        """Pages of the view `state`, for the table to fetch as it scrolls."""
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

    # --- loading --------------------------------------------------------------------------

    def reload(self, *, select_first: bool = False) -> None:
        """Fetch the view, the tree and the selected action again, keeping the selection.

        On the first load the tree waits for the table, so the actions appear first.
        """
        if self.has_plans is not None:
            self.load_tree()
        self.load_view(keep=not select_first)

    def load_view(self, *, keep: bool = True) -> None:
        """Fetch the current view; with `keep`, the selected action stays selected."""
        self._generation += 1
        generation, state = self._generation, self.state
        selected = self.selected.id if (keep and self.selected) else None
        fallback = self.cursor() if keep else 0
        self._run(lambda: self._read_view(generation, state, selected, fallback, keep), "view")

    def _read_view(
        self, generation: int, state: ViewState, selected: int | None, fallback: int, keep: bool
    ) -> None:
        store, settings = self.store, self.settings
        load = self.loader(state)
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
            rows = load(page * PAGE_SIZE, PAGE_SIZE)
            counts = counting.result()
        if counts.total and cursor >= counts.total:
            cursor = counts.total - 1
            if cursor // PAGE_SIZE != page:
                page = cursor // PAGE_SIZE
                rows = load(page * PAGE_SIZE, PAGE_SIZE)
        cursor = max(cursor, 0)
        self.host.post_message(ViewLoaded(generation, state, counts, {page: rows}, cursor, keep))

    def view_arrived(self, message: ViewLoaded) -> bool:
        """Take a loaded view; False if a newer request has made it stale."""
        if message.generation != self._generation:
            return False
        self.counts = message.counts
        if self.has_plans is None and self._stamp is None:
            self._stamp = False  # the tree is on its way
            self.load_tree()
        return True

    def load_tree(self) -> None:
        store, settings = self.store, self.settings

        def read() -> None:
            stamp = store.data_stamp()
            measures = store.measure_stamp()
            nodes = store.tree(settings=settings)
            self.host.post_message(TreeLoaded(nodes, store.owners(), stamp, measures))

        self._run(read, "tree")

    def tree_arrived(self, message: TreeLoaded) -> None:
        self._stamp = message.stamp
        self._measure_stamp = message.measures
        self.owners = message.owners
        self.has_plans = bool(message.nodes)
        self.nodes = message.nodes
        self.plan_count = len(message.nodes)

    def load_detail(self, action_id: int) -> None:
        store, settings = self.store, self.settings

        def read() -> None:
            row = store.get_action(action_id, settings=settings)
            history = store.history(action_id)
            try:
                measures = store.measures(plan=row.plan_key, rec=row.rec_ref)
            except TrackerError:  # a read-only store from before measures: none to show
                measures = []
            self.host.post_message(DetailLoaded(row, history, measures))

        self._run(read, "detail")

    def poll(self) -> None:
        """Read the store's change fingerprints (two small queries of counts); a change
        reloads (see `stamp_changed` and `measures_changed`)."""
        store = self.store

        def read() -> None:
            self.host.post_message(StampChecked(store.data_stamp(), store.measure_stamp()))

        self._run(read, "poll")

    def stamp_changed(self, message: StampChecked) -> bool:
        """Whether the plans changed since the last load (then reload)."""
        if self._stamp not in (None, False) and message.stamp != self._stamp:
            self._stamp = message.stamp
            return True
        return False

    def measures_changed(self, message: StampChecked) -> bool:
        """Whether a measure or reading changed since the last look (then the selected
        action's recommendation's measures are read again; the actions need not be)."""
        if self._stamp in (None, False) or message.measures == self._measure_stamp:
            return False
        self._measure_stamp = message.measures
        return True

    def check_write(self) -> None:
        """Ask, off the event loop, whether this user may change the store."""
        store, read_only = self.store, self.session.read_only
        self._run(
            lambda: self.host.post_message(WriteChecked(write_refusal(store, read_only))), "write"
        )

    def write_arrived(self, message: WriteChecked) -> None:
        self.refusal = message.refusal
        self.write_checked = True

    # --- changes --------------------------------------------------------------------------

    def busy(self) -> str | None:
        """Why a form cannot open just now (try again in a moment), or None."""
        if not self.write_checked:
            return NOT_YET_CHECKED
        saving = self._saving
        if saving is not None and saving.state not in (WorkerState.ERROR, WorkerState.CANCELLED):
            # A form on the action as it was before the save would be refused as stale.
            return "Still saving the last change: edit again in a moment."
        return None

    def save(self, seen: ActionRow, changes: ActionChanges) -> None:
        """Write `changes` to the action as it was read (`seen`); the answer is a message."""
        store, settings, user = self.store, self.settings, self.session.user

        def write() -> None:
            try:
                # The address, not the id: a refusal names the action as users know it.
                result = store.update_action(
                    seen.address,
                    changes,
                    user=user,
                    expected_version=seen.version,
                    settings=settings,
                )
            except StaleWriteError as exc:
                newer = store.get_action(seen.id, settings=settings)
                since = seen.updated_at.replace(tzinfo=None)
                notes = tuple(
                    dict.fromkeys(
                        e.note
                        for e in store.history(seen.id)
                        if e.note and e.at.replace(tzinfo=None) > since
                    )
                )
                self.host.post_message(SaveRefused(str(exc), seen, newer, changes, notes))
                return
            except ValidationError as exc:
                self.host.post_message(SaveInvalid(str(exc), exc.field, seen, changes))
                return
            self.host.post_message(Saved(result.row, len(result.entries)))

        self._saving = self._run(write, "save")

    def save_answered(self) -> None:
        self._saving = None

    def export(self, path: Path) -> None:
        """Write the current view to `path` as a CSV snapshot (a workbook for .xlsx), whole
        or not at all."""
        store, settings, state = self.store, self.settings, self.state

        def write() -> None:
            from tracker.tui.screens.export import write_view

            rows = store.iter_actions(filters=state.filters, settings=settings)
            filters = state.filters

            def scorecard() -> Iterator[MeasureRow]:
                # Read once the actions are written (the workbook asks for them last), for
                # the plan and recommendation the view shows; other filters choose actions.
                yield from store.measures(plan=filters.plan, rec=filters.rec)

            count = write_view(path, rows, settings, scorecard())
            self.host.post_message(Exported(path, count))

        self._run(write, "export")

    # --- changing the plan ----------------------------------------------------------------

    def change(self, work: Callable[[], str], *, clear_marks: bool = False) -> None:
        """Run one write (`work` returns what it did, for the user); a refusal is a message."""

        def write() -> None:
            try:
                text = work()
            except TrackerError as exc:
                self.host.post_message(ChangeRefused(str(exc)))
                return
            self.host.post_message(PlanChanged(text, clear_marks=clear_marks))

        self._run(write, "change")

    def suggest_ref(self, plan_key: str, rec_ref: str, rec_title: str) -> None:
        """Find the next free ref under a recommendation (then the add form opens)."""
        store, settings = self.store, self.settings

        def read() -> None:
            try:
                ref = store.next_action_ref(plan_key, rec_ref, settings=settings)
            except TrackerError as exc:
                self.host.post_message(ChangeRefused(str(exc)))
                return
            self.host.post_message(RefSuggested(plan_key, rec_ref, rec_title, ref))

        self._run(read, "suggest")

    def preview_undo(self) -> None:
        """Ask the store what undo would revert (a dry run), for the confirmation."""
        store, user = self.store, self.session.user

        def read() -> None:
            try:
                result = store.undo(user=user, dry_run=True)
            except TrackerError as exc:
                self.host.post_message(UndoPreviewed(None, [], str(exc)))
                return
            self.host.post_message(UndoPreviewed(result.summary, list(result.lines), None))

        self._run(read, "undo")
