"""The TUI's export as a user trial found it (issue 12, item 13): the toast names the full
path written, and a filtered view's default file name says which filter it holds."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input
from tui_support import build, notifications, settle

from tracker.domain.rules import RuleSettings
from tracker.storage.store import Store
from tracker.tui.screens.export import ExportScreen, filtered_name


def test_a_filtered_views_default_name_says_which_filter() -> None:
    default = Path("tracker-snapshot-2026-11-25.csv")
    assert filtered_name(default, "") == default
    assert filtered_name(default, "overdue only") == Path(
        "tracker-snapshot-2026-11-25-overdue-only.csv"
    )
    assert filtered_name(default, "plan staffordshire-2024-ilacs R1, owner ~ 'Head'") == Path(
        "tracker-snapshot-2026-11-25-plan-staffordshire-2024-ilacs-r1-owner-head.csv"
    )


async def test_the_toast_gives_the_full_path(
    sample_store: Store,
    settings: RuleSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    app = build(sample_store, settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ExportScreen)
        field = dialog.query_one("#path", Input)
        assert field.value == "tracker-snapshot-2026-11-25-overdue-only.csv"
        await pilot.press("enter")
        await settle(pilot, rounds=6)
    written = tmp_path / "tracker-snapshot-2026-11-25-overdue-only.csv"
    assert written.is_file()
    assert any(f"to {written}" in n for n in notifications(app))
