"""The board paper as a user trial read it (issue 12, items 19-22): an import is one line,
"added" means added since; dates as a UK reader writes them; slipped deadlines with a
description and whether the action is complete; the board view's overall progress; and
evidence expected (a warning, not a refusal) when an action is completed."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from conftest import SAMPLES
from textual.widgets import DataTable, Select, TextArea
from tui_support import build, main_screen, settle

from tracker.cli import main
from tracker.domain.rules import RuleSettings
from tracker.reports.paper import board_view
from tracker.storage.store import Store
from tracker.tui.screens.board import BoardScreen
from tracker.tui.screens.edit import EVIDENCE_EXPECTED, EditScreen

PLAN = "staffordshire-2024-ilacs"
PLAN_FILE = SAMPLES / f"{PLAN}.toml"
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def cli(db_url: str, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["--db", db_url, *argv], out=out)
    return code, out.getvalue()


def paper(db_url: str, *extra: str) -> str:
    code, text = cli(db_url, "report", "--plan", PLAN, "--user", "Jo Bloggs", *extra)
    assert code == 0
    return text


@pytest.fixture
def imported(db_url: str) -> str:
    assert cli(db_url, "import", str(PLAN_FILE))[0] == 0
    return db_url


# --- 19: an import is one line; "added" means added since ------------------------------------


def test_the_first_paper_after_an_import_says_so_in_one_line(imported: str) -> None:
    text = paper(imported)
    assert "- 23 actions imported on 25 November 2026.\n" in text  # a key point
    assert "\n23 actions imported on 25 November 2026.\n" in text  # in the changes
    assert "0 actions added" in text
    assert "#### Actions added" not in text
    html = paper(imported, "--format", "html")
    assert "<p>23 actions imported on 25 November 2026.</p>" in html
    assert "<h4>Actions added</h4>" not in html


def test_actions_added_after_the_import_are_listed_as_added(
    imported: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_NOW", "2026-11-25T15:00:00Z")
    text = PLAN_FILE.read_text(encoding="utf-8") + (
        '\n[[recommendations.actions]]\nref = "R4.9"\ndescription = "A late addition"\n'
        'owner = "Head of Service"\ndeadline = 2027-01-31\nstatus = "not_started"\n'
    )
    changed = tmp_path / f"{PLAN}.toml"
    changed.write_text(text, encoding="utf-8")
    assert cli(imported, "import", "--replace", str(changed))[0] == 0
    out = paper(imported)
    assert "23 actions imported on 25 November 2026" in out
    assert "1 action added" in out
    added = out.split("#### Actions added")[1].split("####")[0]
    assert "R4.9" in added
    assert added.count("staffordshire-2024-ilacs:") == 1
    code, changes = cli(imported, "changes", "--since", "2026-11-01")
    assert code == 0
    assert f"23 actions imported as plan {PLAN} on 25 November 2026\n" in changes
    assert f"Actions added: {PLAN}:R4.9\n" in changes


# --- 20: dates as a UK reader writes them ----------------------------------------------------


def test_every_date_in_the_paper_is_written_the_uk_way(imported: str) -> None:
    assert (
        cli(imported, "update", f"{PLAN}:R3.6", "--deadline", "31/01/2027", "--reason", "IT")[0]
        == 0
    )
    for fmt in ("markdown", "html"):
        text = paper(imported, "--format", fmt)
        assert ISO_DATE.findall(text) == [], fmt
        assert "Prepared 25 November 2026, 10:00 UTC, by Jo Bloggs" in text
    text = paper(imported)
    assert "| R3.6 | LADO Manager | 31 Jan 2027 |" in text  # a table: short month
    assert (
        "| 25 Nov 2026 10:00 | test.secretary | staffordshire-2024-ilacs:R3.6 | "
        "deadline: 31 Jul 2026 → 31 Jan 2027 | IT |" in text
    )
    assert "### Changes since 25 October 2026" in text  # a heading: long form


# --- 21: slipped deadlines say what and whether complete; the board view's progress ----------


def test_slipped_deadlines_have_a_description_and_say_when_complete(imported: str) -> None:
    text = paper(imported)
    slipped = text.split("#### Slipped deadlines")[1].split("####")[0]
    assert (
        "| Action | Description | Owner | Original | Now | Slippage (days) | Revisions | Status |"
        in slipped
    )
    assert (
        "| R3.1 | Build a LADO performance dataset and Power BI report with IT services, "
        "covering timeliness of initial consideration, outcomes and repeat referrals by sector. "
        "| LADO Manager | 30 Jun 2024 | 31 Dec 2024 | 184 | 1 | complete |" in slipped
    )
    assert "| 682 | 1 | in progress |" in slipped
    html = paper(imported, "--format", "html")
    assert ">Description</th>" in html.split("Slipped deadlines")[1].split("</thead>")[0]


def test_the_board_views_all_plans_progress_is_a_figure(
    sample_store: Store, settings: RuleSettings
) -> None:
    view = board_view(sample_store, settings=settings)
    live = [
        r.progress for r in sample_store.iter_actions(settings=settings) if r.status != "cancelled"
    ]
    assert view.progress == pytest.approx(sum(live) / len(live))


async def test_the_board_views_all_plans_row_draws_the_progress(
    sample_store: Store, settings: RuleSettings
) -> None:
    app = build(sample_store, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot, rounds=6)
        screen = app.screen
        assert isinstance(screen, BoardScreen)
        first = [str(c) for c in screen.query_one(DataTable).get_row_at(0)]
        assert first[0] == "All plans"
        expected = round(board_view(sample_store, settings=settings).progress or 0)
        assert first[3].strip().endswith(f"{expected}%")
        assert "—" not in first[3]


# --- 22: evidence is expected when an action is completed ----------------------------------------


def test_the_completed_table_shows_the_evidence(imported: str) -> None:
    assert (
        cli(
            imported,
            "update",
            f"{PLAN}:R4.4",
            "--status",
            "complete",
            "--evidence",
            "30 tenancies ring-fenced; Staying Put policy signed",
        )[0]
        == 0
    )
    text = paper(imported)
    done = text.split("#### Completed")[1].split("####")[0]
    assert "| Action | Owner | Description | Evidence |" in done
    assert "| 30 tenancies ring-fenced; Staying Put policy signed |" in done


def test_completing_with_no_evidence_warns_but_saves(
    imported: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = cli(imported, "update", f"{PLAN}:R3.6", "--status", "complete")
    assert code == 0
    assert out.startswith(f"{PLAN}:R3.6: status blocked -> complete")
    assert capsys.readouterr().err == (
        f"tracker: warning: {PLAN}:R3.6 is complete with no evidence recorded; "
        "add it with --evidence TEXT\n"
    )
    done = paper(imported).split("#### Completed")[1].split("####")[0]
    assert "| none recorded |" in done
    # With evidence, or a change that does not complete it, there is no warning.
    assert (
        cli(imported, "update", f"{PLAN}:R3.3", "--status", "complete", "--evidence", "Audit")[0]
        == 0
    )
    assert cli(imported, "update", f"{PLAN}:R3.6", "--note", "closed at board")[0] == 0
    assert capsys.readouterr().err == ""


async def test_the_edit_form_warns_when_complete_has_no_evidence(
    sample_store: Store, settings: RuleSettings
) -> None:
    app = build(sample_store, settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        row = main_screen(app).selected
        assert row is not None
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, EditScreen)
        warning = form.query_one("#evidence-warning")
        form.query_one("#evidence", TextArea).text = ""
        await pilot.pause()
        assert not warning.display  # not complete yet
        form.query_one("#status", Select).value = "complete"
        await settle(pilot)
        assert warning.display
        assert str(warning.render()) == EVIDENCE_EXPECTED
        assert not form.query_one("#save-button").disabled  # a warning, not a refusal
        form.query_one("#evidence", TextArea).text = "Signed off at the board"
        await settle(pilot)
        assert not warning.display
