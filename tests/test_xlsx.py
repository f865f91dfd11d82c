"""Excel both ways: the snapshot workbook read back with openpyxl, and `import-sheet` of a
workbook itself (merged cells, real dates, percentages, formulas' saved values, bad files).
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from test_measures import KEY as MEASURES_KEY
from test_measures import PLAN as MEASURES_PLAN

from tracker.cli import main
from tracker.domain.measures import MeasureRow, ReadingPoint, score
from tracker.domain.records import ActionRow, Filters
from tracker.domain.rules import RuleSettings
from tracker.formats.snapshot import COLUMNS
from tracker.formats.xlsx import (
    MEASURE_COLUMNS,
    NO_MEASURES,
    NO_READINGS,
    RAG_FILLS,
    READING_COLUMNS,
    ROLLUP_COLUMNS,
    write_workbook,
)
from tracker.storage.store import Store

BASE = ActionRow(
    id=1,
    plan_key="p",
    authority="Testshire County Council",
    rec_ref="R1",
    rec_title="Front door",
    ref="R1.1",
    description="Audit",
    owner="Head of Service",
    partner=None,
    start=None,
    deadline=date(2026, 11, 1),
    original_deadline=None,
    status="in_progress",
    progress=40,
    measure=None,
    evidence=None,
    notes=None,
    revisions=0,
    version=1,
    updated_at=datetime(2026, 11, 2, 9, 30, 5),
    updated_by="tl",
)

HOSTILE = [
    "=cmd|' /C calc'!A0",
    "@SUM(A1:A9)",
    "+1+1",
    "-2+3",
    '=HYPERLINK("http://example.invalid","click")',
    "\t=1+1",
    "<r><t>injected</t></r>",
    "_x0041_ stays as written",
    "a \x1b[31mred\x1b[0m escape",
]


def as_excel_shows(value: str) -> str:
    """Cell text as Excel shows it: `_xHHHH_` escapes decoded (openpyxl leaves them)."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), value)


def book_of(rows: list[ActionRow], settings: RuleSettings, **kw: Any) -> Any:
    out = io.BytesIO()
    assert write_workbook(rows, settings, out, **kw) == len(rows)
    out.seek(0)
    return openpyxl.load_workbook(out)


def column(name: str) -> int:
    return COLUMNS.index(name) + 1


def test_the_actions_sheet_has_the_snapshot_columns_typed(settings: RuleSettings) -> None:
    row = BASE._replace(
        start=date(2026, 1, 5), original_deadline=date(2026, 9, 30), partner="Police"
    )
    ws = book_of([row], settings)["Actions"]
    assert [c.value for c in ws[1]] == list(COLUMNS)
    cells = {name: ws.cell(2, i + 1) for i, name in enumerate(COLUMNS)}
    for name, day in (
        ("as_of", date(2026, 11, 25)),
        ("start", date(2026, 1, 5)),
        ("deadline", date(2026, 11, 1)),
        ("original_deadline", date(2026, 9, 30)),
    ):
        assert cells[name].is_date, name
        assert cells[name].value == datetime.combine(day, datetime.min.time())
        assert cells[name].number_format == "dd/mm/yyyy"
    assert cells["last_updated"].value == datetime(2026, 11, 2, 9, 30, 5)
    assert cells["last_updated"].number_format.startswith("dd/mm/yyyy")
    assert cells["progress"].value == 40
    assert cells["progress"].data_type == "n"
    assert cells["days_overdue"].value == 24
    assert cells["days_overdue"].data_type == "n"
    assert cells["overdue"].value == "yes"
    assert cells["due_soon"].value == "no"
    assert cells["rag"].value == "AMBER"
    assert cells["partner"].value == "Police"
    assert cells["measure"].value is None


def test_header_frozen_with_a_filter_and_widths_that_fit(settings: RuleSettings) -> None:
    long = "A description a good deal longer than its column's header " * 3
    rows = [BASE, BASE._replace(id=2, ref="R1.2", description=long)]
    ws = book_of(rows, settings)["Actions"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:W3"
    widths = {k: v.width for k, v in ws.column_dimensions.items()}
    assert widths["G"] >= 60  # the description, capped
    assert widths["A"] >= 10  # a date shown dd/mm/yyyy fits
    assert all(w >= 6 for w in widths.values())


@pytest.mark.parametrize(
    ("overrides", "word"),
    [
        ({"status": "blocked"}, "RED"),
        ({}, "AMBER"),
        ({"deadline": date(2027, 6, 1)}, "GREEN"),
        ({"status": "complete", "progress": 100}, "BLUE"),
    ],
)
def test_rag_cells_are_filled_and_keep_the_word(
    settings: RuleSettings, overrides: dict[str, Any], word: str
) -> None:
    ws = book_of([BASE._replace(**overrides)], settings)["Actions"]
    cell = ws.cell(2, column("rag"))
    assert cell.value == word
    assert cell.fill.fill_type == "solid"
    assert cell.fill.fgColor.rgb == "FF" + RAG_FILLS[word][0].lstrip("#")
    assert cell.font.color.rgb == "FF" + RAG_FILLS[word][1].lstrip("#")


def test_a_cancelled_action_has_a_blank_rag(settings: RuleSettings) -> None:
    ws = book_of([BASE._replace(status="cancelled")], settings)["Actions"]
    assert ws.cell(2, column("rag")).value is None


def test_overdue_rows_are_shaded_and_say_so(settings: RuleSettings) -> None:
    late = BASE
    on_time = BASE._replace(id=2, ref="R1.2", deadline=date(2027, 6, 1))
    ws = book_of([late, on_time], settings)["Actions"]
    for name in ("description", "deadline", "measure", "progress"):
        assert ws.cell(2, column(name)).fill.fgColor.rgb == "FFFCE4E4", name
        assert ws.cell(3, column(name)).fill.fill_type is None, name
    assert ws.cell(2, column("overdue")).value == "yes"
    assert ws.cell(2, column("overdue")).font.bold
    assert ws.cell(3, column("overdue")).value == "no"


@pytest.mark.parametrize("text", HOSTILE)
def test_no_cell_is_ever_a_formula(settings: RuleSettings, text: str) -> None:
    row = BASE._replace(
        description=text, owner=text, notes=text, evidence=text, rec_title=text, ref=text
    )
    ws = book_of([row], settings)["Actions"]
    for name in ("description", "owner", "notes", "evidence", "recommendation_title", "action"):
        cell = ws.cell(2, column(name))
        assert cell.data_type == "s", name
        assert as_excel_shows(cell.value) == text, name
    ws2 = book_of([row], settings)["Recommendations"]
    assert as_excel_shows(ws2.cell(2, 4).value) == text
    assert ws2.cell(2, 4).data_type == "s"


def test_the_raw_sheet_xml_has_no_formula_element(settings: RuleSettings) -> None:
    rows = [BASE._replace(id=i, ref=f"R1.{i}", description=t) for i, t in enumerate(HOSTILE)]
    out = io.BytesIO()
    write_workbook(rows, settings, out)
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                xml = archive.read(name).decode()
                assert "<f>" not in xml
                assert "<f " not in xml
                assert "<t>injected</t>" not in xml  # the rich-text lookalike is escaped


def test_the_roll_up_sheet_has_one_row_per_recommendation(
    sample_store: Store, settings: RuleSettings
) -> None:
    rows = list(sample_store.iter_actions(settings=settings))
    book = book_of(rows, settings)
    ws = book["Recommendations"]
    assert [c.value for c in ws[1]] == list(ROLLUP_COLUMNS)
    assert ws.freeze_panes == "A2"
    got = {(r[0], r[2]): r for r in ws.iter_rows(min_row=2, values_only=True)}
    recs = {(r.plan_key, r.rec_ref) for r in rows}
    assert set(got) == recs
    for (plan, ref), values in got.items():
        mine = [r for r in rows if r.plan_key == plan and r.rec_ref == ref]
        assert values[6] == len(mine)
        counted = [r for r in mine if r.status != "cancelled"]
        if counted:
            assert values[5] == pytest.approx(sum(r.progress for r in counted) / len(counted))
        assert values[8] == sum(1 for r in mine if r.overdue(settings.today))
        ratings = {r.rag(settings) for r in mine}
        if "RED" in {str(x) for x in ratings if x}:
            assert values[4] == "RED"


def test_cli_export_xlsx_by_suffix_and_by_format(
    sample_store: Store, db_url: str, tmp_path: Path
) -> None:
    url = db_url
    by_suffix = tmp_path / "snap.xlsx"
    assert main(["--db", url, "export", "--output", str(by_suffix)], out=io.StringIO()) == 0
    by_format = tmp_path / "snap.bin"
    code = main(
        ["--db", url, "export", "--format", "xlsx", "--overdue", "-o", str(by_format)],
        out=io.StringIO(),
    )
    assert code == 0
    whole = openpyxl.load_workbook(by_suffix)["Actions"]
    with by_format.open("rb") as stream:
        overdue = openpyxl.load_workbook(stream)["Actions"]
    assert whole.max_row == 55  # the 54 sample actions and the header
    assert 1 < overdue.max_row < whole.max_row
    flags = overdue.iter_rows(min_row=2, min_col=16, max_col=16, values_only=True)
    assert all(r[0] == "yes" for r in flags)


# --- the measures of impact ----------------------------------------------------------------


def exported(db: str, tmp_path: Path, *args: str) -> Any:
    path = tmp_path / "out.xlsx"
    path.unlink(missing_ok=True)
    assert main(["--db", db, "export", "-o", str(path), *args], out=io.StringIO()) == 0
    return openpyxl.load_workbook(path)


def with_measures(db: str, tmp_path: Path, *keys: str) -> None:
    """Import test_measures.py's plan (two measures, four readings) under each key."""
    for key in keys:
        path = tmp_path / f"{key}.toml"
        path.write_text(MEASURES_PLAN.replace(MEASURES_KEY, key), encoding="utf-8")
        assert main(["--db", db, "import", str(path)], out=io.StringIO()) == 0


def test_the_measures_sheet_is_the_scorecard_typed(db_url: str, tmp_path: Path) -> None:
    with_measures(db_url, tmp_path, MEASURES_KEY)
    book = exported(db_url, tmp_path)
    assert book.sheetnames == ["Actions", "Recommendations", "Measures", "Readings"]
    ws = book["Measures"]
    assert [c.value for c in ws[1]] == list(MEASURE_COLUMNS) == [
        "plan", "recommendation", "measure", "name", "unit", "direction", "target",
        "period", "value", "rag", "vs_previous", "vs_last_year",
    ]  # fmt: skip
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:L3"
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert rows == [
        (MEASURES_KEY, "R1", "M1.1", "Assessments completed within 45 working days", "%",
         "up", 85, "2026-10", 70, "AMBER", "worse", "improved"),
        (MEASURES_KEY, "R1", "M1.2", "Average caseload per social worker", "children",
         "down", 18, "2026-Q3", 20.5, "RED", None, None),
    ]  # fmt: skip
    cells = {name: ws.cell(2, i + 1) for i, name in enumerate(MEASURE_COLUMNS)}
    for name in ("target", "value"):
        assert cells[name].data_type == "n", name
    for name in ("period", "rag", "vs_previous", "name"):
        assert cells[name].data_type == "s", name
    for row, word in ((2, "AMBER"), (3, "RED")):
        rag = ws.cell(row, MEASURE_COLUMNS.index("rag") + 1)
        assert rag.value == word
        assert rag.fill.fill_type == "solid"
        assert rag.fill.fgColor.rgb == "FF" + RAG_FILLS[word][0].lstrip("#")
        assert rag.font.color.rgb == "FF" + RAG_FILLS[word][1].lstrip("#")
    assert ws.cell(3, MEASURE_COLUMNS.index("value") + 1).value == 20.5  # decimals kept


def test_the_readings_sheet_is_long_form_oldest_first(db_url: str, tmp_path: Path) -> None:
    with_measures(db_url, tmp_path, MEASURES_KEY)
    ws = exported(db_url, tmp_path)["Readings"]
    assert [c.value for c in ws[1]] == list(READING_COLUMNS)
    assert ws.freeze_panes == "A2"
    name = "Assessments completed within 45 working days"
    assert list(ws.iter_rows(min_row=2, values_only=True)) == [
        (MEASURES_KEY, "M1.1", name, "2025-10", 65, None, None, None),
        (MEASURES_KEY, "M1.1", name, "2026-09", 74.5, None, None, "Two teams short of staff"),
        (MEASURES_KEY, "M1.1", name, "2026-10", 70, 84, 120, "Agency cover ended"),
        (MEASURES_KEY, "M1.2", "Average caseload per social worker", "2026-Q3", 20.5, None,
         None, None),
    ]  # fmt: skip
    assert [ws.cell(4, col).data_type for col in range(1, 9)] == list("ssssnnns")
    assert ws.cell(4, 4).value == "2026-10"  # a period is text, never a date


def test_the_measures_sheets_follow_plan_and_rec(db_url: str, tmp_path: Path) -> None:
    with_measures(db_url, tmp_path, MEASURES_KEY, "other-2025")
    book = exported(db_url, tmp_path)
    assert [r[0] for r in book["Measures"].iter_rows(min_row=2, values_only=True)] == [
        "other-2025", "other-2025", MEASURES_KEY, MEASURES_KEY,
    ]  # fmt: skip
    one = exported(db_url, tmp_path, "--plan", "other-2025")
    assert {r[0] for r in one["Measures"].iter_rows(min_row=2, values_only=True)} == {"other-2025"}
    assert {r[0] for r in one["Readings"].iter_rows(min_row=2, values_only=True)} == {"other-2025"}
    assert one["Readings"].max_row == 5
    # An action filter chooses actions only; --rec chooses measures too.
    late = exported(db_url, tmp_path, "--plan", "other-2025", "--overdue")
    assert late["Measures"].max_row == 3
    none = exported(db_url, tmp_path, "--plan", "other-2025", "--rec", "R2")
    assert none["Measures"].cell(2, 1).value == NO_MEASURES


def test_the_measures_sheets_as_at_a_date(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_NOW", "2026-11-01T09:00:00Z")
    with_measures(db_url, tmp_path, MEASURES_KEY)
    monkeypatch.setenv("TRACKER_NOW", "2026-11-20T09:00:00Z")
    reading = ["reading", "add", f"{MEASURES_KEY}:M1.1", "--period", "2026-11", "--value", "80"]
    assert main(["--db", db_url, *reading, "--note", "=1+1"], out=io.StringIO()) == 0
    now = exported(db_url, tmp_path)
    then = exported(db_url, tmp_path, "--as-of", "2026-11-10")
    value, rag = MEASURE_COLUMNS.index("value") + 1, MEASURE_COLUMNS.index("rag") + 1
    period = MEASURE_COLUMNS.index("period") + 1
    assert now["Measures"].cell(2, period).value == "2026-11"
    assert (now["Measures"].cell(2, value).value, now["Measures"].cell(2, rag).value) == (
        80,
        "GREEN",
    )
    assert then["Measures"].cell(2, period).value == "2026-10"
    assert (then["Measures"].cell(2, value).value, then["Measures"].cell(2, rag).value) == (
        70,
        "AMBER",
    )

    def readings(book: Any) -> list[tuple[Any, ...]]:
        return [r[1:2] + r[3:] for r in book["Readings"].iter_rows(min_row=2, values_only=True)]

    # Now: the latest twelve periods from 2026-11, so 2025-10 has dropped out.
    assert readings(now) == [
        ("M1.1", "2026-09", 74.5, None, None, "Two teams short of staff"),
        ("M1.1", "2026-10", 70, 84, 120, "Agency cover ended"),
        ("M1.1", "2026-11", 80, None, None, "=1+1"),
        ("M1.2", "2026-Q3", 20.5, None, None, None),
    ]
    assert now["Readings"].cell(4, 8).data_type == "s"  # the note is text, not a formula
    assert readings(then) == [
        ("M1.1", "2025-10", 65, None, None, None),
        ("M1.1", "2026-09", 74.5, None, None, "Two teams short of staff"),
        ("M1.1", "2026-10", 70, 84, 120, "Agency cover ended"),
        ("M1.2", "2026-Q3", 20.5, None, None, None),
    ]
    # A measure added after the day is not in the export as at that day.
    before = exported(db_url, tmp_path, "--as-of", "2026-10-31")
    assert before["Measures"].cell(2, 1).value == NO_MEASURES


def test_a_store_with_no_measures_says_so_in_one_row(
    empty_store: Store, db_url: str, tmp_path: Path
) -> None:
    plan = MEASURES_PLAN.split("[[recommendations.measures]]")[0]
    (tmp_path / "plan.toml").write_text(plan, encoding="utf-8")
    assert main(["--db", db_url, "import", str(tmp_path / "plan.toml")], out=io.StringIO()) == 0
    book = exported(db_url, tmp_path)
    for name, columns, words in (
        ("Measures", MEASURE_COLUMNS, NO_MEASURES),
        ("Readings", READING_COLUMNS, NO_READINGS),
    ):
        ws = book[name]
        assert [c.value for c in ws[1]] == list(columns)
        assert [[c.value for c in row] for row in ws.iter_rows(min_row=2)] == [
            [words] + [None] * (len(columns) - 1)
        ]
    assert book["Actions"].max_row == 2


def test_without_measures_the_workbook_has_its_two_sheets(settings: RuleSettings) -> None:
    assert book_of([BASE], settings).sheetnames == ["Actions", "Recommendations"]


def hostile_measure(text: str) -> MeasureRow:
    points = (ReadingPoint("2026-09", 70), ReadingPoint("2026-10", 72, 90, 125, text))
    return MeasureRow(
        id=1, plan="p", recommendation="R1", recommendation_title=text, ref="M1.1", name=text,
        unit=text, direction="up", target=85, baseline=None, baseline_period=None,
        tolerance=10, frequency="monthly", status="active", version=1,
        score=score(points, target=85, direction="up"), recent=points,
    )  # fmt: skip


@pytest.mark.parametrize("text", HOSTILE)
def test_a_formula_looking_measure_is_kept_as_text(settings: RuleSettings, text: str) -> None:
    book = book_of([BASE], settings, measures=[hostile_measure(text)])
    ws = book["Measures"]
    assert [ws.cell(2, c).value for c in (7, 8, 9, 10, 11)] == [
        85,
        "2026-10",
        72,
        "RED",
        "improved",
    ]
    for col in (4, 5):  # name and unit
        assert ws.cell(2, col).data_type == "s"
        assert as_excel_shows(ws.cell(2, col).value) == text
    readings = book["Readings"]
    assert as_excel_shows(readings.cell(2, 3).value) == text
    assert as_excel_shows(readings.cell(3, 8).value) == text
    assert readings.cell(3, 8).data_type == "s"
    out = io.BytesIO()
    write_workbook([BASE], settings, out, measures=iter([hostile_measure(text)]))
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                xml = archive.read(name).decode()
                assert "<f>" not in xml
                assert "<f " not in xml
                assert "<t>injected</t>" not in xml


# --- import-sheet from a workbook --------------------------------------------------------

NAMING = ["--plan", "wb", "--authority", "Testshire County Council", "--title", "From Excel"]


def tracker_workbook(path: Path, *, bad_date: bool = False, cover: bool = True) -> Path:
    """A council's tracker as Excel keeps it: a cover sheet, a title row, the recommendation
    merged down the left, real date cells, % cells holding fractions, a formula's value."""
    book = xlsxwriter.Workbook(str(path))
    if cover:
        book.add_worksheet("Cover").write_string(0, 0, "Improvement plan: read me first")
    ws = book.add_worksheet("RAG tracker")
    day = book.add_format({"num_format": "dd/mm/yyyy"})
    pct = book.add_format({"num_format": "0%"})
    ws.write_string(0, 0, "Testshire improvement plan tracker")
    for col, name in enumerate(
        [
            "Recommendation",
            "Ref",
            "Action",
            "Lead officer",
            "Target date",
            "Status",
            "% complete",
            "Update",
        ]
    ):
        ws.write_string(2, col, name)
    ws.merge_range(3, 0, 5, 0, "1. Strengthen management oversight", None)
    ws.merge_range(6, 0, 7, 0, "2. Improve assessments", None)
    rows: list[tuple[Any, ...]] = [
        ("1.1", "Relaunch supervision", "Head of Service", date(2024, 4, 23), "Complete", 1.0),
        ("1.2", "Dip sample 20 cases", "Principal Social Worker", date(2026, 6, 30), "", 0.6),
        ("1.3", "Manager programme", "Workforce Manager", date(2027, 3, 31), "On track", 0.25),
        ("2.1", "Practice standards", "Assistant Director", date(2025, 3, 31), "Off track", 0.4),
        ("2.2", "=cmd|' /C calc'!A0", "Practice Lead", date(2026, 1, 15), "Not started", 0),
    ]
    for i, (ref, action, owner, deadline, status, done) in enumerate(rows, start=3):
        ws.write_string(i, 1, ref)
        ws.write_string(i, 2, action)
        ws.write_string(i, 3, owner)
        ws.write_datetime(i, 4, datetime.combine(deadline, datetime.min.time()), day)
        if status:
            ws.write_string(i, 5, status)
        ws.write_number(i, 6, done, pct)
    # A formula whose saved value is the update text; a date the reader must refuse.
    ws.write_formula(4, 7, '="Sampled "&"20 cases"', None, "Sampled 20 cases")
    if bad_date:
        ws.write_string(6, 4, "32/13/2026")
    book.close()
    return path


def import_sheet(db: str, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["--db", db, "import-sheet", *args, *NAMING], out=out)
    return code, out.getvalue()


def test_import_a_workbook_with_merged_cells_real_dates_and_percentages(
    db_url: str, tmp_path: Path, settings: RuleSettings
) -> None:
    path = tracker_workbook(tmp_path / "tracker.xlsx")
    code, text = import_sheet(db_url, str(path))
    assert code == 0, text
    assert "imported plan wb: 5 actions under 2 recommendations" in text
    store = Store.open(db_url)
    try:
        rows = {r.ref: r for r in store.iter_actions(filters=Filters(plan="wb"), settings=settings)}
    finally:
        store.close()
    assert sorted(rows) == ["R1.1", "R1.2", "R1.3", "R2.1", "R2.2"]
    assert rows["R1.1"].deadline == date(2024, 4, 23)
    assert rows["R1.1"].status == "complete"
    assert rows["R1.1"].progress == 100
    assert rows["R1.2"].progress == 60
    assert rows["R1.2"].status == "in_progress"
    assert rows["R1.2"].notes == "Sampled 20 cases"  # the formula's saved value
    assert rows["R1.3"].progress == 25
    assert rows["R1.3"].rec_ref == "R1"
    assert rows["R2.1"].rec_title == "Improve assessments"
    assert rows["R2.2"].description == "=cmd|' /C calc'!A0"  # text, kept as written


def test_dry_run_of_a_workbook_changes_nothing(db_url: str, tmp_path: Path) -> None:
    path = tracker_workbook(tmp_path / "tracker.xlsx")
    code, text = import_sheet(db_url, str(path), "--dry-run")
    assert code == 0, text
    assert "dry run, nothing is imported" in text
    assert "header row: 3" in text
    assert "ready: 5 actions would be imported as plan wb" in text
    store = Store.open(db_url)
    try:
        assert store.plan_keys() == []
    finally:
        store.close()


def test_a_bad_cell_is_named_as_excel_names_it_and_nothing_is_imported(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tracker_workbook(tmp_path / "tracker.xlsx", bad_date=True)
    code, _ = import_sheet(db_url, str(path))
    err = capsys.readouterr().err
    assert code == 1
    assert f"{path}: 'RAG tracker'!E7: Target date: '32/13/2026' is not a real date" in err
    assert "nothing was imported" in err
    store = Store.open(db_url)
    try:
        assert store.plan_keys() == []
    finally:
        store.close()


def test_sheet_by_name_and_a_missing_sheet(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tracker_workbook(tmp_path / "tracker.xlsx")
    code, _ = import_sheet(sqlite_url, str(path), "--sheet", "RAG tracker", "--dry-run")
    assert code == 0
    code, _ = import_sheet(sqlite_url, str(path), "--sheet", "Nope")
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"tracker: error: {path}: no sheet named 'Nope' (the sheets are 'Cover', "
        "'RAG tracker'); nothing was imported"
    ]


def test_sheet_option_on_a_csv_is_a_usage_error(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "t.csv"
    path.write_text("Ref,Action,Owner,Target date\n1.1,Do,Me,01/01/2027\n")
    code, _ = import_sheet(sqlite_url, str(path), "--sheet", "X")
    assert code == 2
    assert "--sheet" in capsys.readouterr().err


# --- bad workbooks: one clear line, nothing imported -------------------------------------


def _sheet_zip(path: Path, sheet_xml: str) -> Path:
    """A minimal .xlsx with one sheet whose XML is given (for shapes Excel never writes)."""
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    pkg = "http://schemas.openxmlformats.org/package/2006"
    doc = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            f'<Types xmlns="{pkg}/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxml'
            'formats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{pkg}/relationships"><Relationship Id="rId1" '
            f'Type="{doc}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<workbook {ns} {rel}><sheets><sheet name="Plan" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>",
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{pkg}/relationships"><Relationship Id="rId1" '
            f'Type="{doc}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        z.writestr("xl/worksheets/sheet1.xml", f"<worksheet {ns}>{sheet_xml}</worksheet>")
    return path


def _header_xml() -> str:
    cells = "".join(
        f'<c r="{col}1" t="inlineStr"><is><t>{name}</t></is></c>'
        for col, name in zip("ABCD", ("Ref", "Action", "Owner", "Target date"), strict=True)
    )
    return f'<row r="1">{cells}</row>'


def _million_rows(path: Path) -> Path:
    """A sheet that says it has a million rows (and starts like a tracker)."""
    return _sheet_zip(
        path,
        '<dimension ref="A1:D1000001"/><sheetData>' + _header_xml() + "</sheetData>",
    )


def _uncounted_rows(path: Path) -> Path:
    """No size record, and more rows than tracker reads: refused by counting."""
    rows = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(2, 100_003))
    return _sheet_zip(path, "<sheetData>" + _header_xml() + rows + "</sheetData>")


def _formulas(path: Path) -> Path:
    book = openpyxl.Workbook()  # openpyxl saves formulas without values, as Excel never does
    ws = book.active
    assert ws is not None
    ws.append(["Ref", "Action", "Owner", "Target date"])
    for n in range(2, 40):
        ws.append(["=ROW()-1", f'="Action "&{n}', "=A1", "=TODAY()+30"])
    book.save(path)
    return path


def _encrypted(path: Path) -> Path:
    # The compound-file container Excel wraps a password-protected workbook in.
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    path.write_bytes(header + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 2000)
    return path


def _old_xls(path: Path) -> Path:
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000)
    return path


def _renamed_csv(path: Path) -> Path:
    path.write_text("Ref,Action,Owner,Target date\n1.1,Do it,Me,01/01/2027\n")
    return path


def _corrupt(path: Path) -> Path:
    whole = tracker_workbook(path.with_name("whole.xlsx")).read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    return path


def _not_a_workbook_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "hi")
    return path


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (_encrypted, "is protected by a password"),
        (_old_xls, "is an Excel 97-2003 (.xls) workbook; save it as .xlsx first"),
        (_renamed_csv, "is a text (CSV) file, not an Excel workbook"),
        (_corrupt, "is damaged"),
        (_not_a_workbook_zip, "is a zip archive but not an Excel workbook"),
        (_million_rows, "has 1,000,001 rows; tracker reads at most 100,000"),
        pytest.param(
            _uncounted_rows,
            "has more than 100,000 rows; tracker reads at most 100,000",
            marks=pytest.mark.slow,
        ),
        (_formulas, "cells hold formulas with no saved value (first Sheet!A2)"),
    ],
)
def test_a_bad_workbook_is_one_clear_line_and_imports_nothing(
    sqlite_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make: Any,
    says: str,
) -> None:
    path = make(tmp_path / "plan.xlsx")
    code, out = import_sheet(sqlite_url, str(path))
    err = capsys.readouterr().err
    assert code == 1, out
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"tracker: error: {path}: ")
    assert says in lines[0]
    assert lines[0].endswith("nothing was imported")
    assert "Traceback" not in err
    store = Store.open(sqlite_url)
    try:
        assert store.plan_keys() == []
    finally:
        store.close()
