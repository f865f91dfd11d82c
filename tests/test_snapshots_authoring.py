"""Snapshots of the forms that change the plan, at fixed sizes and today, on the sample plans:
the add form, the full edit form at 80x24, bulk edit of three marked actions, and the undo
confirmation. Regenerate with `--snapshot-update`, then look at them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select
from tui_support import build, settle

from tracker.domain.rules import RuleSettings
from tracker.formats.plan_toml import load_plan_file
from tracker.storage.store import Store
from tracker.tui.app import TrackerApp

SAMPLES = Path(__file__).resolve().parent.parent / "sample_plans"


@pytest.fixture
def app(tmp_path: Path, settings: RuleSettings) -> Iterator[TrackerApp]:
    """The app on a SQLite store of one sample plan, named the same every run."""
    store = Store.open(f"sqlite:///{tmp_path / 'snap.db'}")
    path = SAMPLES / "staffordshire-2024-ilacs.toml"
    store.import_plans([(path.name, load_plan_file(path))], user="seed")
    yield build(store, settings, location="sample-plans.db")
    store.close()


def test_add_action_form(app: TrackerApp, snap_compare: Any) -> None:
    """Every field, the next free ref, the typed deadline echoed as the day it means."""

    async def add(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        screen = pilot.app.screen
        screen.query_one("#description", Input).value = "Audit of supervision records"
        screen.query_one("#deadline", Input).value = "+2w"
        await settle(pilot)

    assert snap_compare(app, terminal_size=(100, 34), run_before=add)


def test_full_edit_form_at_80x24(app: TrackerApp, snap_compare: Any) -> None:
    """Every field in sections; at 80x24 the fields scroll and Save/Cancel stay shown."""

    async def edit(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        pilot.app.screen.query_one("#deadline", Input).value = "+3m"
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=edit)


def test_bulk_edit_of_three_marked(app: TrackerApp, snap_compare: Any) -> None:
    """Three rows marked (the * and the count), one form for all of them."""

    async def bulk(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("space", "space", "space")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        screen = pilot.app.screen
        screen.query_one("#status", Select).value = "complete"
        screen.query_one("#note", Input).value = "agreed at the board"
        await settle(pilot)

    assert snap_compare(app, terminal_size=(100, 34), run_before=bulk)


def test_marked_rows_and_count(app: TrackerApp, snap_compare: Any) -> None:
    """Marked rows carry a * and the summary counts them."""

    async def mark(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("space", "space", "space")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(100, 34), run_before=mark)


def test_undo_confirmation(app: TrackerApp, snap_compare: Any) -> None:
    """u says what it will revert and asks first."""

    async def undo(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("space", "space", "space", "e")
        await settle(pilot)
        pilot.app.screen.query_one("#owner", Input).value = "Quality Lead"
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(100, 34), run_before=undo)
