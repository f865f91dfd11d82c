"""Readings and measures written by another process show in the open terminal UI: on the
measures screen (the same measure kept under the cursor), in the main screen's detail
panel and on the board view, without reading 100,000 actions again; and a poll that finds
nothing changed reads nothing more."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, Static
from tui_support import SIZE, build, main_screen, settle

from tracker.domain.measures import ReadingInput
from tracker.domain.rules import RuleSettings
from tracker.storage.measures import MeasureStore
from tracker.storage.store import Store
from tracker.tui.screens.board import BoardScreen
from tracker.tui.screens.measures import MeasuresScreen
from tracker.tui.widgets.measures import MeasureLine

ROOT = Path(__file__).resolve().parent.parent
KEY = "staffordshire-2024-ilacs"
POLL = 0.2


def add_elsewhere(db_url: str, address: str, period: str, value: float, today: date) -> None:
    """A reading written through a Store of its own, as another secretary's would be."""
    other = Store.open(db_url)
    try:
        MeasureStore(other).add_readings(
            [ReadingInput(address, period, value)], user="another.secretary", today=today
        )
    finally:
        other.close()


async def wait_for(pilot: Pilot[Any], ready: Callable[[], bool]) -> None:
    for _ in range(150):  # a busy machine can be slow to poll
        if ready():
            return
        await pilot.pause(0.1)
    assert ready()


def counting(monkeypatch: Any, access: object, name: str) -> list[object]:
    """Count the calls of one of an object's methods."""
    calls: list[object] = []
    real = getattr(access, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(access, name, counted)
    return calls


def line_texts(screen: Any) -> dict[str, str]:
    """Each measure line's text by ref (a line still being mounted has none yet)."""
    return {
        line.measure.ref: str(texts.first().render())
        for line in screen.query(MeasureLine)
        if (texts := line.query(Static))
    }


async def test_measures_screen_shows_a_reading_added_by_another_process(
    sample_store: Store, settings: RuleSettings, db_url: str, monkeypatch: Any
) -> None:
    app = build(sample_store, settings, poll_interval=POLL)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MeasuresScreen)
        table = screen.query_one(DataTable)
        await pilot.press("down", "down", "down")
        await settle(pilot)
        chosen = screen.rows[3]
        assert table.cursor_row == 3
        rows_before = table.row_count
        cleared = counting(monkeypatch, table, "clear")
        done = subprocess.run(
            [sys.executable, "-m", "tracker", "--db", db_url, "reading", "add",
             chosen.address, "--period", "2026-11", "--value", "99.5"],
            cwd=ROOT,
            env=dict(os.environ),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr

        def shown() -> bool:
            return any(str(cell) == "99.5%" for cell in table.get_row_at(3))

        await wait_for(pilot, shown)
        await settle(pilot)
        assert table.row_count == rows_before
        assert cleared == []  # the changed row's cells changed in place: nothing listed again
        assert screen.rows[3].id == chosen.id
        assert (screen.rows[3].score.period, screen.rows[3].score.value) == ("2026-11", 99.5)
        # The cursor stays on the same measure, and the panel below says the new value.
        assert table.cursor_row == 3
        current = screen.current
        assert current is not None
        assert current.id == chosen.id
        assert "99.5% (2026-11)" in str(screen.query_one("#measure-text", Static).render())


async def test_a_measure_added_elsewhere_keeps_the_cursor_on_its_measure(
    sample_store: Store, settings: RuleSettings, db_url: str
) -> None:
    """A new measure moves the rows below it down: the cursor follows its measure."""
    from tracker.domain.plan import MeasureData

    app = build(sample_store, settings, poll_interval=POLL)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MeasuresScreen)
        table = screen.query_one(DataTable)
        await pilot.press("down", "down", "down", "down")
        await settle(pilot)
        chosen = screen.rows[4]
        count = table.row_count
        other = Store.open(db_url)
        try:
            MeasureStore(other).add_measure(
                f"{KEY}:R1",
                MeasureData(ref="M1.9", name="Visits on time", direction="up", target=90.0),
                user="another.secretary",
            )
        finally:
            other.close()
        await wait_for(pilot, lambda: table.row_count == count + 1)
        await settle(pilot)
        assert any(m.address == f"{KEY}:M1.9" for m in screen.rows)
        current = screen.current
        assert current is not None
        assert current.id == chosen.id
        assert screen.rows.index(current) == table.cursor_row


async def test_an_unrelated_poll_reads_no_scorecard(
    sample_store: Store, settings: RuleSettings, db_url: str, monkeypatch: Any
) -> None:
    app = build(sample_store, settings, poll_interval=POLL)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MeasuresScreen)
        access = app.session.store
        scorecards = counting(monkeypatch, access, "measures")
        stamps = counting(monkeypatch, access, "measure_stamp")
        for _ in range(10):
            await pilot.pause(POLL)
        await settle(pilot)
        assert len(stamps) >= 2  # the screen did poll ...
        assert scorecards == []  # ... and, nothing having changed, read nothing more


async def test_detail_panel_shows_a_reading_added_elsewhere_without_reloading_the_view(
    sample_store: Store, settings: RuleSettings, db_url: str, monkeypatch: Any
) -> None:
    app = build(sample_store, settings, poll_interval=POLL)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        assert screen.selected is not None
        assert screen.selected.rec_ref == "R1"
        listing = screen.query_one("#detail-measures")
        assert "84.7% (2026-10)" in line_texts(listing)["M1.2"]
        views = counting(monkeypatch, screen.controller, "load_view")
        trees = counting(monkeypatch, screen.controller, "load_tree")
        add_elsewhere(db_url, f"{KEY}:M1.2", "2026-11", 96.0, settings.today)
        await wait_for(pilot, lambda: "96% (2026-11)" in line_texts(listing).get("M1.2", ""))
        assert "GREEN" in line_texts(listing)["M1.2"]
        # Only readings changed: the actions and the plan tree were not read again.
        assert views == []
        assert trees == []


async def test_board_shows_a_reading_added_elsewhere_without_reading_the_board_again(
    sample_store: Store, settings: RuleSettings, db_url: str, monkeypatch: Any
) -> None:
    app = build(sample_store, settings, poll_interval=POLL)
    async with app.run_test(size=(120, 44)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        await pilot.press("down")  # from "All plans" to Staffordshire's 2024 plan
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BoardScreen)
        assert "84.7% (2026-10)" in line_texts(screen)["M1.2"]
        boards = counting(monkeypatch, app.session.store, "board_view")
        add_elsewhere(db_url, f"{KEY}:M1.2", "2026-11", 96.0, settings.today)
        await wait_for(pilot, lambda: "96% (2026-11)" in line_texts(screen).get("M1.2", ""))
        assert boards == []  # the board's numbers are the actions': not read again
        assert app.screen is screen


async def test_a_measures_history_follows_readings_written_elsewhere(
    sample_store: Store, settings: RuleSettings, db_url: str
) -> None:
    """A measure's history, open over the scorecard, shows a reading and a correction
    written by another process, and keeps the cursor on the period it was on."""
    from tracker.tui.screens.measures import MeasureHistoryScreen

    app = build(sample_store, settings, poll_interval=POLL)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MeasureHistoryScreen)
        table = screen.query_one(DataTable)
        before = table.row_count
        assert before > 2
        await pilot.press("up")
        await settle(pilot)
        period = str(table.get_row_at(table.cursor_row)[0])
        address = screen.row.address
        add_elsewhere(db_url, address, "2026-11", 12.5, settings.today)

        def periods() -> list[str]:
            return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]

        await wait_for(pilot, lambda: "2026-11" in periods())
        assert table.row_count == before + 1
        assert str(table.get_row_at(table.cursor_row)[0]) == period
        # A correction of the period under the cursor shows, with the correction listed.
        add_elsewhere(db_url, address, period, 13.25, settings.today)

        def corrected() -> bool:
            return "13.25" in str(table.get_row_at(periods().index(period))[1])

        await wait_for(pilot, corrected)
        assert "another.secretary" in str(screen.query_one("#corrections", Static).render())
