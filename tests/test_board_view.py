"""The TUI's board view: RAG and progress bars per recommendation, and the monthly trend.

The store tells Staffordshire's autumn (tests/board_support.py), so the trend has
September to November drawn from history.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from board_support import PLAN, tell_story
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static
from tui_support import build, settle

from tracker.domain.records import ActionChanges
from tracker.domain.rules import RuleSettings
from tracker.reports.paper import board_view
from tracker.storage.store import Store
from tracker.storage.timeline import TrendPoint
from tracker.tui.app import TrackerApp
from tracker.tui.screens.board import BoardScreen, progress_bar, trend_chart

SIZE = (120, 40)


@pytest.fixture
def story_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    store = Store.open(f"sqlite:///{tmp_path / 'board.db'}")
    tell_story(store, monkeypatch)
    yield store
    store.close()


@pytest.fixture
def app(story_store: Store, settings: RuleSettings) -> TrackerApp:
    return build(story_store, settings, location="board.db")


async def open_board(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("b")
    await settle(pilot)


def test_progress_bar_draws_eighths() -> None:
    assert progress_bar(50, width=10).plain == "█████░░░░░  50%"
    assert progress_bar(0, width=4).plain == "░░░░   0%"
    assert progress_bar(100, width=4).plain == "████ 100%"
    assert progress_bar(61, width=10).plain == "██████▏░░░  61%"
    assert progress_bar(None, width=4).plain.strip() == "no actions"


def test_trend_chart_scales_bars_to_the_largest_value() -> None:
    points = [
        TrendPoint(date(2026, 10, 1), date(2026, 10, 31), open=10, overdue=2, complete=5, total=15),
        TrendPoint(date(2026, 11, 1), date(2026, 11, 25), open=8, overdue=0, complete=7, total=15),
    ]
    lines = trend_chart(points, width=10).plain.splitlines()
    assert lines[0].split() == ["Month", "open", "overdue", "complete"]
    assert lines[1].startswith("Oct 2026  ▇▇▇▇▇▇▇▇▇▇    10 ")
    assert "▇▇        " in lines[1]  # overdue 2 of 10
    assert lines[2].split()[-1] == "7"
    assert lines[3] == "at 2026-11-25: 8 open, 0 overdue, 7 complete of 15"
    assert trend_chart([]).plain == "No history yet."


def test_board_view_data(story_store: Store, settings: RuleSettings) -> None:
    view = board_view(story_store, settings=settings, months=6)
    assert [p.plan_key for p in view.plans] == [PLAN]
    assert [r.ref for r in view.plans[0].children] == ["R1", "R2", "R3", "R4"]
    overall = view.overall()
    assert [p.label for p in overall] == ["Sep 2026", "Oct 2026", "Nov 2026"]
    assert overall == view.trends[PLAN]


async def test_b_opens_the_board_and_escape_closes_it(app: TrackerApp) -> None:
    """`b` on the main screen opens the board; `b` there does not open another."""
    async with app.run_test(size=SIZE) as pilot:
        await open_board(pilot)
        screen = app.screen
        assert isinstance(screen, BoardScreen)
        table = screen.query_one(DataTable)
        assert table.row_count == 5  # the plan and its four recommendations
        cells = [str(c) for c in table.get_row(f"rec:{PLAN}:R3")]
        assert cells[0].strip() == "R3"
        assert cells[2] == "RED"
        assert "61%" in cells[3]
        chart = str(screen.query_one("#trend-chart", Static).render())
        assert "Nov 2026" in chart
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, BoardScreen)
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)
        await pilot.press("b")  # on the board, b closes it
        await settle(pilot)
        assert not isinstance(app.screen, BoardScreen)
        assert sum(isinstance(s, BoardScreen) for s in app.screen_stack) == 0


def test_board_view_snapshot(app: TrackerApp, snap_compare: Any) -> None:
    """The board view: RAG words and progress bars per recommendation, and the trend chart."""
    assert snap_compare(app, terminal_size=SIZE, run_before=open_board)


async def test_all_plans_row_shows_the_whole_store(
    sample_store: Store, settings: RuleSettings
) -> None:
    app = build(sample_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await open_board(pilot)
        screen = app.screen
        assert isinstance(screen, BoardScreen)
        table = screen.query_one(DataTable)
        first = [str(c) for c in table.get_row_at(0)]
        assert first[:3] == ["All plans", "3 plans", "RED"]
        assert first[4].strip() == "54"
        title = str(screen.query_one("#trend-title", Static).render())
        assert title.startswith("Trend, all plans")
        table.move_cursor(row=1)
        await settle(pilot)
        title = str(screen.query_one("#trend-title", Static).render())
        assert title.startswith("Trend, staffordshire-2024-ilacs")


async def test_b_typed_into_the_search_box_stays_there(app: TrackerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", "b", "l", "o")
        await settle(pilot)
        assert not isinstance(app.screen, BoardScreen)
        assert app.screen.query_one("#search", Input).value == "blo"


async def test_board_fits_an_80_column_terminal(app: TrackerApp) -> None:
    """At 80x24 every column of the board, and each month's three bars, stay on screen."""
    async with app.run_test(size=(80, 24)) as pilot:
        await open_board(pilot)
        screen = app.screen
        assert isinstance(screen, BoardScreen)
        table = screen.query_one(DataTable)
        assert sum(c.get_render_width(table) for c in table.columns.values()) <= 80
        cells = [str(c) for c in table.get_row(f"rec:{PLAN}:R3")]
        assert "61%" in cells[3]
        chart = str(screen.query_one("#trend-chart", Static).render()).splitlines()
        assert all(len(line) <= 78 for line in chart), chart
        assert any(line.startswith("Nov 2026") for line in chart)


async def test_board_follows_a_change_made_elsewhere_and_keeps_its_place(
    sample_store: Store, settings: RuleSettings, db_url: str
) -> None:
    """An update from another terminal shows on the open board; the cursor stays put."""
    key = "rec:staffordshire-2024-ilacs:R1"
    app = build(sample_store, settings, poll_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await open_board(pilot)
        screen = app.screen
        assert isinstance(screen, BoardScreen)
        table = screen.query_one(DataTable)
        table.move_cursor(row=table.get_row_index(key))
        await settle(pilot)
        assert str(table.get_row(key)[5]).strip() == "1"  # R1.4 is overdue

        other = Store.open(db_url)
        try:
            other.update_action(
                "staffordshire-2024-ilacs:R1.4",
                ActionChanges(status="complete", note="signed off at the board"),
                user="another.terminal",
            )
        finally:
            other.close()
        for _ in range(150):  # a busy machine can be slow to poll
            await pilot.pause(0.1)
            if str(table.get_row(key)[5]).strip() == "0":
                break
        assert str(table.get_row(key)[5]).strip() == "0"
        assert app.screen is screen
        assert table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value == key
        title = str(screen.query_one("#trend-title", Static).render())
        assert title.startswith("Trend, staffordshire-2024-ilacs")


async def test_board_tells_plans_of_one_authority_apart_at_80_columns(
    sample_store: Store, settings: RuleSettings
) -> None:
    """Keys are cut in the middle: the year and kind of inspection at their end still show."""
    app = build(sample_store, settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_board(pilot)
        screen = app.screen
        assert isinstance(screen, BoardScreen)
        table = screen.query_one(DataTable)
        refs = [str(table.get_row(f"plan:{key}")[0]) for key in sorted(screen._plan_keys())]
        assert refs == ["staff…2024-ilacs", "staff…used-visit", "stoke…2022-ilacs"]
        assert sum(c.get_render_width(table) for c in table.columns.values()) <= 80
