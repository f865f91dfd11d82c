"""The TUI's shape: the palette is one provider, and nothing waits on the event loop.

Store calls and filesystem checks run in thread workers; here each is caught in the act
(which thread ran it) and the screens still do what a user expects.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from textual.widgets import Button, Input, Static
from tui_support import SIZE, build, main_screen, notifications, settle

from tracker.domain.records import Filters
from tracker.domain.rules import RuleSettings
from tracker.storage.store import Store
from tracker.tui.app import TrackerApp
from tracker.tui.data import StoreAccess
from tracker.tui.palette import TrackerCommands
from tracker.tui.screens import export
from tracker.tui.screens.edit import EditScreen
from tracker.tui.screens.export import ExportScreen
from tracker.tui.screens.measures import MeasuresScreen
from tracker.tui.view import SORTS, ViewState


def test_view_state_steps() -> None:
    """What each sort key does to the view, as a value: the screen only asks for it."""
    state = ViewState()
    assert state.next_sort() == ViewState(sort=SORTS[1])
    assert ViewState(sort=SORTS[-1]).next_sort().sort == SORTS[0]
    assert state.reversed().descending
    assert not state.reversed().reversed().descending
    assert state.header_clicked("ref").descending  # the sorted column: reversed
    assert state.header_clicked("owner") == ViewState(sort="owner")
    filtered = ViewState(Filters(overdue=True), "owner", True)
    assert filtered.unfiltered() == ViewState(Filters(), "owner", True)
    assert not filtered.unfiltered().is_filtered


def test_the_palette_has_one_provider() -> None:
    providers = TrackerApp.COMMANDS
    assert providers == {TrackerCommands}


async def test_a_palette_command_typed_and_chosen_opens_the_export_dialog(
    sample_store: Store, settings: RuleSettings
) -> None:
    app = build(sample_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"export: csv")
        await settle(pilot)
        await pilot.pause(0.3)  # the palette searches in the background
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ExportScreen)


async def test_whether_the_store_may_be_written_is_asked_off_the_event_loop(
    sample_store: Store, settings: RuleSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    can_write = StoreAccess.can_write

    def spy(self: StoreAccess) -> bool:
        asked.append(threading.current_thread().name)
        return can_write(self)

    monkeypatch.setattr(StoreAccess, "can_write", spy)
    app = build(sample_store, settings)
    assert asked == []  # building the app asks nothing
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = threading.main_thread().name
        assert asked
        assert main not in asked
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, EditScreen)
        assert main not in asked


async def test_an_unwritable_store_is_found_read_only_once_the_screen_is_up(
    sample_store: Store, settings: RuleSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check answers later than the first draw: the top bar and `e` follow it."""
    monkeypatch.setattr(StoreAccess, "can_write", lambda self: False)
    app = build(sample_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "READ-ONLY" in str(main_screen(app).query_one("#topbar", Static).render())
        await pilot.press("e")
        await settle(pilot)
        assert not isinstance(app.screen, EditScreen)
        assert "Nothing can be changed: you may not write to this store." in notifications(app)
        await pilot.press("escape", "k")
        await settle(pilot)
        assert isinstance(app.screen, MeasuresScreen)
        assert app.screen.read_only  # the measures screen follows the check too


async def test_the_export_dialog_checks_paths_in_a_worker_once_typing_pauses(
    sample_store: Store, settings: RuleSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[tuple[str, str]] = []
    check_path = export.check_path

    def spy(text: str) -> tuple[Path | None, str]:
        checked.append((text, threading.current_thread().name))
        return check_path(text)

    monkeypatch.setattr(export, "check_path", spy)
    app = build(sample_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ExportScreen)
        field = dialog.query_one("#path", Input)
        default = field.value
        field.value = ""
        await pilot.press(*str(tmp_path / "no-such-folder" / "out.csv"))
        await pilot.pause(0.5)
        await settle(pilot)
        typed = [text for text, _ in checked if text != default]
        assert typed == [field.value]  # one check for the whole path, not one a key
        assert "no folder" in str(dialog.query_one("#message", Static).render())
        assert dialog.query_one("#export-button", Button).disabled
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is dialog  # a path that will not do keeps the dialog open
        assert threading.main_thread().name not in {name for _, name in checked}
