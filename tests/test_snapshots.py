"""Snapshots of what a person sees, at a fixed size and today, on the sample plans.

Regenerate with `pytest tests/test_snapshots.py --snapshot-update`, then look at them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input
from tui_support import build, settle

from tracker.domain.rules import RuleSettings
from tracker.formats.plan_toml import load_plan_file
from tracker.storage.store import Store
from tracker.tui.app import TrackerApp

SAMPLES = Path(__file__).resolve().parent.parent / "sample_plans"


@pytest.fixture
def app(tmp_path: Path, settings: RuleSettings) -> Iterator[TrackerApp]:
    """The app on a SQLite store of the sample plans, its location named the same every run."""
    store = Store.open(f"sqlite:///{tmp_path / 'snap.db'}")
    plans = [(p.name, load_plan_file(p)) for p in sorted(SAMPLES.glob("*.toml"))]
    store.import_plans(plans, user="seed")
    yield build(store, settings, location="sample-plans.db")
    store.close()


async def _settled(pilot: Pilot[Any]) -> None:
    await settle(pilot)


def test_main_screen(app: TrackerApp, snap_compare: Any) -> None:
    """The main screen: tree, table naming each row's plan, OVERDUE flags, detail and summary."""
    assert snap_compare(app, terminal_size=(140, 40), run_before=_settled)


def test_main_screen_small_terminal(app: TrackerApp, snap_compare: Any) -> None:
    """At 80x24 the tree hides and the table keeps ref, owner, deadline, RAG and the flag."""
    assert snap_compare(app, terminal_size=(80, 24), run_before=_settled)


def test_overdue_view(app: TrackerApp, snap_compare: Any) -> None:
    """`o` shows only overdue actions and the summary says so."""

    async def overdue(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(140, 40), run_before=overdue)


def test_edit_form_with_an_error(app: TrackerApp, snap_compare: Any) -> None:
    """The edit form says what is wrong beside the field and Save is disabled."""

    async def bad_progress(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        pilot.app.screen.query_one("#progress", Input).value = "120"
        pilot.app.screen.query_one("#deadline", Input).value = "+2m"
        await settle(pilot)

    assert snap_compare(app, terminal_size=(100, 34), run_before=bad_progress)


def test_help(app: TrackerApp, snap_compare: Any) -> None:
    """`?` opens the help page: keys and what RAG, overdue and due soon mean."""
    assert snap_compare(app, terminal_size=(100, 34), press=["question_mark"], run_before=_settled)


# Issue 12: what a board secretary sees at the smallest and a wide terminal.
SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=["80x24", "160x50"])


@SIZES
def test_main_screen_across_plans(
    app: TrackerApp, snap_compare: Any, size: tuple[int, int]
) -> None:
    """Every row names its plan (a short label at 80); wide, owners and keys show whole."""
    assert snap_compare(app, terminal_size=size, run_before=_settled)


@SIZES
def test_overdue_view_at_size(app: TrackerApp, snap_compare: Any, size: tuple[int, int]) -> None:
    """`o`: only overdue actions, each naming its plan, the whole OVERDUE mark."""

    async def overdue(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=overdue)


@SIZES
def test_history_at_size(app: TrackerApp, snap_compare: Any, size: tuple[int, int]) -> None:
    """At 80 each entry is stacked (when, who, field, old → new, note); wide, a table."""

    async def history(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("o")  # an open action, so progress 55 is allowed
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        pilot.app.screen.query_one("#progress", Input).value = "55"
        pilot.app.screen.query_one("#note", Input).value = "agreed at the October board"
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=history)


@SIZES
def test_edit_form_at_size(app: TrackerApp, snap_compare: Any, size: tuple[int, int]) -> None:
    """The edit form, a typed date echoed as the day it means."""

    async def edit(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        pilot.app.screen.query_one("#deadline", Input).value = "+2w"
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=edit)


@SIZES
def test_board_view_at_size(app: TrackerApp, snap_compare: Any, size: tuple[int, int]) -> None:
    """`b`: the board view, using the width it has."""

    async def board(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=board)
