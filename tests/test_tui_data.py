"""The screens' data access: the first view through the light reader, the rest from the Store."""

from __future__ import annotations

import subprocess
import sys

from textual.widgets import Input
from tui_support import SIZE, build, count, main_screen, notifications, settle, table

from tracker.domain.records import Filters
from tracker.domain.rules import RuleSettings
from tracker.storage.store import Store
from tracker.tui.data import StoreAccess
from tracker.tui.screens.edit import EditScreen
from tracker.tui.screens.history import HistoryScreen
from tracker.tui.widgets.plan_tree import PlanTree

VIEWS = [
    (Filters(), None, False),
    (Filters(overdue=True), "deadline", True),
    (Filters(search="a", statuses=("not_started", "in_progress")), "owner", False),
]


def _same_reads(access: StoreAccess, store: Store, settings: RuleSettings) -> None:
    for filters, sort, descending in VIEWS:
        assert access.view_counts(filters=filters, settings=settings) == store.view_counts(
            filters=filters, settings=settings
        )
        for offset, limit in ((0, 5), (3, 50)):
            view = {
                "filters": filters,
                "settings": settings,
                "sort": sort,
                "descending": descending,
            }
            got = access.page_actions(offset=offset, limit=limit, **view)  # type: ignore[arg-type]
            assert got == store.page_actions(offset=offset, limit=limit, **view)  # type: ignore[arg-type]


def test_first_reads_come_before_the_store_and_match_it(
    sample_store: Store, settings: RuleSettings, db_url: str
) -> None:
    access = StoreAccess.open(db_url)
    try:
        sqlite = db_url.startswith("sqlite")
        # A SQLite file is read without the Store; any other store is opened at once.
        assert access.is_open is not sqlite
        _same_reads(access, sample_store, settings)
        assert access.is_open is not sqlite
        assert access.location == sample_store.location
        assert access.can_write()
        assert access.tree(settings=settings) == sample_store.tree(settings=settings)
        assert access.is_open
        _same_reads(access, sample_store, settings)
    finally:
        access.close()


def test_read_only_access_refuses_before_and_after_the_store_opens(
    sample_store: Store, settings: RuleSettings, db_url: str
) -> None:
    access = StoreAccess.open(db_url, read_only=True)
    try:
        assert not access.can_write()
        assert access.read_only
        access.full()
        assert not access.can_write()
        assert access.read_only
    finally:
        access.close()


async def test_the_app_on_access_shows_rows_then_the_tree_and_saves(
    sample_store: Store, settings: RuleSettings, db_url: str
) -> None:
    access = StoreAccess.open(db_url)
    try:
        app = build(access, settings)  # type: ignore[arg-type]
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert table(app).total == count(sample_store, settings)
            assert access.is_open  # the tree asked for the Store after the first rows
            assert main_screen(app).query_one(PlanTree).root.children
            await pilot.press("down", "down", "down")
            await settle(pilot)
            row = main_screen(app).selected
            assert row is not None
            await pilot.press("e")
            await settle(pilot)
            assert isinstance(app.screen, EditScreen)
            app.screen.query_one("#progress", Input).value = str(7 if row.progress != 7 else 8)
            await pilot.pause()
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert any("Saved" in n for n in notifications(app))
            assert sample_store.get_action(row.id, settings=settings).version > row.version
            await pilot.press("h")
            await settle(pilot)
            assert isinstance(app.screen, HistoryScreen)
    finally:
        access.close()


def test_the_first_screen_loads_neither_the_orm_nor_the_later_screens() -> None:
    later = (
        "sqlalchemy",
        "sqlmodel",
        "tracker.storage.store",
        "tracker.formats.snapshot",
        "tracker.tui.screens.edit",
        "tracker.tui.screens.export",
        "tracker.tui.screens.help",
        "tracker.tui.screens.history",
        "textual.widgets._markdown",
    )
    code = f"import sys, tracker.tui.app\nprint(' '.join(m for m in {later!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == []
