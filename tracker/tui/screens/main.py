"""The main screen: where are we? The plan tree, the actions table, the detail panel.

The screen coordinates; it does no store work itself. Where things live:

- a key: `BINDINGS` here (with an id and a description) and its `action_*` method below;
  `check_action` says when it does not apply;
- a palette command: tracker/tui/palette.py;
- what is shown and every store call: tracker/tui/controller.py (thread workers that
  post the messages of tracker/tui/messages.py; the `on_*` handlers here draw them);
- filters and order: tracker/tui/view.py (`ViewState`, a new value for every change).

The store is polled every second so another terminal's change appears without a key
press, and reloads keep the selected action selected.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Tree

from tracker.domain.records import ActionRow
from tracker.domain.text import one_line
from tracker.tui.controller import MainController
from tracker.tui.failures import ReportsFailures
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
from tracker.tui.widgets.action_table import ActionTable
from tracker.tui.widgets.bars import SummaryLine, TopBar
from tracker.tui.widgets.detail import DetailPanel
from tracker.tui.widgets.plan_tree import Place, PlanTree
from tracker.tui.widgets.welcome import Welcome

if TYPE_CHECKING:
    # The forms load on first use: the first screen draws without them.
    from tracker.tui.screens.edit import EditResult, EditScreen
    from tracker.tui.screens.forms import (
        BulkEditResult,
        MoveResult,
        NewActionResult,
        NewPlanResult,
        RecResult,
    )

# Saved and Session are named here too: code written against the screen finds them.
__all__ = ["MainScreen", "Saved", "Session"]

# Actions that need a selected action; the footer dims them when there is none.
NEEDS_SELECTION = frozenset({"edit", "history"})
# Keys that change the plan: hidden (not offered) when the store is open read-only.
CHANGES_PLAN = frozenset(
    {"add_action", "new_plan", "new_rec", "edit_rec", "move", "toggle_mark", "undo", "import_file"}
)


class MainScreen(ReportsFailures, Screen[None]):
    """The plan at a glance, with the keys of the product promise."""

    # The plan tree hides below 110 columns and widens from 150; the detail panel
    # shrinks below 34 lines.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide"), (150, "-very-wide")]  # noqa: RUF012
    VERTICAL_BREAKPOINTS = [(0, "-short"), (34, "-tall")]  # noqa: RUF012

    BINDINGS: ClassVar[list[BindingType]] = [
        # Help and quit come first, so the footer shows them at every width (a newcomer's
        # two keys); they are the app's own actions.
        Binding("question_mark", "app.help", "Help", id="main-help"),
        Binding("q", "app.quit", "Quit", id="main-quit"),
        Binding("o", "toggle_overdue", "Overdue", id="overdue", tooltip="Only overdue actions"),
        # A priority key: the app runs it before it hands on the keys typed after it, so
        # letters typed straight after "/" (or pasted with it) land in the search box.
        Binding("slash", "search", "Search", priority=True, id="search"),
        Binding("e,enter", "edit", "Edit", id="edit", tooltip="Edit the selected action"),
        Binding("h", "history", "History", id="history", tooltip="Every change of the action"),
        Binding("x", "export", "Export", id="export", tooltip="The view as a CSV snapshot"),
        Binding("escape", "clear_filters", "Clear filter", id="clear"),
        Binding("s", "next_sort", "Sort", id="sort", tooltip="Order by the next column"),
        Binding("S", "reverse_sort", "Reverse", show=False, id="reverse"),
        Binding("t", "toggle_tree", "Tree", show=False, id="tree"),
        Binding("n", "toggle_stale", "Not updated", show=False, id="stale"),
        Binding("w", "owners", "Owners", show=False, id="owners"),
        Binding("a", "add_action", "Add", show=False, id="add-action"),
        Binding("space", "toggle_mark", "Mark", show=False, id="mark"),
        Binding("u", "undo", "Undo", show=False, id="undo"),
        Binding("p", "new_plan", "New plan", show=False, id="new-plan"),
        Binding("r", "new_rec", "New rec", show=False, id="new-rec"),
        Binding("R", "edit_rec", "Edit rec", show=False, id="edit-rec"),
        Binding("m", "move", "Move", show=False, id="move"),
        Binding("i", "import_file", "Import", show=False, id="import-file"),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.settings = session.settings
        self.controller = MainController(session, self, lambda: self.table.cursor)
        self._had_row = False

    @property
    def state(self) -> ViewState:
        """The filters and order shown now."""
        return self.controller.state

    @property
    def selected(self) -> ActionRow | None:
        """The highlighted action as last read (None when the view is empty)."""
        return self.controller.selected

    @property
    def table(self) -> ActionTable:
        return self.query_one(ActionTable)

    # --- layout ---------------------------------------------------------------------------

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
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._show_top_bar(read_only=self.session.read_only)
        self.query_one("#search", Input).display = False
        self.query_one(Welcome).display = False
        self.table.focus()
        self.controller.reload(select_first=True)
        self.controller.check_write()
        if self.session.poll_interval > 0:
            self.set_interval(self.session.poll_interval, self.controller.poll)

    def _show_top_bar(self, *, read_only: bool) -> None:
        session = self.session
        self.query_one(TopBar).show(
            location=session.location or session.store.location,
            today=self.settings.today.isoformat(),
            read_only=read_only,
            demo=session.demo,
        )

    def _show_welcome(self) -> None:
        empty = self.controller.has_plans is False
        welcome = self.query_one(Welcome)
        if welcome.display == empty:
            return
        welcome.display = empty
        self.table.display = not empty
        self.query_one(DetailPanel).display = not empty
        if empty:
            welcome.show(
                self.session.location or self.session.store.location,
                read_only=self.controller.refusal,
            )

    # --- keys -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Only edit and history depend on the view; other keys stay put, because each
        # change of the footer redraws it.
        if action in CHANGES_PLAN and self.session.read_only:
            return False
        if action in NEEDS_SELECTION and self.selected is None:
            return None
        # In the search box "/" is a character, typed like any other.
        return not (action == "search" and isinstance(self.focused, Input))

    def action_toggle_overdue(self) -> None:
        self.controller.filter(overdue=not self.state.filters.overdue)

    def action_toggle_stale(self) -> None:
        self.controller.filter(stale=not self.state.filters.stale)

    def action_owners(self) -> None:
        """The owners screen; `enter` there shows that owner's own actions here."""
        if self.app.screen is not self:
            return  # queued behind a key that opened another screen
        from tracker.tui.screens.owners import OwnersScreen

        def chosen(owner: str | None) -> None:
            if owner is not None:
                state = self.state.unfiltered().with_filters(owner_is=owner)
                self.controller.set_state(state, keep=False)

        screen = OwnersScreen(
            self.session.store,
            self.settings,
            user=self.session.user,
            read_only=self.controller.refusal,
        )
        self.app.push_screen(screen, callback=chosen)

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
            self.controller.set_state(self.state.unfiltered(), keep=False)
            self.notify("Showing all actions.", timeout=2)

    # After a new order the view starts at its top, so the rows shown are the ones the
    # order puts first (the worst, for RAG), not those around the old cursor.
    def action_next_sort(self) -> None:
        self.controller.set_state(self.state.next_sort(), keep=False)

    def action_reverse_sort(self) -> None:
        self.controller.set_state(self.state.reversed(), keep=False)

    def action_sort_by(self, key: str) -> None:
        self.controller.set_state(self.state.sorted_by(key), keep=False)

    def action_toggle_tree(self) -> None:
        self.toggle_class("-tree-toggled")

    def action_edit(self) -> None:
        if self.app.screen is not self:
            return  # a key queued behind the one that opened a form (e then enter, pasted)
        row = self.selected
        if row is None:
            self.notify("No action is selected.", timeout=3)
            return
        refusal = self.controller.refusal
        if refusal is not None:
            self.notify(refusal, title="Read-only", severity="warning", markup=False)
            return
        busy = self.controller.busy()
        if busy is not None:
            self.notify(busy, timeout=3)
            return
        if self.controller.marked:
            self._open_bulk()
            return
        from tracker.tui.screens.edit import EditScreen

        self._open_form(EditScreen(row, self.settings))

    def action_history(self) -> None:
        if self.app.screen is not self:
            return  # queued behind a key that opened another screen
        if self.selected is None:
            self.notify("No action is selected.", timeout=3)
            return
        from tracker.tui.screens.history import HistoryScreen

        self.app.push_screen(HistoryScreen(self.session.store, self.selected))

    def action_export(self) -> None:
        if self.app.screen is not self:
            return  # queued behind a key that opened another screen
        from tracker.tui.screens.export import ExportScreen

        default = Path(f"tracker-snapshot-{self.settings.today.isoformat()}.csv")
        self.app.push_screen(
            ExportScreen(default, self.controller.counts.total, self.state.describe()),
            callback=lambda path: None if path is None else self.controller.export(path),
        )

    # --- the edit form --------------------------------------------------------------------

    def _open_form(self, form: EditScreen) -> None:
        self.app.push_screen(form, callback=self._edited)

    def _edited(self, result: EditResult | None) -> None:
        if result is None:
            return
        if result.changes.is_empty():
            self.notify("Nothing to save: no field was changed.", timeout=3)
            return
        self.controller.save(result.row, result.changes)

    def on_saved(self, message: Saved) -> None:
        self.controller.save_answered()
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
        self.controller.selected = message.row
        self.controller.reload()

    def on_save_refused(self, message: SaveRefused) -> None:
        self.controller.save_answered()
        from tracker.tui.screens.edit import EditScreen

        self.notify(one_line(message.message), title="Not saved", severity="warning", markup=False)
        self._open_form(
            EditScreen(
                message.newer,
                self.settings,
                pending=message.changes,
                seen=message.seen,
                their_notes=message.notes,
            )
        )
        self.controller.reload()

    def on_save_invalid(self, message: SaveInvalid) -> None:
        self.controller.save_answered()
        from tracker.tui.screens.edit import EditScreen

        self.notify(one_line(message.message), title="Not saved", severity="warning", markup=False)
        refused = (message.field, message.message)
        self._open_form(
            EditScreen(message.seen, self.settings, pending=message.changes, refused=refused)
        )

    # --- what the workers found -----------------------------------------------------------

    def on_view_loaded(self, message: ViewLoaded) -> None:
        if not self.controller.view_arrived(message):
            return
        state = message.state
        self.table.show_plan = self.controller.spans_plans(state)
        self.table.set_view(
            total=message.counts.total,
            pages=message.pages,
            loader=self.controller.loader(state),
            cursor=message.cursor,
            sort=state.sort,
            descending=state.descending,
            keep_screen_row=message.keep_screen_row,
        )
        self.query_one(SummaryLine).show(message.counts, state, marked=len(self.controller.marked))
        self._show_welcome()

    def on_tree_loaded(self, message: TreeLoaded) -> None:
        self.controller.tree_arrived(message)
        spans = self.controller.spans_plans(self.state)
        if self.table.show_plan != spans:
            self.table.show_plan = spans
            self.table.refresh()
        self.query_one(PlanTree).show_plans(message.nodes)
        self._show_welcome()

    def on_detail_loaded(self, message: DetailLoaded) -> None:
        if self.selected is None or message.row.id != self.selected.id:
            return
        self.controller.selected = message.row
        self.query_one(DetailPanel).show(
            message.row, self.settings, message.history, measures=message.measures
        )

    def on_stamp_checked(self, message: StampChecked) -> None:
        plans = self.controller.stamp_changed(message)
        measures = self.controller.measures_changed(message)
        if plans:
            self.controller.reload()
        elif measures and self.selected is not None:
            # A reading added elsewhere: only the detail panel's measures show it.
            self.controller.load_detail(self.selected.id)

    def on_write_checked(self, message: WriteChecked) -> None:
        self.controller.write_arrived(message)
        if message.refusal is not None and not self.session.read_only:
            self._show_top_bar(read_only=True)

    def on_exported(self, message: Exported) -> None:
        noun = "action" if message.rows == 1 else "actions"
        self.notify(
            f"Wrote {message.rows:,} {noun} to {message.path}",
            title="Exported",
            markup=False,
            timeout=8,
        )

    # --- what the widgets say -------------------------------------------------------------

    @on(ActionTable.Highlighted)
    def _highlighted(self, message: ActionTable.Highlighted) -> None:
        self.controller.selected = message.row
        detail = self.query_one(DetailPanel)
        if message.row is None:
            detail.show(None, self.settings, [])
        else:
            detail.show(message.row, self.settings, None)
            self.controller.load_detail(message.row.id)
        has_row = message.row is not None
        if has_row != self._had_row:  # the footer redraws only when edit/history change
            self._had_row = has_row
            self.refresh_bindings()

    @on(ActionTable.SortRequested)
    def _sort_requested(self, message: ActionTable.SortRequested) -> None:
        self.controller.set_state(self.state.header_clicked(message.key))

    @on(Tree.NodeSelected, "#tree")
    def _place_selected(self, message: Tree.NodeSelected[Place]) -> None:
        place = message.node.data
        if place is not None:
            self.controller.set_state(
                self.state.with_filters(plan=place.plan, rec=place.rec), keep=False
            )

    @on(Input.Changed, "#search")
    def _search_changed(self, message: Input.Changed) -> None:
        term = one_line(message.value) or None
        if term != self.state.filters.search:
            self.controller.set_state(self.state.with_filters(search=term), keep=False)

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        self.table.focus()

    # --- changing the plan (tracker/tui/screens/forms.py) ---------------------------------

    def _may_change(self) -> bool:
        """Whether a form may open now; if not, the user is told why."""
        if self.app.screen is not self:
            return False  # queued behind a key that opened another screen
        refusal = self.controller.refusal
        if refusal is not None:
            self.notify(refusal, title="Read-only", severity="warning", markup=False)
            return False
        busy = self.controller.busy()
        if busy is not None:
            self.notify(busy, timeout=3)
            return False
        return True

    def place(self) -> tuple[str | None, str | None, str]:
        """The plan and recommendation the user is at: the selected action's, else the
        filter's, else the first plan's first recommendation; with the recommendation's title.
        """
        row = self.selected
        if row is not None:
            return row.plan_key, row.rec_ref, row.rec_title
        plan, rec = self.state.filters.plan, self.state.filters.rec
        for node in self.controller.nodes:
            if plan is not None and node.plan_key != plan:
                continue
            for child in node.children:
                if rec is None or child.ref == rec:
                    return node.plan_key, child.ref, child.title
            return node.plan_key, None, ""
        return None, None, ""

    def _recs(self, plan_key: str) -> list[tuple[str, str]]:
        for node in self.controller.nodes:
            if node.plan_key == plan_key:
                return [(child.ref or "", child.title) for child in node.children]
        return []

    def _user(self) -> str:
        return self.session.user

    def action_add_action(self) -> None:
        """`a`: a form for a new action under the selected recommendation."""
        if not self._may_change():
            return
        plan, rec, title = self.place()
        if plan is None:
            self.notify("No plan yet: start one first (key p).", severity="warning")
            return
        if rec is None:
            self.notify(
                f"{plan} has no recommendation yet: add one first (key r).", severity="warning"
            )
            return
        self.controller.suggest_ref(plan, rec, title)

    def on_ref_suggested(self, message: RefSuggested) -> None:
        if self.app.screen is not self:
            return
        from tracker.tui.screens.forms import AddActionForm

        form = AddActionForm(
            message.plan_key,
            message.rec_ref,
            message.rec_title,
            message.ref,
            today=self.settings.today,
        )
        self.app.push_screen(form, callback=self._add_action)

    def _add_action(self, result: NewActionResult | None) -> None:
        if result is None:
            return
        store, user = self.session.store, self._user()

        def work() -> str:
            address = store.add_action(result.plan_key, result.rec_ref, result.action, user=user)
            return f"Added {address}."

        self.controller.change(work)

    def action_new_plan(self) -> None:
        """`p`: a form for a new, empty plan."""
        if not self._may_change():
            return
        from tracker.tui.screens.forms import NewPlanForm

        location = self.session.location or self.session.store.location
        form = NewPlanForm(today=self.settings.today, store=location)
        self.app.push_screen(form, callback=self._new_plan)

    def _new_plan(self, result: NewPlanResult | None) -> None:
        if result is None:
            return
        store, user = self.session.store, self._user()

        def work() -> str:
            due = store.new_plan(
                result.key,
                authority=result.authority,
                title=result.title,
                inspection_type=result.inspection_type,
                published=result.published,
                user=user,
            )
            when = f", due {due.isoformat()}" if due else ""
            return f"Created plan {result.key}{when}. Add a recommendation with r."

        self.controller.change(work)

    def action_import_file(self) -> None:
        """`i`: import a plan file into this store."""
        if not self._may_change():
            return
        from tracker.tui.screens.forms import ImportForm

        location = self.session.location or self.session.store.location
        form = ImportForm(today=self.settings.today, store=location)
        self.app.push_screen(form, callback=self._import_file)

    def _import_file(self, path: Path | None) -> None:
        if path is None:
            return
        store, user, today = self.session.store, self._user(), self.settings.today
        self.controller.change(lambda: store.import_plan_file(path, user=user, today=today))

    def action_new_rec(self) -> None:
        """`r`: a form for a new recommendation in the plan the user is at."""
        if not self._may_change():
            return
        plan, _, _ = self.place()
        if plan is None:
            self.notify("No plan yet: start one first (key p).", severity="warning")
            return
        from tracker.tui.screens.forms import RecForm

        self.app.push_screen(RecForm(plan, today=self.settings.today), callback=self._rec_saved)

    def action_edit_rec(self) -> None:
        """`R`: edit the title, text and area of the recommendation the user is at."""
        if not self._may_change():
            return
        plan, rec, title = self.place()
        if plan is None or rec is None:
            self.notify("No recommendation to edit here.", severity="warning")
            return
        from tracker.tui.screens.forms import RecForm

        form = RecForm(plan, today=self.settings.today, ref=rec, title=title)
        self.app.push_screen(form, callback=self._rec_saved)

    def _rec_saved(self, result: RecResult | None) -> None:
        if result is None:
            return
        store, user = self.session.store, self._user()
        edit_ref = result.ref

        def work() -> str:
            if edit_ref is None:
                ref = store.add_recommendation(
                    result.plan_key,
                    title=result.title,
                    text=result.text,
                    area=result.area,
                    user=user,
                )
                return f"Added recommendation {result.plan_key}:{ref}. Add actions with a."
            changed = store.edit_recommendation(
                result.plan_key, edit_ref, dict(result.changes or {}), user=user
            )
            return f"Saved {result.plan_key}:{edit_ref}: {changed} changes."

        self.controller.change(work)

    def action_move(self) -> None:
        """`m`: move the selected action under another recommendation of its plan."""
        if not self._may_change():
            return
        row = self.selected
        if row is None:
            self.notify("No action is selected.", timeout=3)
            return
        recs = self._recs(row.plan_key)
        if len(recs) < 2:
            self.notify(f"{row.plan_key} has no other recommendation to move to.")
            return
        from tracker.tui.screens.forms import MoveForm

        self.app.push_screen(MoveForm(row, recs, today=self.settings.today), callback=self._moved)

    def _moved(self, result: MoveResult | None) -> None:
        if result is None:
            return
        store, user, row = self.session.store, self._user(), result.row

        def work() -> str:
            old, new = store.move_action(
                row.address,
                plan_key=row.plan_key,
                to_rec_ref=result.rec_ref,
                user=user,
                expected_version=row.version,
            )
            return f"Moved {old} to {new}."

        self.controller.change(work)

    # --- marks and bulk edit --------------------------------------------------------------

    def action_toggle_mark(self) -> None:
        """`space`: mark (or unmark) the selected action for a bulk edit, then move down."""
        row = self.selected
        if row is None or self.app.screen is not self:
            return
        marked = self.controller.marked
        if row.id in marked:
            del marked[row.id]
        else:
            marked[row.id] = row
        self.table.marked = set(marked)
        self.table.refresh()
        self.query_one(SummaryLine).show_marked(len(marked))
        self.table.action_cursor(1)

    def _clear_marks(self) -> None:
        self.controller.marked.clear()
        self.table.marked = set()
        self.table.refresh()
        self.query_one(SummaryLine).show_marked(0)

    def _open_bulk(self) -> None:
        from tracker.tui.screens.forms import BulkEditForm

        rows = list(self.controller.marked.values())
        self.app.push_screen(BulkEditForm(rows, today=self.settings.today), callback=self._bulk)

    def _bulk(self, result: BulkEditResult | None) -> None:
        if result is None:
            return
        from tracker.domain.updates import ActionEdit

        store, user = self.session.store, self._user()
        edits = [
            ActionEdit(row.address, result.changes, expected_version=row.version)
            for row in result.rows
        ]

        def work() -> str:
            done = store.update_actions(edits, user=user)
            return f"Bulk edit: {done.count} of {len(edits)} actions changed (u undoes it)."

        self.controller.change(work, clear_marks=True)

    # --- undo -----------------------------------------------------------------------------

    def action_undo(self) -> None:
        """`u`: say what undo would revert, ask, then revert."""
        if not self._may_change():
            return
        self.controller.preview_undo()

    def on_undo_previewed(self, message: UndoPreviewed) -> None:
        if message.refusal is not None:
            self.notify(
                one_line(message.refusal), title="Nothing undone", severity="warning", markup=False
            )
            return
        if self.app.screen is not self:
            return
        from tracker.tui.screens.forms import ConfirmScreen

        store, user = self.session.store, self._user()

        def answered(yes: bool | None) -> None:
            if not yes:
                return

            def work() -> str:
                result = store.undo(user=user, dry_run=False)
                noun = "change" if len(result.lines) == 1 else "changes"
                return f"Undone {result.summary}: {len(result.lines)} {noun} reverted."

            self.controller.change(work)

        self.app.push_screen(
            ConfirmScreen(
                f"Undo {message.summary}?",
                message.lines,
                "Revert these? Each is a new history entry; no history is removed.",
                "Undo",
            ),
            callback=answered,
        )

    def on_screen_resume(self) -> None:
        """Back from a form: keys go to the table if the widget that had them is hidden
        (the plan tree on a narrow terminal), so space and the arrows still work."""
        focused = self.focused
        if focused is None or not focused.display:
            self.table.focus()

    def on_plan_changed(self, message: PlanChanged) -> None:
        if message.clear_marks:
            self._clear_marks()
        self.notify(one_line(message.text), title="Saved", markup=False)
        self.controller.reload()

    def on_change_refused(self, message: ChangeRefused) -> None:
        self.notify(one_line(message.text), title="Not saved", severity="warning", markup=False)
        self.controller.reload()
