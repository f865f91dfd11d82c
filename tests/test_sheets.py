"""Moving off the spreadsheet: `import-sheet` on the CSV a council's RAG tracker saves.

The sample sheet is messy the way real ones are: a byte-order mark, a title row above the
headers, headers in odd case and spacing, blank rows, the recommendation written once per
group (a merged cell), `23/04/2024`, `30/6/24`, `Mar-27` and `31 March 2025` dates, mixed
status and RAG words, a multi-line update and a formula-looking evidence cell.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from conftest import DATA

from tracker.cli import main
from tracker.domain.errors import PlanFileError
from tracker.domain.records import Filters
from tracker.domain.rules import RuleSettings
from tracker.formats.sheets import _decode, map_status, read_sheet, read_sheet_file
from tracker.storage.store import Store

SHEETS = DATA / "sheets"
CLEAN = SHEETS / "stoke-rag-tracker.csv"
BROKEN = SHEETS / "stoke-rag-tracker-broken.csv"
NAMING = ["--plan", "stoke-sheet", "--authority", "Stoke-on-Trent City Council"]
NAMING += ["--title", "Improvement plan (from the RAG tracker)"]


def run(db_url: str, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["--db", db_url, "import-sheet", *args, *NAMING], out=out)
    return code, out.getvalue()


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("Complete", "complete"),
        ("COMPLETED", "complete"),
        ("Blue", "complete"),
        ("On track", "in_progress"),
        ("green", "in_progress"),
        ("Not started", "not_started"),
        ("Off Track", "in_progress"),
        ("Red", "in_progress"),
        ("Blocked", "blocked"),
        ("On hold", "blocked"),
        ("on-hold", "blocked"),
        ("Amber-ish", None),
    ],
)
def test_status_and_rag_words(word: str, status: str | None) -> None:
    assert map_status(word) == status


def test_dry_run_shows_the_mapping_and_changes_nothing(db_url: str) -> None:
    code, text = run(db_url, str(CLEAN), "--dry-run")
    assert code == 0
    assert "header row: 3" in text
    assert "column 'Lead Officer / Owner' -> owner" in text
    assert "column 'Target  Date' -> deadline" in text
    assert "7 actions under 3 recommendations; 3 blank rows skipped" in text
    assert "row 8: R2.1  in_progress (from 'Off Track')  40%  due 2025-03-31" in text
    assert "ready: 7 actions would be imported as plan stoke-sheet" in text
    store = Store.open(db_url)
    try:
        assert store.plan_keys() == []
    finally:
        store.close()


def test_import_groups_actions_and_maps_words(db_url: str) -> None:
    code, text = run(db_url, str(CLEAN))
    assert code == 0, text
    assert "imported plan stoke-sheet: 7 actions under 3 recommendations" in text
    store = Store.open(db_url)
    try:
        plan = store.plan_data("stoke-sheet")
        rows = {
            r.ref: r
            for r in store.iter_actions(
                filters=Filters(plan="stoke-sheet"), settings=RuleSettings(today=date(2026, 11, 25))
            )
        }
    finally:
        store.close()
    assert plan.authority == "Stoke-on-Trent City Council"
    assert [r.ref for r in plan.recommendations] == ["R1", "R2", "R3"]
    assert [len(r.actions) for r in plan.recommendations] == [3, 2, 2]
    assert plan.recommendations[2].title == "Sufficiency of placements for children in care"
    assert (rows["R1.1"].deadline, rows["R1.1"].status, rows["R1.1"].progress) == (
        date(2024, 4, 23),
        "complete",
        100,
    )
    assert rows["R1.2"].deadline == date(2024, 6, 30)
    assert rows["R1.3"].deadline == date(2027, 3, 31)  # "Mar-27": the end of the month
    assert rows["R1.3"].notes == (
        "Cohort 2 started Sept 2026.\nSix of ten managers enrolled.\nSpreadsheet RAG: Green."
    )
    assert rows["R2.1"].status == "in_progress"
    assert rows["R2.1"].notes is not None
    assert rows["R2.1"].notes.endswith("Spreadsheet status: Off Track.\nSpreadsheet RAG: Red.")
    assert (rows["R2.2"].status, rows["R2.2"].progress) == ("not_started", 0)
    assert rows["R3.1"].status == "blocked"
    assert rows["R3.2"].status == "in_progress"  # from the RAG column: Green
    assert rows["R1.1"].owner == "Head of Service, Safeguarding"
    assert rows["R3.1"].evidence == "=cmd|' /C calc'!A0"  # kept as text; the CSV neutralises it


def test_a_sheet_with_unreadable_rows_imports_nothing(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = run(db_url, str(BROKEN), "--dry-run")
    assert code == 1
    assert "4 problems in the sheet; nothing would be imported" in text
    name = str(BROKEN)
    assert f"{name}: row 5: no target date (TBC); give it one with --default-deadline DATE" in text
    assert f"{name}: row 8: % Complete: 'forty' is not a percentage 0-100" in text
    assert f"{name}: row 9: STATUS 'Amber-ish' is not a word tracker knows" in text
    assert f"{name}: row 12: no lead officer/owner" in text

    code, _ = run(db_url, str(BROKEN))
    assert code == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"tracker: error: {name}: row 8: ")
    assert err[-2].startswith(f"tracker: error: {name}: row 5: no target date (TBC)")
    assert err[-1] == "tracker: error: nothing was imported"
    assert len(err) == 5
    store = Store.open(db_url)
    try:
        assert store.plan_keys() == []
    finally:
        store.close()


def test_windows_1252_semicolon_sheet() -> None:
    text = (
        "Recommendation;Action;Owner;Due date;RAG\n"
        "Improve sufficiency – placements;Open a home (£1.2m);Head of Placements;01/02/2027;Amber\n"
    )
    data = text.encode("cp1252")
    result = read_sheet(_decode(data, "x.csv"), name="x.csv", key="k", authority="A", title="T")
    assert result.ok, result.problems
    action = result.plan.recommendations[0].actions[0]
    assert action.description == "Open a home (£1.2m)"
    assert (action.ref, action.deadline, action.status) == ("R1.1", date(2027, 2, 1), "in_progress")
    assert result.plan.recommendations[0].title == "Improve sufficiency – placements"


def test_a_sheet_without_headers_is_refused(tmp_path: Path, db_url: str) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("just,some,numbers\n1,2,3\n", encoding="utf-8")
    with pytest.raises(PlanFileError, match="no header row found"):
        read_sheet_file(path, key="k", authority="A", title="T")
    code, _ = run(db_url, str(path))
    assert code == 1


def test_actions_before_any_recommendation_are_reported() -> None:
    text = "Ref,Recommendation,Action,Owner,Deadline\n1,,Do it,Someone,01/01/2027\n"
    result = read_sheet(text, name="s.csv", key="k", authority="A", title="T")
    assert result.problems == [
        "s.csv: row 2: an action with no recommendation above it; fill in the Recommendation column"
    ]


def test_a_bad_plan_key_is_a_usage_error(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = io.StringIO()
    args = ["--db", db_url, "import-sheet", str(CLEAN), "--plan", "bad key!"]
    args += ["--authority", "A", "--title", "T"]
    assert main(args, out=out) == 2
    assert "--plan: 'bad key!' is not a usable plan key" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("23/04/2024", date(2024, 4, 23)),
        ("23-Apr-24", date(2024, 4, 23)),
        ("Mar-25", date(2025, 3, 31)),
        ("February 2028", date(2028, 2, 29)),
        ("2024-04-23 00:00:00", date(2024, 4, 23)),
        ("23/04/2024 00:00", date(2024, 4, 23)),
        ("45405", date(2024, 4, 23)),
    ],
)
def test_sheet_dates(cell: str, expected: date) -> None:
    text = f"Recommendation,Action,Owner,Target date\nR1 text,Do it,Someone,{cell}\n"
    result = read_sheet(text, name="s.csv", key="k", authority="A", title="T")
    assert result.ok, result.problems
    assert result.plan.recommendations[0].actions[0].deadline == expected


def _sheet(tmp_path: Path, *lines: str) -> str:
    path = tmp_path / "sheet.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def _imported(db_url: str, path: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Import the sheet; each recommendation's (ref, title, [(action ref, description)])."""
    code, text = run(db_url, path)
    assert code == 0, text
    store = Store.open(db_url)
    try:
        plan = store.plan_data("stoke-sheet")
    finally:
        store.close()
    return [
        (r.ref, r.title, [(a.ref, a.description) for a in r.actions]) for r in plan.recommendations
    ]


REPEATED = (
    "Recommendation,Action,Owner,Deadline,Status",
    "Improve X,Do A,Ann,01/01/2027,On track",
    "Improve X,Do B,Bob,01/02/2027,On track",
    "Improve Y,Do C,Cat,01/03/2027,Not started",
)


def test_recommendation_text_repeated_on_each_row_is_one_recommendation(
    tmp_path: Path, db_url: str
) -> None:
    path = _sheet(tmp_path, *REPEATED)
    code, text = run(db_url, path, "--dry-run")
    assert code == 0, text
    assert "3 actions under 2 recommendations; 0 blank rows skipped" in text
    lines = text.splitlines()
    start = lines.index("R1: Improve X")
    assert lines[start : start + 5] == [
        "R1: Improve X",
        "  row 2: R1.1  in_progress (from 'On track')  0%  due 2027-01-01  Ann",
        "  row 3: R1.2  in_progress (from 'On track')  0%  due 2027-02-01  Bob",
        "R2: Improve Y",
        "  row 4: R2.1  not_started (from 'Not started')  0%  due 2027-03-01  Cat",
    ]
    assert _imported(db_url, path) == [
        ("R1", "Improve X", [("R1.1", "Do A"), ("R1.2", "Do B")]),
        ("R2", "Improve Y", [("R2.1", "Do C")]),
    ]


def test_repeated_text_matches_whatever_its_spacing_and_case_and_where_it_is(
    tmp_path: Path, db_url: str
) -> None:
    path = _sheet(
        tmp_path,
        "Recommendation,Action,Owner,Deadline",
        "Improve X,Do A,Ann,01/01/2027",
        "Improve Y,Do C,Cat,01/03/2027",
        " improve   x ,Do B,Bob,01/02/2027",
        "2. Improve Z,Do D,Dan,01/04/2027",
        "Improve Z,Do E,Eve,01/05/2027",
    )
    code, text = run(db_url, path, "--dry-run")
    assert code == 0, text
    assert "5 actions under 3 recommendations" in text
    # The split recommendation's rows are shown together.
    assert "R1: Improve X\n  row 2: R1.1 " in text
    assert "\n  row 4: R1.2 " in text
    assert text.index("row 4: R1.2") < text.index("R3: Improve Y")
    assert _imported(db_url, path) == [
        ("R1", "Improve X", [("R1.1", "Do A"), ("R1.2", "Do B")]),
        ("R3", "Improve Y", [("R3.1", "Do C")]),
        ("R2", "Improve Z", [("R2.1", "Do D"), ("R2.2", "Do E")]),
    ]


def test_action_refs_on_repeated_rows_stay_under_their_recommendation(
    tmp_path: Path, db_url: str
) -> None:
    path = _sheet(
        tmp_path,
        "Ref,Recommendation,Action,Owner,Deadline,Status",
        "1.1,Improve X,Do A,Ann,01/01/2027,On track",
        "1.2,Improve X,Do B,Bob,01/02/2027,On track",
        "2.1,Improve Y,Do C,Cat,01/03/2027,Not started",
    )
    code, text = run(db_url, path, "--dry-run")
    assert code == 0, text
    assert "3 actions under 2 recommendations" in text
    assert "R1: Improve X\n  row 2: R1.1  in_progress" in text
    assert "\n  row 3: R1.2  in_progress (from 'On track')  0%  due 2027-02-01  Bob\n" in text
    assert "R2: Improve Y\n  row 4: R2.1  not_started" in text
    assert "sheet ref" not in text
    assert _imported(db_url, path) == [
        ("R1", "Improve X", [("R1.1", "Do A"), ("R1.2", "Do B")]),
        ("R2", "Improve Y", [("R2.1", "Do C")]),
    ]


def test_an_unnumbered_recommendation_takes_the_number_its_action_refs_name(
    tmp_path: Path, db_url: str
) -> None:
    path = _sheet(
        tmp_path,
        "Ref,Recommendation,Action,Owner,Deadline",
        "2.1,Improve Y,Do C,Cat,01/03/2027",
        "1.1,Improve X,Do A,Ann,01/01/2027",
        "2.2,Improve Y,Do D,Dan,01/04/2027",
    )
    assert _imported(db_url, path) == [
        ("R2", "Improve Y", [("R2.1", "Do C"), ("R2.2", "Do D")]),
        ("R1", "Improve X", [("R1.1", "Do A")]),
    ]


def test_action_refs_naming_another_recommendation_take_the_ones_they_are_under(
    tmp_path: Path, db_url: str
) -> None:
    # Both recommendations' actions say 1.x: which is R1 is ambiguous, so each keeps its
    # place by position and its actions its ref.
    path = _sheet(
        tmp_path,
        "Ref,Recommendation,Action,Owner,Deadline",
        "1.1,Improve X,Do A,Ann,01/01/2027",
        "1.2,Improve Y,Do C,Cat,01/03/2027",
        "2.1,3. Improve Z,Do E,Eve,01/05/2027",
    )
    code, text = run(db_url, path, "--dry-run")
    assert code == 0, text
    assert "R2: Improve Y\n  row 3: R2.2 (sheet ref 1.2)  not_started" in text
    assert "R3: Improve Z\n  row 4: R3.1 (sheet ref 2.1)  not_started" in text
    assert _imported(db_url, path) == [
        ("R1", "Improve X", [("R1.1", "Do A")]),
        ("R2", "Improve Y", [("R2.2", "Do C")]),
        ("R3", "Improve Z", [("R3.1", "Do E")]),
    ]


def test_a_rewritten_ref_that_clashes_names_the_sheets_refs() -> None:
    text = (
        "Ref,Recommendation,Action,Owner,Deadline\n"
        "2.1,1. Improve X,Do A,Ann,01/01/2027\n"
        "1.1,,Do B,Bob,01/02/2027\n"
    )
    result = read_sheet(text, name="s.csv", key="k", authority="A", title="T")
    assert result.problems == [
        "s.csv: row 3: ref 'R1.1' is used twice (also at row 2, from the sheet's ref '2.1')"
    ]


def test_a_repeated_recommendation_heading_row_is_one_recommendation(
    tmp_path: Path, db_url: str
) -> None:
    path = _sheet(
        tmp_path,
        "Ref,Recommendation,Action,Owner,Deadline,Status",
        "R1,First rec,,,,",
        "1.1,,Do A,Ann,01/01/2027,On track",
        "R2,Second rec,,,,",
        "R2,Second rec,,,,",
        "2.1,,Do B,Bob,01/02/2027,On track",
    )
    code, text = run(db_url, path, "--dry-run")
    assert code == 0, text
    assert "2 actions under 2 recommendations" in text
    assert "R1: First rec\n  row 3: R1.1  in_progress" in text
    assert "R2: Second rec\n  row 6: R2.1  in_progress" in text
    assert "R3" not in text
    assert _imported(db_url, path) == [
        ("R1", "First rec", [("R1.1", "Do A")]),
        ("R2", "Second rec", [("R2.1", "Do B")]),
    ]


def test_a_heading_rows_ref_numbers_its_recommendation(tmp_path: Path, db_url: str) -> None:
    path = _sheet(
        tmp_path,
        "Ref,Recommendation,Action,Owner,Deadline",
        "4,Fourth rec,,,",
        ",,Do A,Ann,01/01/2027",
        "R7,Seventh rec,,,",
        ",,Do B,Bob,01/02/2027",
    )
    assert _imported(db_url, path) == [
        ("R4", "Fourth rec", [("R4.1", "Do A")]),
        ("R7", "Seventh rec", [("R7.1", "Do B")]),
    ]


def test_one_number_with_two_texts_further_apart_is_reported() -> None:
    text = (
        "Recommendation,Action,Owner,Deadline\n"
        "1. Improve X,Do A,Ann,01/01/2027\n"
        "2. Improve Y,Do B,Bob,01/02/2027\n"
        "1. Improve Z,Do C,Cat,01/03/2027\n"
        "1. improve x,Do D,Dan,01/04/2027\n"
    )
    result = read_sheet(text, name="s.csv", key="k", authority="A", title="T")
    assert result.problems == [
        "s.csv: row 4: recommendation 'R1' appears again after others with different text "
        "(first at row 2); give each recommendation its own number"
    ]
    assert [a.ref for a in result.plan.recommendations[0].actions] == ["R1.1", "R1.2"]
