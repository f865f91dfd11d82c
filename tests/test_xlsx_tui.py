"""The TUI's `x` offers CSV or Excel: choosing Excel writes the view as a workbook."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from textual.widgets import Input, RadioButton
from tui_support import SIZE, build, count, notifications, settle

from tracker.domain.rules import RuleSettings
from tracker.storage.measures import MeasureStore
from tracker.storage.store import Store
from tracker.tui.screens.export import ExportScreen


async def test_x_then_excel_writes_the_overdue_view_as_a_workbook(
    sample_store: Store, settings: RuleSettings, tmp_path: Path
) -> None:
    app = build(sample_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ExportScreen)
        field = dialog.query_one("#path", Input)
        field.value = str(tmp_path / "board.csv")
        await pilot.pause()
        excel = next(b for b in dialog.query(RadioButton) if b.name == ".xlsx")
        await pilot.click(excel)
        await settle(pilot)
        assert field.value == str(tmp_path / "board.xlsx")
        field.value = str(tmp_path / "typed.csv")  # typing a suffix picks that format
        await settle(pilot)
        csv_button = next(b for b in dialog.query(RadioButton) if b.name == ".csv")
        assert csv_button.value
        assert not excel.value
        field.value = str(tmp_path / "board.xlsx")
        await settle(pilot)
        assert excel.value
        await pilot.press("enter")
        await settle(pilot)
        target = tmp_path / "board.xlsx"
        sheet = openpyxl.load_workbook(target)["Actions"]
        overdue = count(sample_store, settings, overdue=True)
        assert sheet.max_row == overdue + 1
        assert {r[0] for r in sheet.iter_rows(min_row=2, min_col=16, values_only=True)} == {"yes"}
        assert any(str(target) in n for n in notifications(app))
        # The measures sheets come with it, as `tracker export` writes them: the overdue
        # filter chooses actions, so every plan's measures are there.
        book = openpyxl.load_workbook(target)
        scorecard = MeasureStore(sample_store).scorecard()
        assert scorecard
        measures = [r[:3] for r in book["Measures"].iter_rows(min_row=2, values_only=True)]
        assert measures == [(m.plan, m.recommendation, m.ref) for m in scorecard]
        assert book["Readings"].max_row > len(scorecard)
