"""The command palette (ctrl+p): every command it offers, each read "noun: Verb".

One place for them all: a new palette command is one `SystemCommand` in `commands_for`
(or in the function for its screen), calling the same action as its key. The nouns group
them: `filter:`, `sort:`, `export:`, `action:`, `view:`, `board:`, `measure:` (on the
measures screen, which loads on first use, so it is known here by name), `help:`, then
Textual's own (theme, keys, screenshot, quit). `TrackerCommands` is the palette's one
provider; the app's `get_system_commands` answers the same list, so whatever asks the
app sees what the palette shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from textual.app import App, SystemCommand
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape
from textual.screen import Screen

from tracker.domain.records import Filters
from tracker.domain.rules import STATUSES, Rag
from tracker.domain.text import one_line
from tracker.tui.screens.main import MainScreen
from tracker.tui.view import SORT_LABELS, SORTS, status_label

if TYPE_CHECKING:
    from tracker.tui.app import TrackerApp
    from tracker.tui.screens.measures import MeasuresScreen

__all__ = [
    "TrackerCommands",
    "commands_for",
    "main_screen_commands",
    "measure_commands",
    "plan_commands",
]


def commands_for(app: TrackerApp, screen: Screen[object]) -> Iterator[SystemCommand]:
    """The palette's commands on `screen`, tracker's first, then Textual's own."""
    if isinstance(screen, MainScreen):
        yield from main_screen_commands(screen)
        yield SystemCommand(
            "board: RAG, progress and trend",
            "Each recommendation's RAG and progress, and the monthly trend (key b)",
            app.action_board,
        )
        yield SystemCommand(
            "view: Measures of impact",
            "The scorecard: add, edit, retire measures and their readings (key k)",
            app.action_measures,
        )
    elif type(screen).__name__ == "MeasuresScreen":
        yield from measure_commands(screen)  # type: ignore[arg-type]
    yield SystemCommand("help: Keys and concepts", "The help page (key ?)", app.action_help)
    yield from App.get_system_commands(app, screen)


def main_screen_commands(screen: MainScreen) -> Iterator[SystemCommand]:
    """Filters, sorts, export and the selected action, as the keys of the main screen do."""
    view = screen.controller
    f = view.state.filters
    yield SystemCommand(
        "filter: Overdue only" if not f.overdue else "filter: Overdue off",
        "Show all actions again (key o)"
        if f.overdue
        else "Show only open actions past their deadline (key o)",
        screen.action_toggle_overdue,
    )
    yield SystemCommand(
        "filter: Due soon",
        "Open actions due within the due-soon window",
        lambda: view.filter(due_soon=not f.due_soon),
    )
    yield SystemCommand(
        "filter: Not updated" if not f.stale else "filter: Not updated off",
        "Show all actions again (key n)"
        if f.stale
        else "Open actions with no update of any kind for over the update window (key n)",
        screen.action_toggle_stale,
    )
    yield SystemCommand(
        "view: Owners",
        "Each owner's open, overdue, due-soon and stale counts and address (key w)",
        screen.action_owners,
    )
    yield SystemCommand(
        "filter: Clear all", "Show every action (key escape)", lambda: view.set_filters(Filters())
    )
    yield SystemCommand(
        "filter: Search", "Search by ref, description, owner (key /)", screen.action_search
    )
    for status in STATUSES:
        yield SystemCommand(
            f"filter: Status {status_label(status)}",
            f"Only actions whose status is {status_label(status)}",
            lambda s=status: view.filter(statuses=(s,)),
        )
    for rating in Rag:
        yield SystemCommand(
            f"filter: RAG {rating}",
            f"Only actions rated {rating}",
            lambda r=str(rating): view.filter(rag=r),
        )
    for owner in view.owners:
        yield SystemCommand(
            # The palette reads titles as markup: an owner's name is data, so escape it.
            f"filter: Owner {escape(one_line(owner))}",
            "Only this owner's actions",
            lambda o=owner: view.filter(owner=o),
            discover=False,
        )
    yield SystemCommand(
        "export: CSV snapshot", "The current view as CSV (key x)", screen.action_export
    )
    if view.selected is not None:
        yield SystemCommand("action: Edit", "Edit the selected action (key e)", screen.action_edit)
        yield SystemCommand(
            "action: History", "Every change of the selected action (key h)", screen.action_history
        )
    yield from plan_commands(screen)
    for key in SORTS:
        name = SORT_LABELS.get(key, key)
        yield SystemCommand(
            f"sort: By {name}", f"Order the table by {name}", lambda k=key: screen.action_sort_by(k)
        )
    yield SystemCommand(
        "sort: Reverse order", "Reverse the table's order (key S)", screen.action_reverse_sort
    )
    yield SystemCommand(
        "view: Toggle plan tree", "Show or hide the plan tree (key t)", screen.action_toggle_tree
    )


def plan_commands(screen: MainScreen) -> Iterator[SystemCommand]:
    """Changing the plan, as the keys do; none when the store is open read-only."""
    if screen.session.read_only:
        return
    yield SystemCommand("plan: New", "Start a new, empty plan (key p)", screen.action_new_plan)
    yield SystemCommand(
        "plan: Import file", "Import a plan file into this store (key i)", screen.action_import_file
    )
    yield SystemCommand(
        "recommendation: New",
        "Add a recommendation to the plan you are in (key r)",
        screen.action_new_rec,
    )
    yield SystemCommand(
        "recommendation: Edit",
        "Edit the selected recommendation's title, text and area (key R)",
        screen.action_edit_rec,
    )
    yield SystemCommand(
        "action: Add",
        "Add an action under the selected recommendation (key a)",
        screen.action_add_action,
    )
    yield SystemCommand(
        "action: Undo my last change",
        "Says what it will revert, then asks (key u)",
        screen.action_undo,
    )
    if screen.selected is not None:
        yield SystemCommand(
            "action: Move",
            "Move the selected action under another recommendation (key m)",
            screen.action_move,
        )
        yield SystemCommand(
            "action: Mark for bulk edit",
            "Mark or unmark the selected action; e then edits every marked one (key space)",
            screen.action_toggle_mark,
        )


def measure_commands(screen: MeasuresScreen) -> Iterator[SystemCommand]:
    """The measures screen's keys; changing a measure only when the store may be written."""
    row = screen.current
    if row is not None:
        yield SystemCommand(
            "measure: History",
            "The highlighted measure's readings (key enter)",
            screen.action_open_history,
        )
    yield SystemCommand(
        "measure: Show retired" if not screen.show_retired else "measure: Hide retired",
        "Retired measures in the scorecard too, to reinstate one (key r)"
        if not screen.show_retired
        else "Only active measures (key r)",
        screen.action_toggle_retired,
    )
    if screen.read_only:
        return
    yield SystemCommand(
        "measure: Add", "A new measure under a recommendation (key n)", screen.action_add_measure
    )
    if row is None:
        return
    yield SystemCommand(
        "measure: Add reading", "Add or correct a reading (key a)", screen.action_add_reading
    )
    yield SystemCommand(
        "measure: Edit",
        "Name, unit, direction, target, tolerance, baseline (key e)",
        screen.action_edit_measure,
    )
    if row.status == "retired":
        yield SystemCommand(
            "measure: Reinstate",
            "Back on the scorecard, taking readings (key x)",
            screen.action_retire_measure,
        )
    else:
        yield SystemCommand(
            "measure: Retire",
            "Off the scorecard, its readings and history kept (key x)",
            screen.action_retire_measure,
        )


class TrackerCommands(Provider):
    """The palette's provider: the commands of the screen under it (see `commands_for`)."""

    def _commands(self) -> list[SystemCommand]:
        return list(self.app.get_system_commands(self.screen))

    async def discover(self) -> Hits:
        """What the palette lists before anything is typed, by title."""
        for command in sorted(self._commands(), key=lambda command: command.title):
            if command.discover:
                yield DiscoveryHit(command.title, command.callback, help=command.help)

    async def search(self, query: str) -> Hits:
        """The commands whose title matches what was typed, best first."""
        matcher = self.matcher(query)
        for command in self._commands():
            if (match := matcher.match(command.title)) > 0:
                yield Hit(
                    match, matcher.highlight(command.title), command.callback, help=command.help
                )
