"""Undo covers measures and readings (product.md, "Changing the plan" and "Measures of
impact"): a reading added is taken away, a reading corrected set back, a measure's field
set back, a measure added by mistake retired, a reading import undone as one; a newer
change by anyone refuses the whole undo, naming it, with nothing changed. Through the
command line on SQLite and PostgreSQL, and once through the terminal UI.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, SAMPLES
from test_cli import Run
from textual.widgets import Input
from tui_support import SIZE, build, notifications, settle

from tracker.domain.rules import RuleSettings
from tracker.formats.plan_toml import load_plan_file
from tracker.storage.measures import MeasureStore
from tracker.storage.store import Store
from tracker.tui.screens.forms import ConfirmScreen
from tracker.tui.screens.main import MainScreen
from tracker.tui.screens.measures import MeasuresScreen, ReadingForm

KEY = "testshire-2025-ilacs"
M1 = f"{KEY}:M1.1"

PLAN = f"""\
[plan]
key = "{KEY}"
authority = "Testshire County Council"
title = "Improvement plan"

[[recommendations]]
ref = "R1"
title = "Front door"

[[recommendations.actions]]
ref = "R1.1"
description = "Audit supervision"
owner = "Head of Service"
deadline = 2026-06-30
status = "in_progress"

[[recommendations.measures]]
ref = "M1.1"
name = "Assessments completed within 45 working days"
unit = "%"
direction = "up"
target = 85
baseline = 72
baseline_period = "2023-10"

[[recommendations.measures.readings]]
period = "2025-10"
value = 65

[[recommendations.measures.readings]]
period = "2026-10"
value = 70
count = 84
of = 120
note = "Agency cover ended"

[[recommendations.measures]]
ref = "M1.2"
name = "Average caseload per social worker"
unit = "children"
direction = "down"
target = 18
frequency = "quarterly"

[[recommendations.measures.readings]]
period = "2026-Q3"
value = 20.5
"""


@pytest.fixture
def run(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    """The CLI on a store holding one plan with two measures (imported: no change group)."""
    path = tmp_path / "plan.toml"
    path.write_text(PLAN, encoding="utf-8")
    runner = Run(db_url, capsys)
    status, _, err = runner("import", str(path))
    assert status == 0, err
    return runner


def ok(run: Run, *argv: str) -> str:
    status, out, err = run(*argv)
    assert (status, err) == (0, ""), err
    return out


def scorecard(run: Run) -> list[dict[str, Any]]:
    return json.loads(ok(run, "measures", "--all", "--format", "json"))  # type: ignore[no-any-return]


def listing(run: Run, address: str = M1) -> dict[str, Any]:
    return json.loads(ok(run, "reading", "list", address, "--format", "json"))  # type: ignore[no-any-return]


def last_history(run: Run, address: str = M1, n: int = 1) -> list[tuple[Any, ...]]:
    return [
        (h["by"], h["field"], h["old"], h["new"], h["note"])
        for h in listing(run, address)["history"][-n:]
    ]


def test_a_reading_added_is_taken_away(run: Run) -> None:
    before = scorecard(run)
    ok(run, "reading", "add", M1, "--period", "2026-11", "--value", "88")
    assert scorecard(run) != before
    seen = listing(run)
    assert ok(run, "undo", "--dry-run").splitlines() == [
        f"would undo your reading add of {NOW}:",
        f"  {M1}: reading 2026-11 88 taken away again",
    ]
    assert listing(run) == seen  # a dry run changes nothing
    assert ok(run, "undo").splitlines() == [
        f"undid your reading add of {NOW}:",
        f"  {M1}: reading 2026-11 88 taken away again",
    ]
    assert scorecard(run) == before
    assert [r["period"] for r in listing(run)["readings"]] == ["2025-10", "2026-10"]
    # Nothing in history is edited: the add stays, and the undo is a new entry.
    assert last_history(run, n=2) == [
        ("test.secretary", "reading 2026-11", None, "88", None),
        ("test.secretary", "reading 2026-11", "88", None, "undo"),
    ]


def test_a_reading_corrected_is_set_back_with_its_count_of_and_note(run: Run) -> None:
    before = scorecard(run)
    readings = listing(run)["readings"]
    out = ok(run, "reading", "add", M1, "--period", "2026-10", "--value", "90", "--note", "Recount")
    assert "corrected 90%" in out
    assert ok(run, "undo").splitlines()[1:] == [f"  {M1}: reading 2026-10 90 -> 70 (84 of 120)"]
    assert listing(run)["readings"] == readings
    assert readings[-1] == {
        "period": "2026-10",
        "value": 70.0,
        "count": 84.0,
        "of": 120.0,
        "note": "Agency cover ended",
    }
    assert scorecard(run) == before
    # The value and the commentary each go back with their own entry.
    assert last_history(run, n=2) == [
        ("test.secretary", "reading 2026-10", "90", "70 (84 of 120)", "undo"),
        ("test.secretary", "reading 2026-10 note", "Recount", "Agency cover ended", "undo"),
    ]


def test_a_reading_note_corrected_is_set_back(run: Run) -> None:
    ok(run, "reading", "add", M1, "--period", "2026-10", "--count", "84", "--of", "120",
       "--note", "Cover restored")  # fmt: skip
    assert listing(run)["readings"][-1]["note"] == "Cover restored"
    assert ok(run, "undo").splitlines()[1:] == [
        f"  {M1}: reading 2026-10 note Cover restored -> Agency cover ended"
    ]
    assert listing(run)["readings"][-1]["note"] == "Agency cover ended"


def test_undo_of_a_reading_changed_since_is_refused_naming_the_change(run: Run) -> None:
    ok(run, "reading", "add", M1, "--period", "2026-11", "--value", "88")
    ok(run, "--user", "ben", "reading", "add", M1, "--period", "2026-11", "--value", "91")
    before, cards = listing(run), scorecard(run)
    status, out, err = run("undo")
    assert (status, out) == (1, "")
    assert err == (
        f"tracker: error: cannot undo your reading add of {NOW}: {M1} 2026-11: ben changed it "
        f"since (reading 2026-11 88 -> 91, {NOW}); nothing was undone\n"
    )
    assert (listing(run), scorecard(run)) == (before, cards)
    # A correction someone else made to the note alone refuses it too.
    ok(run, "reading", "add", M1, "--period", "2026-10", "--value", "75")
    ok(run, "--user", "ben", "reading", "add", M1, "--period", "2026-10", "--value", "75",
       "--note", "Checked")  # fmt: skip
    status, _, err = run("undo")
    assert status == 1
    assert "ben changed it since (reading 2026-10 note Agency cover ended -> Checked," in err


def test_a_measure_edit_is_set_back_and_refused_over_a_newer_edit(run: Run) -> None:
    before = scorecard(run)
    ok(run, "edit-measure", M1, "--target", "90", "--clear", "unit")
    assert ok(run, "undo", "--dry-run").splitlines()[1:] == [
        f"  {M1}: target 90 -> 85",
        f"  {M1}: unit (empty) -> %",
    ]
    ok(run, "undo")
    assert scorecard(run) == before
    assert last_history(run, n=2) == [
        ("test.secretary", "target", "90", "85", "undo"),
        ("test.secretary", "unit", None, "%", "undo"),
    ]
    ok(run, "edit-measure", M1, "--target", "90")
    ok(run, "--user", "ben", "edit-measure", M1, "--target", "95")
    cards = scorecard(run)
    status, _, err = run("undo")
    assert status == 1
    assert err == (
        f"tracker: error: cannot undo your edit-measure of {NOW}: {M1}: target: ben changed it "
        f"since (target 90 -> 95, {NOW}); nothing was undone\n"
    )
    assert scorecard(run) == cards


def test_a_measure_added_by_mistake_is_retired_unless_it_has_readings(run: Run) -> None:
    before = json.loads(ok(run, "measures", "--format", "json"))
    assert ok(run, "add-measure", f"{KEY}:R1", "--name", "Typo", "--direction", "up",
              "--target", "50") == f"{KEY}:M1.3\n"  # fmt: skip
    assert ok(run, "undo").splitlines()[1:] == [
        f"  {KEY}:M1.3: added by mistake: status active -> retired"
    ]
    assert json.loads(ok(run, "measures", "--format", "json")) == before
    kept = listing(run, f"{KEY}:M1.3")
    assert kept["status"] == "retired"
    assert [(h["field"], h["old"], h["new"], h["note"]) for h in kept["history"]] == [
        ("created", None, "M1.3", None),
        ("status", "active", "retired", "undo"),
    ]
    # With a reading added since (by anyone), it is refused.
    ok(run, "add-measure", f"{KEY}:R1", "--name", "Real", "--direction", "up", "--target", "50")
    ok(run, "--user", "ben", "reading", "add", f"{KEY}:M1.4", "--period", "2026-10", "--value", "3")
    status, _, err = run("undo")
    assert status == 1
    assert err == (
        f"tracker: error: cannot undo your add-measure of {NOW}: {KEY}:M1.4: ben added "
        f"readings since (reading 2026-10 3, {NOW}); nothing was undone\n"
    )
    assert listing(run, f"{KEY}:M1.4")["status"] == "active"


def test_a_reading_import_is_undone_as_one(run: Run, tmp_path: Path) -> None:
    before = scorecard(run)
    m1_readings = listing(run)["readings"]
    sheet = tmp_path / "readings.csv"
    sheet.write_text(
        "measure,period,value,note\n"
        f"{M1},2026-11,80.5,Recovering\n"
        f"{M1},2026-10,71,\n"
        f"{KEY}:M1.2,2026-Q4,18,\n",
        encoding="utf-8",
    )
    assert "2 readings added, 1 corrected" in ok(run, "reading", "import", str(sheet))
    out = ok(run, "undo")
    assert out.splitlines()[0] == f"undid your reading import of {NOW}:"
    assert sorted(out.splitlines()[1:]) == [
        f"  {M1}: reading 2026-10 71 -> 70 (84 of 120)",
        f"  {M1}: reading 2026-11 80.5 taken away again",
        f"  {KEY}:M1.2: reading 2026-Q4 18 taken away again",
    ]
    assert scorecard(run) == before
    assert listing(run)["readings"] == m1_readings
    status, _, err = run("undo")  # the import of the plan file is not a change of yours
    assert (status, err) == (1, "tracker: error: nothing of yours (test.secretary) to undo\n")


def test_a_reading_import_with_one_reading_changed_since_is_not_undone_at_all(
    run: Run, tmp_path: Path
) -> None:
    sheet = tmp_path / "readings.csv"
    sheet.write_text(
        f"measure,period,value,note\n{M1},2026-11,80.5,\n{KEY}:M1.2,2026-Q4,18,\n",
        encoding="utf-8",
    )
    ok(run, "reading", "import", str(sheet))
    ok(run, "--user", "ben", "reading", "add", f"{KEY}:M1.2", "--period", "2026-Q4", "--value",
       "17")  # fmt: skip
    before = scorecard(run), listing(run), listing(run, f"{KEY}:M1.2")
    status, _, err = run("undo")
    assert status == 1
    assert err == (
        f"tracker: error: cannot undo your reading import of {NOW}: {KEY}:M1.2 2026-Q4: ben "
        f"changed it since (reading 2026-Q4 18 -> 17, {NOW}); nothing was undone\n"
    )
    assert (scorecard(run), listing(run), listing(run, f"{KEY}:M1.2")) == before


def test_undo_twice_walks_back_through_measures_and_actions(run: Run) -> None:
    before = scorecard(run)
    ok(run, "update", f"{KEY}:R1.1", "--progress", "40")
    ok(run, "edit-measure", M1, "--target", "90")
    ok(run, "reading", "add", M1, "--period", "2026-11", "--value", "88")
    assert ok(run, "undo").startswith("undid your reading add")
    assert ok(run, "undo").startswith("undid your edit-measure")
    assert scorecard(run) == before
    assert ok(run, "undo").splitlines()[1:] == [f"  {KEY}:R1.1: progress 40 -> 0"]
    # Versions and history still agree after the undos (tracker check).
    ok(run, "reading", "add", M1, "--period", "2026-10", "--value", "75")
    ok(run, "undo")
    assert ": ok: " in ok(run, "check")


def test_an_older_store_gets_the_link_table_when_opened_for_writing(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "plan.toml"
    path.write_text(PLAN, encoding="utf-8")
    run = Run(sqlite_url, capsys)
    ok(run, "import", str(path))
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as conn:
        conn.execute("DROP TABLE measure_history_group")
    ok(run, "reading", "add", M1, "--period", "2026-11", "--value", "88")
    assert ok(run, "undo").splitlines()[1:] == [f"  {M1}: reading 2026-11 88 taken away again"]
    assert ": ok: 1 plan, " in ok(run, "check")


# --- the terminal UI --------------------------------------------------------------------


@pytest.fixture
def sample(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(f"sqlite:///{tmp_path / 'tui.db'}")
    plans = [(p.name, load_plan_file(p)) for p in sorted(SAMPLES.glob("*.toml"))]
    store.import_plans(plans, user="seed")
    yield store
    store.close()


async def test_a_reading_added_in_the_tui_is_undone_from_the_main_screen(
    sample: Store, settings: RuleSettings
) -> None:
    address = "staffordshire-2024-ilacs:M1.1"
    ms = MeasureStore(sample)
    periods = [r.period for r in ms.readings(ms.measure(address).id)]
    app = build(sample, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        assert isinstance(app.screen, MeasuresScreen)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ReadingForm)
        assert form.query_one("#period", Input).value == "2026-11"
        form.query_one("#value", Input).value = "91.5"
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert [r.period for r in ms.readings(ms.measure(address).id)] == [*periods, "2026-11"]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        await pilot.press("u")
        await settle(pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert any("Undone your reading add" in n for n in notifications(app)), notifications(app)
    assert [r.period for r in ms.readings(ms.measure(address).id)] == periods
    assert ms.history(ms.measure(address).id)[-1][4:] == (
        "reading 2026-11",
        "91.5",
        None,
        "undo",
    )
