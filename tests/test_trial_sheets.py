"""Moving off the spreadsheet as a user trial found it (issue 12, items 15 and 16): target
dates given as `TBC`, `Ongoing` or left blank take `--default-deadline` and keep the
sheet's word in their notes; without it the refusal names the rows and the option. The
sheet's own RAG is kept beside the one tracker derives, in the notes and the dry run."""

from __future__ import annotations

import io
from datetime import date

import pytest
from conftest import DATA

from tracker.cli import main
from tracker.domain.records import ActionRow, Filters
from tracker.domain.rules import RuleSettings
from tracker.formats.sheets import map_status
from tracker.storage.store import Store

UNDATED = DATA / "sheets" / "stoke-rag-tracker-undated.csv"
NAMING = ["--plan", "stoke-sheet", "--authority", "Stoke-on-Trent City Council"]
TITLE = ["--title", "Improvement plan"]


def run(db_url: str, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["--db", db_url, "import-sheet", str(UNDATED), *NAMING, *TITLE, *args], out=out)
    return code, out.getvalue()


def actions(db_url: str) -> dict[str, ActionRow]:
    store = Store.open(db_url)
    try:
        return {
            r.ref: r
            for r in store.iter_actions(
                filters=Filters(plan="stoke-sheet"), settings=RuleSettings(today=date(2026, 11, 25))
            )
        }
    finally:
        store.close()


def test_undated_rows_are_refused_by_name_with_the_option_suggested(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run(db_url)
    assert code == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"tracker: error: {UNDATED}: rows 5, 9, 12: no target date (blank, Ongoing, TBC); "
        "give them one with --default-deadline DATE (the sheet's word is kept in the notes), "
        "or fill in the dates",
        "tracker: error: nothing was imported",
    ]
    assert actions(db_url) == {}


def test_the_dry_run_names_them_too(db_url: str) -> None:
    code, text = run(db_url, "--dry-run")
    assert code == 1
    assert "  row 5: R1.2  complete (from 'Completed')  100%  due no date  Principal" in text
    assert "1 problem in the sheet; nothing would be imported:" in text
    assert "rows 5, 9, 12: no target date (blank, Ongoing, TBC)" in text


def test_a_default_deadline_fills_them_and_keeps_the_sheets_word(db_url: str) -> None:
    code, text = run(db_url, "--default-deadline", "31/03/2027")
    assert code == 0, text
    assert "imported plan stoke-sheet: 7 actions under 3 recommendations" in text
    rows = actions(db_url)
    for ref in ("R1.2", "R2.2", "R3.2"):
        assert rows[ref].deadline == date(2027, 3, 31)
    assert rows["R1.2"].notes == (
        "Spreadsheet target date: 'TBC'; deadline set to 2027-03-31 on import."
    )
    assert rows["R2.2"].notes.endswith("'Ongoing'; deadline set to 2027-03-31 on import.")
    assert rows["R3.2"].notes == (
        "Spreadsheet RAG: Green.\n"
        "Spreadsheet target date: blank; deadline set to 2027-03-31 on import."
    )
    assert rows["R1.1"].deadline == date(2024, 4, 23)


def test_a_bad_default_deadline_is_a_usage_error(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run(db_url, "--default-deadline", "soon")
    assert code == 2
    assert capsys.readouterr().err.startswith("tracker: error: --default-deadline: 'soon'")


def test_the_dry_run_shows_the_sheets_rag_beside_trackers(db_url: str) -> None:
    code, text = run(db_url, "--dry-run", "--default-deadline", "31/03/2027")
    assert code == 0
    assert (
        "  row 11: R3.1  blocked (from 'On Hold')  25%  due 2026-10-31  Head of Placements  "
        "RAG: sheet Amber, tracker RED (differ)\n" in text
    )
    assert "Assistant Director, Quality  RAG: sheet Red, tracker RED\n" in text
    assert "ready: 7 actions would be imported as plan stoke-sheet" in text


def test_the_sheets_rag_is_kept_in_the_notes(db_url: str) -> None:
    assert run(db_url, "--default-deadline", "31/03/2027")[0] == 0
    rows = actions(db_url)
    assert rows["R3.1"].notes == "On hold pending Ofsted registration\nSpreadsheet RAG: Amber."
    assert rows["R3.1"].rag(RuleSettings(today=date(2026, 11, 25))).value == "RED"


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("In progress", "in_progress"),
        ("in-progress", "in_progress"),
        ("Complete", "complete"),
        ("IN PROGRESS", "in_progress"),
        ("Not-started", "not_started"),
    ],
)
def test_sheet_status_words_as_people_write_them(word: str, status: str) -> None:
    assert map_status(word) == status
