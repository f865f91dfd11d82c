"""Measures in the terminal UI: the `k` scorecard, one measure's history, adding a reading,
the detail panel's and the board view's measures with sparklines, and their snapshots."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import TODAY
from rich.cells import cell_len
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Sparkline, Static
from tui_support import SIZE, build, notifications, settle

from tracker.domain.rules import RuleSettings
from tracker.formats.plan_toml import load_plan_file
from tracker.storage.measures import MeasureChanges, MeasureStore
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
    if width == 160:  # every name whole: the period gives way (the panel says it)
        assert "period" not in keys
        assert all(cell_len(m.name) <= names["name"] for m in rows)
        # wider still, the period shows beside the whole names
        wider = {c.key: c.width for c in score_columns(width - 2 + 9, rows)}
        assert "period" in wider
        assert all(cell_len(m.name) <= wider["name"] for m in rows)


async def test_the_columns_follow_the_terminal_when_it_is_resized(app: TrackerApp) -> None:
    async with app.run_test(size=(160, 50)) as pilot:
        await open_measures(pilot)
        await pilot.press("down", "down")
        table = app.screen.query_one(DataTable)
        wide = [c.key.value for c in table.columns.values()]
        assert {"prev", "year"} <= set(wide)
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        narrow = [c.key.value for c in table.columns.values()]
        assert narrow == ["plan", "ref", "rag", "latest", "target", "name"]
        assert sum(c.get_render_width(table) for c in table.columns.values()) <= 78
        assert table.row_count == 12
        assert table.cursor_row == 2  # still on the measure it was on


# --- adding, editing, retiring and reinstating measures ---------------------------------

PLAN = "staffordshire-2024-ilacs"


def _fill(form: Any, **values: str) -> None:
    from textual.widgets import Select

    for name, value in values.items():
        widget = form.query_one(f"#{name}")
        if isinstance(widget, Select):
            widget.value = value
        else:
            widget.value = value


def _error(form: Any, name: str) -> str:
    widget = form.query_one(f"#{name}-error", Static)
    return str(widget.render()) if widget.display else ""


def _rows(app: TrackerApp) -> list[str]:
    table = app.screen.query_one(DataTable)
    keys = [c.key.value for c in table.columns.values()]
    return [
        " ".join(str(cell) for key, cell in zip(keys, table.get_row_at(i), strict=True))
        for i in range(table.row_count)
    ]


async def test_n_adds_a_measure_under_the_highlighted_ones_recommendation(
    app: TrackerApp, store: Store
) -> None:
    from tracker.tui.screens.measure_forms import NewMeasureForm

    async with app.run_test(size=SIZE) as pilot:
        await open_measures(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NewMeasureForm)
        assert (form.value("plan"), form.value("rec"), form.value("ref")) == (PLAN, "R1", "M1.3")
        assert form.value("tolerance") == "10"
        assert form.query_one("#save-button").disabled  # no name, no target yet
        _fill(form, name="Re-referrals within 12 months [bold]", unit="%", target="18")
        _fill(form, direction="down", baseline="22.5", baseline_period="2024-03")
        await pilot.pause()
        assert not form.query_one("#save-button").disabled
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, MeasuresScreen)
        assert f"Added {PLAN}:M1.3: Re-referrals within 12 months [bold]" in notifications(app)
        assert app.screen.current is not None
        assert app.screen.current.address == f"{PLAN}:M1.3"  # the cursor is on it
        assert any("Re-referrals within 12 months [bold]" in r for r in _rows(app))
    row = MeasureStore(store).measure(f"{PLAN}:M1.3")
    assert (row.name, row.unit, row.direction, row.target, row.tolerance) == (
        "Re-referrals within 12 months [bold]",
        "%",
        "down",
        18.0,
        10.0,
    )
    assert (row.baseline, row.baseline_period, row.recommendation) == (22.5, "2024-03", "R1")
    history = MeasureStore(store).history(row.id)
    assert [(h.field, h.new, h.by) for h in history] == [("created", "M1.3", "test.secretary")]


async def test_the_add_form_takes_another_plan_and_recommendation(
    app: TrackerApp, store: Store
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await open_measures(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        _fill(form, plan="stoke-on-trent-2022-ilacs")
        await pilot.pause()
        assert form.value("rec") == "R1"
        assert form.value("ref") == "M1.2"  # the next free ref there
        _fill(form, rec="R2")
        await pilot.pause()
        assert form.value("ref") == "M2.2"
        _fill(form, name="Strategy meetings within 5 days", target="90", frequency="quarterly")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
    row = MeasureStore(store).measure("stoke-on-trent-2022-ilacs:M2.2")
    assert (row.recommendation, row.frequency) == ("R2", "quarterly")


async def test_bad_input_is_refused_beside_its_field(app: TrackerApp, store: Store) -> None:
    before = MeasureStore(store).stamp()
    async with app.run_test(size=SIZE) as pilot:
        await open_measures(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        _fill(form, name="Visits on time", target="lots", tolerance="-5")
        _fill(form, baseline_period="2023-Q3", ref="M1.1")
        await pilot.pause()
        assert "'lots' is not a number" in _error(form, "target")
        assert "tolerance is a percentage of the target: 0 or more" in _error(form, "tolerance")
        assert "not a period of this monthly measure" in _error(form, "baseline_period")
        assert f"M1.1 is already a ref in {PLAN}" in _error(form, "ref")
        assert form.query_one("#save-button").disabled
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form  # still open: nothing to save
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MeasuresScreen)
    assert MeasureStore(store).stamp() == before  # nothing written


async def test_e_saves_only_the_fields_changed(app: TrackerApp, store: Store) -> None:
    from tracker.tui.screens.measure_forms import MeasureEditForm

    async with app.run_test(size=SIZE) as pilot:
        await open_measures(pilot)
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, MeasureEditForm)
        assert (form.value("target"), form.value("baseline"), form.value("unit")) == (
            "85",
            "74.2",
            "%",
        )
        assert form.query_one("#frequency").disabled  # it has readings
        _fill(form, target="88", baseline="", baseline_period="")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any(n.startswith(f"Saved {PLAN}:M1.1:") for n in notifications(app))
    ms = MeasureStore(store)
    row = ms.measure(f"{PLAN}:M1.1")
    assert (row.target, row.baseline, row.baseline_period, row.unit) == (88.0, None, None, "%")
    changed = [(h.field, h.old, h.new) for h in ms.history(row.id) if h.by == "test.secretary"]
    assert sorted(changed) == [
        ("baseline", "74.2", None),
        ("baseline_period", "2023-10", None),
        ("target", "85", "88"),
    ]


async def test_a_stale_edit_is_refused_and_nothing_written(app: TrackerApp, store: Store) -> None:
    from tracker.storage.measures import MeasureChanges

    async with app.run_test(size=SIZE) as pilot:
        await open_measures(pilot)
        await pilot.press("e")
        await settle(pilot)
        _fill(app.screen, target="88", name="Assessments on time")
        await pilot.pause()
        # Someone else changes the measure while the form is open.
        MeasureStore(store).edit_measure(
            f"{PLAN}:M1.1", MeasureChanges(target=90.0), user="other.officer"
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any(
            "someone else changed this measure since you read it; nothing was written" in n
            for n in notifications(app)
        )
        current = app.screen.current
        assert current is not None
        assert current.target == 90.0  # reloaded: what the store holds now
    row = MeasureStore(store).measure(f"{PLAN}:M1.1")
    assert (row.target, row.name) == (
        90.0,
        "Child and family assessments completed within 45 working days",
    )


async def test_x_retires_after_asking_and_r_shows_it_to_reinstate(
    app: TrackerApp, store: Store
) -> None:
    from tracker.tui.screens.forms import ConfirmScreen

    address = f"{PLAN}:M1.2"
    async with app.run_test(size=SIZE) as pilot:
        await open_measures(pilot)
        await pilot.press("down", "x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # no: nothing changes
        await settle(pilot)
        assert MeasureStore(store).measure(address).status == "active"
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 11  # retired measures are hidden
        assert address not in [m.address for m in app.screen.rows]
        assert any(f"Retired {address}" in n for n in notifications(app))
        assert MeasureStore(store).measure(address).status == "retired"
        await pilot.press("r")
        await settle(pilot)
        assert table.row_count == 12
        assert "retired · Contacts with a recorded" in _rows(app)[1]
        await pilot.press("up")
        await settle(pilot)
        panel = str(app.screen.query_one("#measure-text", Static).render())
        assert f"{address} RETIRED (x reinstates it)" in panel
        assert "retired shown" in str(app.screen.query_one("#measures-title", Static).render())
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.title_text == f"Reinstate {address}?"
        await pilot.press("y")
        await settle(pilot)
        assert any(f"Reinstated {address}" in n for n in notifications(app))
    ms = MeasureStore(store)
    row = ms.measure(address)
    assert row.status == "active"
    statuses = [(h.old, h.new) for h in ms.history(row.id) if h.field == "status"]
    assert statuses == [("active", "retired"), ("retired", "active")]


async def test_read_only_refuses_measure_changes_with_a_notice(
    store: Store, settings: RuleSettings, tmp_path: Path
) -> None:
    reader = Store.open(f"sqlite:///{tmp_path / 'snap.db'}", read_only=True)
    before = MeasureStore(store).stamp()
    try:
        app = build(reader, settings, read_only=True)
        async with app.run_test(size=SIZE) as pilot:
            await open_measures(pilot)
            screen = app.screen
            assert isinstance(screen, MeasuresScreen)
            titles = [c.title for c in app.get_system_commands(screen)]
            assert "measure: Show retired" in titles
            assert not any(
                t in titles for t in ("measure: Add", "measure: Edit", "measure: Retire")
            )
            for key in ("n", "e", "x"):
                await pilot.press(key)
                await settle(pilot)
                assert app.screen is screen
            notices = notifications(app)
            assert (
                notices.count("The store is open read-only: measures cannot be added or changed.")
                == 3
            )
    finally:
        reader.close()
    assert MeasureStore(store).stamp() == before


async def test_the_palette_offers_the_measure_commands(app: TrackerApp, store: Store) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "view: Measures of impact" in titles
        await open_measures(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for title in ("measure: Add", "measure: Edit", "measure: Retire", "measure: Show retired"):
            assert title in titles
        add = next(c for c in app.get_system_commands(app.screen) if c.title == "measure: Add")
        add.callback()
        await settle(pilot)
        from tracker.tui.screens.measure_forms import NewMeasureForm

        assert isinstance(app.screen, NewMeasureForm)


def test_help_lists_the_measure_keys(settings: RuleSettings) -> None:
    from tracker.tui.screens.help import help_text

    text = help_text(settings)
    assert "`k` then `n` / `e`" in text
    assert "`k` then `x` / `r`" in text


@pytest.mark.parametrize("size", SIZES, ids=lambda s: "x".join(map(str, s)))
def test_add_measure_form_snapshot(
    app: TrackerApp, snap_compare: Any, size: tuple[int, int]
) -> None:
    """The add form: plan and recommendation lists, the next free ref, a problem beside it."""

    async def add(pilot: Pilot[Any]) -> None:
        await open_measures(pilot)
        await pilot.press("n")
        await settle(pilot)
        _fill(pilot.app.screen, name="Re-referrals within 12 months", target="lots")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=add)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: "x".join(map(str, s)))
def test_edit_measure_form_snapshot(
    app: TrackerApp, snap_compare: Any, size: tuple[int, int]
) -> None:
    """The edit form: every field filled in, the frequency fixed by its readings."""

    async def edit(pilot: Pilot[Any]) -> None:
        await open_measures(pilot)
        await pilot.press("e")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=edit)


async def test_the_first_screenful_shows_then_the_rest(
    app: TrackerApp, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scorecard is read twice, the first rows alone then all, from the light reader."""
    from tracker.storage import fastmeasures
    from tracker.tui.screens import measures as screen_module

    monkeypatch.setattr(screen_module, "FIRST_BATCH", 5)
    monkeypatch.setattr(screen_module, "BATCH", 3)
    asked: list[int | None] = []
    light = fastmeasures.fast_scorecard

    def counted(*args: Any, **kwargs: Any) -> Any:
        asked.append(kwargs.get("first"))
        return light(*args, **kwargs)

    monkeypatch.setattr(fastmeasures, "fast_scorecard", counted)
    async with app.run_test(size=SIZE) as pilot:
        await open_measures(pilot)
        screen = app.screen
        assert isinstance(screen, MeasuresScreen)
        table = screen.query_one(DataTable)
        expected = MeasureStore(store).scorecard(recent=0)
        assert table.row_count == len(expected) == 12
        refs = [str(table.get_row_at(i)[1]) for i in range(12)]
        assert refs == [m.ref for m in expected]
        assert screen.rows == expected
    assert asked[-2:] == [5, None]  # the first screenful, then the rest


async def test_a_name_with_brackets_is_shown_as_written(app: TrackerApp, store: Store) -> None:
    from tracker.domain.plan import MeasureData

    name = "[bold]Seen[/bold] within [timescale"
    MeasureStore(store).add_measure(
        "staffordshire-2024-ilacs:R1",
        MeasureData(ref="M1.9", name=name, direction="up", target=80.0, unit="%"),
        user="other",
    )
    async with app.run_test(size=(220, 36)) as pilot:  # wide: the Name column shows whole
        await open_measures(pilot)
        table = app.screen.query_one(DataTable)
        lines = [table.render_line(y).text for y in range(table.size.height)]
        (line,) = [t for t in lines if " M1.9 " in t]
        assert line.rstrip().endswith(name)  # the brackets are the name's, never markup


async def test_add_edit_retire_and_reinstate_on_each_engine(
    sample_store: Store, settings: RuleSettings
) -> None:
    """The whole round on SQLite and PostgreSQL: keys and forms only, read back from the store."""
    app = build(sample_store, settings)
    address = f"{PLAN}:M1.3"
    async with app.run_test(size=SIZE) as pilot:
        await open_measures(pilot)
        await pilot.press("n")
        await settle(pilot)
        _fill(app.screen, name="Return interviews within 72 hours", unit="%", target="80")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MeasuresScreen)
        assert screen.current is not None
        assert screen.current.address == address
        await pilot.press("e")
        await settle(pilot)
        _fill(app.screen, target="85", tolerance="5")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert address not in [m.address for m in screen.rows]
        await pilot.press("r")
        await settle(pilot)
        assert address in [m.address for m in screen.rows]
        screen.query_one(DataTable).move_cursor(
            row=[m.address for m in screen.rows].index(address), animate=False
        )
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
    ms = MeasureStore(sample_store)
    row = ms.measure(address)
    assert (row.name, row.target, row.tolerance, row.status) == (
        "Return interviews within 72 hours",
        85.0,
        5.0,
        "active",
    )
    fields = [h.field for h in ms.history(row.id)]
    assert fields == ["created", "target", "tolerance", "status", "status"]


def _x_label(screen: Any) -> str:
    """What the footer says `x` does on `screen` now."""
    return str(screen.active_bindings["x"].binding.description)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: "x".join(map(str, s)))
async def test_the_title_is_never_cut(app: TrackerApp, size: tuple[int, int]) -> None:
    async with app.run_test(size=size) as pilot:
        await open_measures(pilot)
        title = app.screen.query_one("#measures-title", Static)
        text = str(title.render())
        assert text.startswith(f"Measures of impact · as at {TODAY.isoformat()}")
        assert cell_len(text) <= title.content_region.width
        gloss = " · latest reading, RAG and direction of travel"
        assert text.endswith(gloss) == (size[0] >= 120)
        await pilot.press("r")
        await settle(pilot)
        text = str(title.render())
        assert "retired shown (r hides them)" in text
        assert cell_len(text) <= title.content_region.width


async def test_the_footer_says_reinstate_on_a_retired_measure(
    app: TrackerApp, store: Store
) -> None:
    address = f"{PLAN}:M1.2"
    MeasureStore(store).edit_measure(address, MeasureChanges(status="retired"), user="seed")
    async with app.run_test(size=SIZE) as pilot:
        await open_measures(pilot)
        screen = app.screen
        assert _x_label(screen) == "Retire"
        await pilot.press("r")
        await settle(pilot)
        assert notifications(app) == []  # the title says it; nothing covers the rows
        await pilot.press("down")  # the retired M1.2
        await settle(pilot)
        assert screen.current is not None
        assert screen.current.address == address
        assert _x_label(screen) == "Reinstate"
        footer = " ".join(str(k.render()) for k in screen.query("FooterKey"))
        assert "Reinstate" in footer
        assert "Retire " not in footer + " "
        await pilot.press("up")
        await settle(pilot)
        assert _x_label(screen) == "Retire"


async def test_history_offers_edit_and_retire_through_the_same_forms(
    app: TrackerApp, store: Store
) -> None:
    from tracker.tui.screens.forms import ConfirmScreen
    from tracker.tui.screens.measure_forms import MeasureEditForm

    address = f"{PLAN}:M1.2"
    async with app.run_test(size=SIZE) as pilot:
        await open_measures(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        history = app.screen
        assert isinstance(history, MeasureHistoryScreen)
        assert "e: edit · x: retire · esc: close" in str(
            history.query_one("#hint", Static).render()
        )
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, MeasureEditForm)
        _fill(form, target="96")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is history
        assert f"Saved {address}: target changed" in notifications(app)
        assert "Target ≥ 96%" in str(history.query_one("#history-title", Static).render())
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.title_text == f"Retire {address}?"
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is history
        assert any(n.startswith(f"Retired {address}") for n in notifications(app))
        assert "RETIRED" in str(history.query_one("#history-title", Static).render())
        assert "x: reinstate" in str(history.query_one("#hint", Static).render())
        assert _x_label(history) == "Reinstate"
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.title_text == f"Reinstate {address}?"
        await pilot.press("y")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MeasuresScreen)
    ms = MeasureStore(store)
    row = ms.measure(address)
    assert (row.status, row.target) == ("active", 96.0)
    statuses = [(h.old, h.new) for h in ms.history(row.id) if h.field == "status"]
    assert statuses == [("active", "retired"), ("retired", "active")]


async def test_the_charts_say_their_periods_range_and_target(app: TrackerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await open_measures(pilot)
        caption = str(app.screen.query_one("#chart-label", Static).render())
        # M1.1: the last twelve monthly readings; none reached 85% (GREEN within tolerance)
        assert (
            caption
            == "2025-11 to 2026-10 · lowest 77.8%, highest 83.7% · target ≥ 85% met in 0 of 12"
        )
        await pilot.press("down", "down")  # M3.1, AMBER
        await settle(pilot)
        caption = str(app.screen.query_one("#chart-label", Static).render())
        assert caption.startswith("2025-11 to 2026-10 · lowest ")
        assert caption.endswith("target ≥ 100% met in 0 of 12")
        await pilot.press("enter")
        await settle(pilot)
        history = app.screen
        assert isinstance(history, MeasureHistoryScreen)
        caption = str(history.query_one("#chart-caption", Static).render())
        assert caption.startswith("2024-11 to 2026-10 · lowest ")
        assert caption.endswith(" of 24")


def test_chart_caption_counts_periods_that_met_the_target(store: Store) -> None:
    from tracker.tui.widgets.measures import chart_caption

    row = MeasureStore(store).measure("staffordshire-2025-focused-visit:M1.1")  # ≤ 18 children
    points = [("2026-08", 17.0), ("2026-09", 18.0), ("2026-10", 19.4)]
    assert chart_caption(row, points).plain == (
        "2026-08 to 2026-10 · lowest 17 children, highest 19.4 children · "
        "target ≤ 18 children met in 2 of 3"
    )
    assert chart_caption(row, []).plain == "No readings yet."


@pytest.mark.parametrize("size", SIZES, ids=lambda s: "x".join(map(str, s)))
async def test_measure_lines_never_cut_a_phrase(app: TrackerApp, size: tuple[int, int]) -> None:
    import re

    async with app.run_test(size=size) as pilot:
        await board_on_a_plan(pilot)
        listing = app.screen.query_one("#board-measures", MeasureList)
        heading = str(listing.query_one(".measures-heading", Static).render())
        assert heading.endswith("· bars: the last 12 periods")
        for line in listing.query(MeasureLine):
            text_widget = line.query(Static).last()
            text = str(text_widget.render())
            assert cell_len(text) <= text_widget.content_size.width
            assert re.search(r"(GREEN|AMBER|RED) ", text)
            assert "vs target " in text
            # a direction of travel is whole (arrow, word and what it is against) or absent
            assert len(re.findall(r"[▲▼▶] \w+ on last (?:period|year)", text)) == len(
                re.findall(r"[▲▼▶] ", text)
            )
            assert not text.rstrip().endswith((" on", " on last", "▼", "▲", "▶"))
        texts = [str(line.query(Static).last().render()) for line in listing.query(MeasureLine)]
        if size[0] >= 160:
            assert "▼ worse on last period  ▲ improved on last year  Child and family" in texts[0]
        if size[0] == 80:
            assert texts[0].endswith("vs target ≥ 85%  Child and family a…")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: "x".join(map(str, s)))
async def test_the_reading_form_shows_count_and_total_side_by_side(
    app: TrackerApp, size: tuple[int, int]
) -> None:
    async with app.run_test(size=size) as pilot:
        await open_measures(pilot)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ReadingForm)
        box = form.query_one("#form").region
        assert box.bottom <= size[1]  # the form fits the terminal; it scrolls within
        count, of = form.query_one("#count", Input).region, form.query_one("#of", Input).region
        assert count.width >= 10
        assert of.width >= 10
        assert count.y == of.y
        assert count.right < of.x
        assert of.right <= box.right
        title = str(form.query(Static).first().render())
        assert title.endswith("Child and family assessments completed within 45 working days")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: "x".join(map(str, s)))
async def test_history_keeps_rows_for_the_readings(app: TrackerApp, size: tuple[int, int]) -> None:
    async with app.run_test(size=size) as pilot:
        await open_measures(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        history = app.screen
        assert isinstance(history, MeasureHistoryScreen)
        table = history.query_one(DataTable)
        # header and horizontal scrollbar aside, at least five readings show
        assert table.scrollable_content_region.height - 1 >= (5 if size[1] < 30 else 12)
        hint = history.query_one("#hint", Static)
        assert hint.size.height == 1  # the keys on one line
        assert hint.region.bottom <= history.query_one("#dialog").region.bottom


@pytest.mark.parametrize("size", SIZES, ids=lambda s: "x".join(map(str, s)))
async def test_the_panel_never_splits_a_phrase_across_lines(
    app: TrackerApp, size: tuple[int, int]
) -> None:
    import re

    phrase = re.compile(r"[▲▼▶] \w+ on last (?:period|year)")
    async with app.run_test(size=size) as pilot:
        await open_measures(pilot)
        for _ in range(4):
            for selector in ("#measure-text", "#chart-label"):
                widget = app.screen.query_one(selector, Static)
                width = widget.content_size.width
                lines = [
                    line.plain.rstrip()
                    for line in Text(str(widget.render())).wrap(app.console, width)
                ]
                for line in lines:
                    assert not line.endswith(("▲", "▼", "▶", " on", " on last", " of"))
                    assert not re.match(r"^(improved|worse|same|on last|period|year|\d+$)", line)
                travel_words = sum(len(re.findall(r"[▲▼▶] ", line)) for line in lines)
                assert travel_words == sum(len(phrase.findall(line)) for line in lines)
            await pilot.press("down")
            await settle(pilot)


def test_flow_starts_a_new_line_before_a_phrase_that_would_not_fit() -> None:
    from tracker.tui.widgets.measures import flow

    parts = [Text("Target ≥ 85%"), Text("GREEN 82.6% (2026-10)"), Text("▼ worse on last period")]
    assert flow(parts, 40).plain == "Target ≥ 85% · GREEN 82.6% (2026-10)\n▼ worse on last period"
    assert flow(parts, 80).plain.count("\n") == 0


async def test_no_measure_form_opens_while_a_change_is_being_written(app: TrackerApp) -> None:
    from tracker.tui.screens.measure_forms import MeasureEditForm

    async with app.run_test(size=SIZE) as pilot:
        await open_measures(pilot)
        screen = app.screen
        assert isinstance(screen, MeasuresScreen)
        screen._writes = 1  # a change still on its way to the store
        await pilot.press("e")
        await settle(pilot)
        assert app.screen is screen
        assert "Saving the last change: press the key again in a moment." in notifications(app)
        screen._writes = 0
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, MeasureEditForm)


async def test_retire_goes_ahead_after_another_field_changed_meanwhile(
    app: TrackerApp, store: Store
) -> None:
    address = f"{PLAN}:M1.2"
    async with app.run_test(size=SIZE) as pilot:
        await open_measures(pilot)
        await pilot.press("down", "x")
        await settle(pilot)
        # the name changed since the scorecard was read: the status did not
        MeasureStore(store).edit_measure(address, MeasureChanges(name="Renamed"), user="other")
        await pilot.press("y")
        await settle(pilot)
        assert any(n.startswith(f"Retired {address}") for n in notifications(app))
    assert MeasureStore(store).measure(address).status == "retired"
