"""The CSV status snapshot: exact columns, BOM, CRLF, values per the rules, formula neutralising.

The golden file was generated from the sample plans at today 2026-11-25 and checked by
hand against product.md before it was frozen; any change to the snapshot shows up here.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import DATA

from tracker import cli
from tracker.domain.records import ActionRow
from tracker.domain.rules import RuleSettings
from tracker.formats.snapshot import COLUMNS, neutralise, snapshot_dicts, write_json, write_snapshot
from tracker.storage.store import Store

GOLDEN = DATA / "golden" / "snapshot-2026-11-25.csv"
HEADER = (
    "as_of,plan,authority,recommendation,recommendation_title,action,description,"
    "owner,partner,start,deadline,original_deadline,status,progress,rag,overdue,"
    "days_overdue,due_soon,measure,evidence,notes,last_updated,last_updated_by"
)


def snapshot_bytes(store: Store, settings: RuleSettings) -> bytes:
    out = io.StringIO(newline="")
    write_snapshot(store.iter_actions(settings=settings), settings, out)
    return out.getvalue().encode("utf-8")


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


def a_row(**overrides: Any) -> ActionRow:
    """An in-progress action 24 days overdue at the pinned today, with `overrides`."""
    return BASE._replace(**overrides)


def cells(row: ActionRow, settings: RuleSettings) -> dict[str, str]:
    out = io.StringIO(newline="")
    write_snapshot([row], settings, out)
    records = list(csv.DictReader(io.StringIO(out.getvalue().lstrip("\ufeff"), newline="")))
    assert len(records) == 1
    return records[0]


# --- the golden snapshot -------------------------------------------------------------------


def test_the_snapshot_matches_the_golden_file(sample_store: Store, settings: RuleSettings) -> None:
    assert snapshot_bytes(sample_store, settings) == GOLDEN.read_bytes()


def test_the_golden_file_has_bom_crlf_and_exactly_the_23_columns() -> None:
    data = GOLDEN.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data[3:].decode("utf-8")
    assert text.endswith("\r\n")
    assert text.split("\r\n", 1)[0] == HEADER
    assert len(COLUMNS) == 23
    assert ",".join(COLUMNS) == HEADER
    assert "\n" not in text.replace("\r\n", "")  # every line end is CRLF
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert rows
    assert all(len(r) == 23 for r in rows)


def test_the_golden_values_follow_the_rules() -> None:
    """Recompute RAG, overdue, days overdue and due soon from the file's own columns."""
    text = GOLDEN.read_bytes()[3:].decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    today = date(2026, 11, 25)
    for row in rows:
        assert row["as_of"] == "2026-11-25"
        deadline = date.fromisoformat(row["deadline"])
        status = row["status"]
        open_ = status in ("not_started", "in_progress", "blocked")
        late = (today - deadline).days if open_ and deadline < today else 0
        due_soon = open_ and today <= deadline <= date(2026, 12, 9)
        assert row["days_overdue"] == str(late), row["action"]
        assert row["overdue"] == ("yes" if late else "no"), row["action"]
        assert row["due_soon"] == ("yes" if due_soon else "no"), row["action"]
        if status == "complete":
            expected = "BLUE"
        elif status == "cancelled":
            expected = ""
        elif status == "blocked" or late > 30:
            expected = "RED"
        elif late or (due_soon and status == "not_started"):
            expected = "AMBER"
        else:
            expected = "GREEN"
        assert row["rag"] == expected, row["action"]
        assert row["last_updated"] == "2026-11-25T10:00:00Z"
        assert row["last_updated_by"] == "seed"
        if status == "complete":
            assert row["progress"] == "100"
    assert sum(r["overdue"] == "yes" for r in rows) >= 6
    assert {r["rag"] for r in rows} == {"RED", "AMBER", "GREEN", "BLUE", ""}


def test_cli_export_writes_the_golden_bytes(
    sample_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "snap.csv"
    db = str(sample_store.engine.url)
    assert cli.main(["--db", db, "export", "--output", str(target)]) == 0
    assert target.read_bytes() == GOLDEN.read_bytes()
    assert "wrote 54 actions" in capsys.readouterr().err


# --- cells ---------------------------------------------------------------------------------


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_that_could_be_a_formula_is_neutralised(start: str) -> None:
    assert neutralise(f"{start}SUM(A1:A9)") == f"'{start}SUM(A1:A9)"


@pytest.mark.parametrize("text", ["Head of Service", "'quoted", "100%", "", "a=b", " =x"])
def test_an_ordinary_cell_is_left_alone(text: str) -> None:
    assert neutralise(text) == text


def test_every_text_column_is_neutralised_in_the_snapshot(settings: RuleSettings) -> None:
    row = a_row(
        rec_title='=HYPERLINK("http://x")',
        description="+44 1785 223121",
        owner="@owner",
        partner="-partner",
        measure="\tmeasure",
        evidence="=1+1",
        notes="\rnote",
        updated_by="=cmd",
    )
    got = cells(row, settings)
    assert got["recommendation_title"] == '\'=HYPERLINK("http://x")'
    assert got["description"] == "'+44 1785 223121"
    assert got["owner"] == "'@owner"
    assert got["partner"] == "'-partner"
    assert got["measure"] == "'\tmeasure"
    assert got["evidence"] == "'=1+1"
    assert got["notes"] == "'\rnote"
    assert got["last_updated_by"] == "'=cmd"


def test_cell_formats(settings: RuleSettings) -> None:
    row = a_row(
        start=date(2026, 1, 5),
        original_deadline=date(2026, 9, 30),
        partner=None,
        description='Multi-line\r\n"quoted", with commas',
    )
    got = cells(row, settings)
    assert got["as_of"] == "2026-11-25"
    assert got["start"] == "2026-01-05"
    assert got["deadline"] == "2026-11-01"
    assert got["original_deadline"] == "2026-09-30"
    assert got["partner"] == ""
    assert got["progress"] == "40"
    assert (got["rag"], got["overdue"], got["days_overdue"], got["due_soon"]) == (
        "AMBER",
        "yes",
        "24",
        "no",
    )
    assert got["last_updated"] == "2026-11-02T09:30:05Z"
    assert got["description"] == 'Multi-line\r\n"quoted", with commas'


def test_a_cancelled_action_has_a_blank_rag(settings: RuleSettings) -> None:
    got = cells(a_row(status="cancelled"), settings)
    assert (got["rag"], got["overdue"], got["days_overdue"]) == ("", "no", "0")


# --- JSON ----------------------------------------------------------------------------------


def test_json_objects_have_the_csv_columns_with_typed_values(settings: RuleSettings) -> None:
    obj = next(snapshot_dicts([a_row(notes="=not a formula in JSON")], settings))
    assert list(obj) == list(COLUMNS)
    assert obj["progress"] == 40
    assert obj["days_overdue"] == 24
    assert obj["overdue"] is True
    assert obj["due_soon"] is False
    assert obj["partner"] is None
    assert obj["start"] is None
    assert obj["deadline"] == "2026-11-01"
    assert obj["rag"] == "AMBER"
    assert obj["notes"] == "=not a formula in JSON"
    assert obj["last_updated"] == "2026-11-02T09:30:05Z"


def test_write_json_is_a_json_array(settings: RuleSettings) -> None:
    out = io.StringIO()
    assert write_json([a_row(), a_row(id=2, ref="R1.2")], settings, out) == 2
    parsed = json.loads(out.getvalue())
    assert [o["action"] for o in parsed] == ["R1.1", "R1.2"]
    empty = io.StringIO()
    write_json([], settings, empty)
    assert json.loads(empty.getvalue()) == []
