"""Measures in the terminal UI: the `k` scorecard, one measure's history, adding a reading,
the detail panel's and the board view's measures with sparklines, and their snapshots."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import TODAY
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Sparkline, Static
from tui_support import SIZE, build, notifications, settle

from tracker.domain.rules import RuleSettings
from tracker.formats.plan_toml import load_plan_file
from tracker.storage.measures import MeasureStore
from tracker.storage.store import Store
from tracker.tui.app import TrackerApp
from tracker.tui.screens.board import BoardScreen
from tracker.tui.screens.measures import MeasureHistoryScreen, MeasuresScreen, ReadingForm
from tracker.tui.widgets.measures import MeasureLine, MeasureList

SAMPLES = Path(__file__).resolve().parent.parent / "sample_plans"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(f"sqlite:///{tmp_path / 'snap.db'}")
    plans = [(p.name, load_plan_file(p)) for p in sorted(SAMPLES.glob("*.toml"))]
    store.import_plans(plans, user="seed")
    yield store
    store.close()


@pytest.fixture
def app(store: Store, settings: RuleSettings) -> TrackerApp:
    return build(store, settings, location="sample-plans.db")


async def open_measures(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("k")
    await settle(pilot)


async def board_on_a_plan(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("b")
    await settle(pilot)
    await pilot.press("down")  # from "All plans" to Staffordshire's 2024 plan
    await settle(pilot)


async def test_k_lists_the_scorecard_and_escape_closes_it(app: TrackerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await open_measures(pilot)
        screen = app.screen
        assert isinstance(screen, MeasuresScreen)
        table = screen.query_one(DataTable)
        assert table.row_count == 12
        keys = [c.key.value for c in table.columns.values()]
        first = dict(zip(keys, (str(c) for c in table.get_row_at(0)), strict=True))
        assert (first["plan"], first["ref"], first["rag"]) == ("sta…24-ilacs", "M1.1", "GREEN")
        assert (first["latest"], first["target"]) == ("82.6%", "≥ 85%")
        assert (first["prev"], first["year"]) == ("▼ worse", "▲ improved")
        chart = screen.query_one("#measure-chart", Sparkline)
        assert len(chart.data or []) == 12
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, MeasuresScreen)


async def test_history_shows_every_reading_and_a_reading_can_be_added(
    app: TrackerApp, store: Store
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await open_measures(pilot)
        await pilot.press("down", "enter")  # M1.2, RED
        await settle(pilot)
        history = app.screen
        assert isinstance(history, MeasureHistoryScreen)
        assert history.query_one(DataTable).row_count == 24
        assert len(history.query_one("#history-chart", Sparkline).data or []) == 24
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ReadingForm)
        assert form.query_one("#period", Input).value == "2026-11"
        await pilot.press(*"lots")
        assert "'lots' is not a number" in str(form.query_one("#value-problem", Static).render())
        form.query_one("#value", Input).value = "91.5"
        form.query_one("#note", Input).value = "Duty rota extended"
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, MeasureHistoryScreen)
        assert app.screen.query_one(DataTable).row_count == 25
        assert "staffordshire-2024-ilacs:M1.2 2026-11: recorded 91.5%" in notifications(app)
    ms = MeasureStore(store)
    row = ms.measure("staffordshire-2024-ilacs:M1.2")
    assert (row.score.period, row.score.value, row.latest_note) == (
        "2026-11",
        91.5,
        "Duty rota extended",
    )
    assert ms.history(row.id)[-1].by == "test.secretary"


async def test_a_stale_form_is_refused(app: TrackerApp, store: Store) -> None:
    from tracker.domain.measures import ReadingInput

    async with app.run_test(size=SIZE) as pilot:
        await open_measures(pilot)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ReadingForm)
        form.query_one("#period", Input).value = "2026-10"
        form.query_one("#value", Input).value = "80"
        await settle(pilot)
        # Someone else corrects October while the form is open.
        MeasureStore(store).add_readings(
            [ReadingInput("staffordshire-2024-ilacs:M1.1", "2026-10", 83.0)],
            user="other",
            today=TODAY,
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any("someone else changed this reading" in n for n in notifications(app))
    row = MeasureStore(store).measure("staffordshire-2024-ilacs:M1.1")
    assert row.score.value == 83.0


async def test_detail_panel_shows_the_recommendations_measures(app: TrackerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        listing = app.screen.query_one("#detail-measures", MeasureList)
        lines = list(listing.query(MeasureLine))
        assert [line.measure.ref for line in lines] == ["M1.1", "M1.2"]
        text = str(lines[1].query_one(Static).render())
        assert "RED" in text
        assert "84.7% (2026-10) vs target ≥ 95%" in text
        assert "▼ worse on last period" in text
        assert len(lines[1].query_one(Sparkline).data or []) == 12


async def test_board_shows_the_highlighted_plans_measures(app: TrackerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await board_on_a_plan(pilot)
        assert isinstance(app.screen, BoardScreen)
        lines = list(app.screen.query(MeasureLine))
        assert [line.measure.ref for line in lines] == ["M1.1", "M1.2", "M3.1", "M4.1", "M4.2"]
        await pilot.press("down", "down", "down")  # R1, R2, R3: LADO
        await settle(pilot)
        assert [line.measure.ref for line in app.screen.query(MeasureLine)] == ["M3.1"]


SIZES = [(80, 24), (120, 40), (160, 50)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: "x".join(map(str, s)))
def test_measures_screen_snapshot(
    app: TrackerApp, snap_compare: Any, size: tuple[int, int]
) -> None:
    """The measures screen: columns fitted to the width, RAG words, arrows with words."""
    assert snap_compare(app, terminal_size=size, run_before=open_measures)


def test_board_view_with_measures_snapshot(app: TrackerApp, snap_compare: Any) -> None:
    """The board view on one plan: its measures with sparklines above the trend."""
    assert snap_compare(app, terminal_size=(120, 44), run_before=board_on_a_plan)


@pytest.mark.parametrize("width", [80, 120, 160])
def test_columns_fit_the_width_and_keep_rows_apart(store: Store, width: int) -> None:
    from rich.cells import cell_len

    from tracker.tui.widgets.measure_columns import score_cells, score_columns

    rows = MeasureStore(store).scorecard(recent=0)
    columns = score_columns(width - 2, rows)  # the scrollbar's two cells kept aside
    assert sum(c.width + 2 for c in columns) == width - 2  # all of it used, none over
    keys = [c.key for c in columns]
    assert keys[:3] == ["plan", "ref", "rag"]
    assert keys[-1] == "name"
    shown = [score_cells(m, columns) for m in rows]
    plan_ref = [(cells[0].plain, cells[1].plain) for cells in shown]
    assert len(set(plan_ref)) == len(rows)  # every row told apart
    for cells in shown:  # RAG, value and target whole (the units are short enough here)
        for column, cell in zip(columns, cells, strict=True):
            if column.key in ("ref", "rag", "prev", "year", "period"):
                assert cell_len(cell.plain) <= column.width
    names = dict(zip(keys, (c.width for c in columns), strict=True))
    if width == 80:
        assert "prev" not in keys
        assert names["name"] >= 24
    else:
        assert {"prev", "year"} <= set(keys)
    if width == 160:
        assert "period" in keys
        whole = [m for m in rows if len(m.name) <= names["name"]]
        assert len(whole) >= len(rows) - 1  # all but the longest name whole
