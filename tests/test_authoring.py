"""Changing the plan in tracker (product.md, "Changing the plan"): new-plan, edit-plan,
add-rec, edit-rec, add-action, update of every field, move, carry-forward and undo, through
the command line and the store, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES
from test_cli import Run

from tracker.domain.errors import StaleWriteError, ValidationError
from tracker.domain.records import ActionChanges
from tracker.domain.updates import ActionEdit, NewAction
from tracker.formats.plan_toml import load_plan_file
from tracker.storage.changing import PlanFields
from tracker.storage.store import Store

KEY = "testshire-2024-ilacs"


@pytest.fixture
def run(db_url: str, capsys: pytest.CaptureFixture[str]) -> Run:
    return Run(db_url, capsys)


@pytest.fixture
def planned(run: Run) -> Run:
    """A new plan with two recommendations, R2 holding R2.1 to R2.10."""
    assert (
        run(
            "new-plan",
            KEY,
            "--authority",
            "Testshire County Council",
            "--title",
            "Improvement plan",
            "--published",
            "12/01/2024",
        )[0]
        == 0
    )
    assert run("add-rec", KEY, "--title", "Front door")[1] == f"{KEY}:R1\n"
    assert run("add-rec", KEY, "--title", "Care leavers")[1] == f"{KEY}:R2\n"
    for n in range(1, 11):
        status, out, err = run(
            "add-action",
            f"{KEY}:R2",
            "--description",
            f"Step {n}",
            "--owner",
            "Head of Service",
            "--deadline",
            "31/03/2027",
        )
        assert (status, out, err) == (0, f"{KEY}:R2.{n}\n", "")
    return run


def show(run: Run, address: str) -> dict:
    status, out, err = run("show", address, "--format", "json")
    assert (status, err) == (0, ""), err
    return json.loads(out)


def stamp(db: str) -> tuple:
    store = Store.open(db, create=False)
    try:
        return store.data_stamp(), store.plan_history(KEY)
    finally:
        store.close()


# --- new plan ---------------------------------------------------------------------------


def test_new_plan_sets_the_due_date_70_working_days_after_publication(run: Run) -> None:
    status, out, err = run(
        "new-plan",
        KEY,
        "--authority",
        "Testshire CC",
        "--title",
        "Plan",
        "--published",
        "12 January 2024",
        "--judgement",
        "Overall effectiveness=inadequate",
    )
    assert (status, err) == (0, "")
    assert (
        out
        == f"created plan {KEY}: due 2024-04-23 (70 working days after publication on 2024-01-12)\n"
    )
    status, out, _ = run("export-plan", KEY)
    assert "plan_due = 2024-04-23" in out
    assert 'grade = "Inadequate"' in out
    assert (
        run("new-plan", "other", "--authority", "A", "--title", "T", "--plan-due", "2025-01-31")[1]
        == "created plan other: due 2025-01-31\n"
    )
    assert run("new-plan", "bare", "--authority", "A", "--title", "T")[1] == (
        "created plan bare: no due date (give --published or --plan-due)\n"
    )


def test_judgements_are_added_and_changed_with_history(planned: Run) -> None:
    area = "The experiences and progress of children in care"
    assert (
        planned("edit-plan", KEY, "--judgement", f"{area}=Good")[1] == f"plan {KEY}: 1 change(s)\n"
    )
    assert (
        planned(
            "edit-plan",
            KEY,
            "--judgement",
            f"{area}=requires improvement to be good",
            "--note",
            "re-graded",
        )[0]
        == 0
    )
    assert planned("edit-plan", KEY, "--title", "Improvement plan v2")[0] == 0
    out = planned("export-plan", KEY)[1]
    assert 'grade = "Requires improvement to be good"' in out
    assert 'title = "Improvement plan v2"' in out
    _, history = stamp(planned.db)
    grades = [
        (h["item"], h["old"], h["new"], h["note"]) for h in history if h["kind"] == "judgement"
    ]
    assert grades == [
        (area, None, "Good", None),
        (area, "Good", "Requires improvement to be good", "re-graded"),
    ]
    status, _, err = planned("edit-plan", KEY, "--judgement", f"{area}=Brilliant")
    assert status == 2
    assert "'Brilliant' is not a grade" in err


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (
            ["new-plan", "bad key", "--authority", "A", "--title", "T"],
            1,
            "is not a usable plan key",
        ),
        (["new-plan", KEY, "--authority", "A", "--title", "T"], 1, f"already has a plan '{KEY}'"),
        (
            ["new-plan", "x", "--authority", "A", "--title", "T", "--published", "31/02/2024"],
            2,
            "--published: '31/02/2024' is not a real date",
        ),
        (
            ["new-plan", "x", "--authority", "A" * 301, "--title", "T"],
            1,
            "longer than 300 characters",
        ),
        (["add-rec", "nope", "--title", "T"], 1, "no plan 'nope' in the store"),
        (["add-rec", KEY, "--title", "T", "--ref", "R1"], 1, "already has a recommendation 'R1'"),
        (["add-rec", KEY, "--title", "T", "--ref", "R:9"], 1, "must not contain ':'"),
        (
            ["add-action", f"{KEY}:R9", "--description", "d", "--owner", "o", "--deadline", "+2w"],
            1,
            f"no recommendation 'R9' in plan '{KEY}'",
        ),
        (
            ["add-action", KEY, "--description", "d", "--owner", "o", "--deadline", "+2w"],
            2,
            "is not an address",
        ),
        (
            [
                "add-action",
                f"{KEY}:R1",
                "--description",
                "d",
                "--owner",
                "o",
                "--deadline",
                "30/02/2027",
            ],
            2,
            "is not a real date",
        ),
        (
            [
                "add-action",
                f"{KEY}:R1",
                "--description",
                "d",
                "--owner",
                "o",
                "--deadline",
                "+2w",
                "--ref",
                "R2.3",
            ],
            1,
            f"{KEY}:R2.3 already exists",
        ),
        (
            [
                "add-action",
                f"{KEY}:R1",
                "--description",
                "d" * 20_001,
                "--owner",
                "o",
                "--deadline",
                "+2w",
            ],
            1,
            "longer than 20,000 characters",
        ),
        (
            [
                "add-action",
                f"{KEY}:R1",
                "--description",
                "d",
                "--owner",
                "o",
                "--deadline",
                "01/01/2027",
                "--start",
                "02/01/2027",
            ],
            1,
            "is after the deadline",
        ),
        (["edit-rec", f"{KEY}:R7", "--title", "T"], 1, f"no recommendation 'R7' in plan '{KEY}'"),
        (["edit-rec", f"{KEY}:R1", "--title", " "], 1, "the title must not be empty"),
        (["move", f"{KEY}:R2.1", "--to", f"{KEY}:R8"], 1, "no recommendation 'R8'"),
        (["move", f"{KEY}:R2.1", "--to", f"{KEY}:R1", "--ref", "R2.2"], 1, "already exists"),
        (["move", f"{KEY}:R2.1", "--to", "elsewhere:R1"], 1, "move keeps an action in its plan"),
        (["update", f"{KEY}:R2.1", "--start", "01/06/2027"], 1, "is after the action's deadline"),
        (["update", f"{KEY}:R2.1", "--description", ""], 1, "the description must not be empty"),
        (["carry-forward", KEY, "--to", "nope"], 1, "no plan 'nope' in the store"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(
    planned: Run, argv: list[str], code: int, message: str
) -> None:
    before = stamp(planned.db)
    status, out, err = planned(*argv)
    assert (status, out) == (code, "")
    assert err.startswith("tracker: error: ")
    assert err.count("\n") == 1
    assert message in err
    assert stamp(planned.db) == before


# --- recommendations and actions -----------------------------------------------------------


def test_next_refs_in_natural_order_and_created_history(planned: Run) -> None:
    status, out, err = planned(
        "add-action",
        f"{KEY}:R2",
        "--description",
        "Eleventh",
        "--owner",
        "Team Lead",
        "--deadline",
        "+3m",
        "--status",
        "complete",
        "--note",
        "agreed at board",
    )
    assert (status, out, err) == (0, f"{KEY}:R2.11\n", "")
    action = show(planned, f"{KEY}:R2.11")
    assert (action["progress"], action["deadline"]) == (100, "2027-02-25")
    assert [(h["field"], h["by"], h["note"]) for h in action["history"]] == [
        ("created", "test.secretary", "agreed at board")
    ]
    assert planned("add-rec", KEY, "--title", "Third")[1] == f"{KEY}:R3\n"
    assert (
        planned(
            "add-action",
            f"{KEY}:R3",
            "--description",
            "d",
            "--owner",
            "o",
            "--deadline",
            "+1m",
            "--ref",
            "R3.7",
        )[1]
        == f"{KEY}:R3.7\n"
    )
    assert (
        planned(
            "add-action", f"{KEY}:R3", "--description", "d", "--owner", "o", "--deadline", "+1m"
        )[1]
        == f"{KEY}:R3.8\n"
    )


def test_edit_rec_changes_title_text_and_area_with_history(planned: Run) -> None:
    status, out, _ = planned(
        "edit-rec",
        f"{KEY}:R1",
        "--title",
        "Front door oversight",
        "--text",
        "Managers' oversight",
        "--note",
        "as the report says",
    )
    assert status == 0
    assert out == (
        f"{KEY}:R1: title Front door -> Front door oversight; "
        f"text (empty) -> Managers' oversight (by test.secretary)\n"
    )
    assert planned("edit-rec", f"{KEY}:R1", "--title", "Front door oversight")[1] == (
        f"{KEY}:R1: no change\n"
    )
    _, history = stamp(planned.db)
    assert [(h["item"], h["field"], h["old"], h["new"], h["note"]) for h in history][-2:] == [
        ("R1", "title", "Front door", "Front door oversight", "as the report says"),
        ("R1", "text", None, "Managers' oversight", "as the report says"),
    ]


def test_update_changes_every_field(planned: Run) -> None:
    status, _out, err = planned(
        "update",
        f"{KEY}:R2.1",
        "--description",
        "Step one, reworded",
        "--measure",
        "90%",
        "--partner",
        "Police",
        "--start",
        "01/12/2026",
        "--notes",
        "see minutes",
        "--owner",
        "Team Lead",
        "--evidence",
        "audit",
        "--progress",
        "30",
        "--deadline",
        "30/04/2027",
        "--reason",
        "slipped",
        "--note",
        "board",
    )
    assert (status, err) == (0, ""), err
    action = show(planned, f"{KEY}:R2.1")
    assert {
        k: action[k]
        for k in (
            "description",
            "measure",
            "partner",
            "start",
            "notes",
            "owner",
            "evidence",
            "progress",
            "deadline",
            "original_deadline",
        )
    } == {
        "description": "Step one, reworded",
        "measure": "90%",
        "partner": "Police",
        "start": "2026-12-01",
        "notes": "see minutes",
        "owner": "Team Lead",
        "evidence": "audit",
        "progress": 30,
        "deadline": "2027-04-30",
        "original_deadline": "2027-03-31",
    }
    fields = [(h["field"], h["note"]) for h in action["history"][1:]]
    assert sorted(fields) == sorted(
        [
            ("progress", "board"),
            ("owner", "board"),
            ("deadline", "slipped"),
            ("start", "board"),
            ("description", "board"),
            ("partner", "board"),
            ("measure", "board"),
            ("evidence", "board"),
            ("notes", "board"),
        ]
    )
    assert planned("update", f"{KEY}:R2.1", "--partner", "", "--start", "none")[1] == (
        f"{KEY}:R2.1: start 2026-12-01 -> (empty); partner Police -> (empty) (by test.secretary)\n"
    )


def test_move_keeps_id_and_history_and_the_old_address_names_the_new(planned: Run) -> None:
    before = show(planned, f"{KEY}:R2.4")
    status, out, err = planned(
        "move", f"{KEY}:R2.4", "--to", f"{KEY}:R1", "--note", "belongs there"
    )
    assert (status, out, err) == (0, f"{KEY}:R2.4 -> {KEY}:R1.1 (by test.secretary)\n", "")
    after = show(planned, f"{KEY}:R1.1")
    assert after["recommendation"] == "R1"
    assert after["description"] == before["description"]
    assert [(h["field"], h["old"], h["new"], h["note"]) for h in after["history"]] == [
        ("created", None, f"{KEY}:R2.4", None),
        ("ref", "R2.4", "R1.1", "belongs there"),
    ]
    status, out, err = planned("show", f"{KEY}:R2.4")
    assert (status, err) == (1, f"tracker: error: {KEY}:R2.4 has moved: it is now {KEY}:R1.1\n")
    # The next action under R2 never takes the moved action's old ref.
    assert planned("move", f"{KEY}:R2.10", "--to", f"{KEY}:R1")[1].endswith(
        f"{KEY}:R1.2 (by test.secretary)\n"
    )
    assert (
        planned(
            "add-action", f"{KEY}:R2", "--description", "d", "--owner", "o", "--deadline", "+1m"
        )[1]
        == f"{KEY}:R2.11\n"
    )


def test_cancel_instead_of_delete(planned: Run) -> None:
    assert planned("update", f"{KEY}:R2.2", "--status", "cancelled", "--note", "withdrawn")[0] == 0
    assert show(planned, f"{KEY}:R2.2")["status"] == "cancelled"


def test_carry_forward_moves_open_actions_with_one_entry_each(planned: Run) -> None:
    assert planned("update", f"{KEY}:R2.3", "--status", "complete")[0] == 0
    assert planned("update", f"{KEY}:R2.5", "--status", "cancelled")[0] == 0
    assert (
        planned(
            "new-plan",
            "testshire-2026-mv",
            "--authority",
            "Testshire CC",
            "--title",
            "Monitoring visit plan",
        )[0]
        == 0
    )
    assert (
        planned("add-rec", "testshire-2026-mv", "--title", "Care leavers (2026)", "--ref", "R2")[0]
        == 0
    )
    assert (
        planned(
            "add-action",
            "testshire-2026-mv:R2",
            "--description",
            "new",
            "--owner",
            "o",
            "--deadline",
            "+1m",
        )[0]
        == 0
    )
    status, out, err = planned("carry-forward", KEY, "--to", "testshire-2026-mv")
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"{KEY}:R2.1 -> testshire-2026-mv:R2.2"
    assert lines[-1] == f"8 open action(s) carried forward from {KEY} to testshire-2026-mv"
    moved = show(planned, "testshire-2026-mv:R2.2")
    assert moved["history"][-1]["field"] == "plan"
    assert (moved["history"][-1]["old"], moved["history"][-1]["new"]) == (
        f"{KEY}:R2.1",
        "testshire-2026-mv:R2.2",
    )
    assert show(planned, f"{KEY}:R2.3")["status"] == "complete"  # stays behind
    assert planned("show", f"{KEY}:R2.1")[2] == (
        f"tracker: error: {KEY}:R2.1 has moved: it is now testshire-2026-mv:R2.2\n"
    )
    # A recommendation the new plan lacks is made with the old title.
    assert (
        planned(
            "add-action", f"{KEY}:R1", "--description", "d", "--owner", "o", "--deadline", "+1m"
        )[0]
        == 0
    )
    assert planned("carry-forward", KEY, "--to", "testshire-2026-mv")[0] == 0
    assert show(planned, "testshire-2026-mv:R1.1")["recommendation_title"] == "Front door"


# --- undo -------------------------------------------------------------------------------


def test_undo_reverts_the_latest_group_with_new_history(planned: Run) -> None:
    assert planned("update", f"{KEY}:R2.1", "--status", "complete", "--note", "done")[0] == 0
    before = stamp(planned.db)
    status, out, err = planned("undo", "--dry-run")
    assert (status, err) == (0, "")
    assert out.splitlines()[1:] == [
        f"  {KEY}:R2.1: progress 100 -> 0",
        f"  {KEY}:R2.1: status complete -> not_started",
    ]
    assert stamp(planned.db) == before
    status, out, err = planned("undo")
    assert out.startswith("undid your update of 2026-11-25T10:00:00Z:\n")
    action = show(planned, f"{KEY}:R2.1")
    assert (action["status"], action["progress"]) == ("not_started", 0)
    assert [(h["field"], h["old"], h["new"], h["note"]) for h in action["history"][-2:]] == [
        ("progress", "100", "0", "undo"),
        ("status", "complete", "not_started", "undo"),
    ]
    # Undo again walks further back: the last add-action, whose action is cancelled.
    status, out, _ = planned("undo")
    assert (
        out.splitlines()[1] == f"  {KEY}:R2.10: added by mistake: status not_started -> cancelled"
    )


def test_undo_is_refused_over_someone_elses_newer_change(planned: Run) -> None:
    assert planned("update", f"{KEY}:R2.1", "--progress", "40")[0] == 0
    assert planned("--user", "ben", "update", f"{KEY}:R2.1", "--progress", "55")[0] == 0
    before = stamp(planned.db)
    status, out, err = planned("undo")
    assert (status, out) == (1, "")
    assert err == (
        "tracker: error: cannot undo your update of 2026-11-25T10:00:00Z: "
        f"{KEY}:R2.1: progress: ben changed it since (progress 40 -> 55, "
        "2026-11-25T10:00:00Z); nothing was undone\n"
    )
    assert stamp(planned.db) == before


def test_undo_of_moves_deadlines_plans_and_recommendations(planned: Run) -> None:
    assert planned("update", f"{KEY}:R2.2", "--deadline", "+5m", "--reason", "slipped")[0] == 0
    assert planned("move", f"{KEY}:R2.2", "--to", f"{KEY}:R1")[0] == 0
    assert planned("edit-rec", f"{KEY}:R1", "--title", "Renamed")[0] == 0
    assert planned("undo")[0] == 0
    assert planned("undo")[0] == 0
    assert planned("undo")[0] == 0
    action = show(planned, f"{KEY}:R2.2")
    assert (action["deadline"], action["original_deadline"], action["recommendation"]) == (
        "2027-03-31",
        None,
        "R2",
    )
    assert 'title = "Front door"' in planned("export-plan", KEY)[1]
    # An empty recommendation and an empty plan are taken away again.
    assert planned("new-plan", "typo-plan", "--authority", "A", "--title", "T")[0] == 0
    assert planned("add-rec", "typo-plan", "--title", "T")[0] == 0
    assert planned("undo")[1].endswith("recommendation R1 taken away again (it is empty)\n")
    assert planned("undo")[0] == 0
    assert "typo-plan" not in planned("plans", "--format", "json")[1]


def test_nothing_to_undo(run: Run) -> None:
    assert run("--user", "ben", "new-plan", KEY, "--authority", "A", "--title", "T")[0] == 0
    status, _out, err = run("undo")
    assert (status, err) == (1, "tracker: error: nothing of yours (test.secretary) to undo\n")


# --- the store's doors for the TUI: bulk edit and stale writes --------------------------------


def test_bulk_edit_is_one_transaction_and_one_undo(empty_store: Store) -> None:
    path = SAMPLES / "staffordshire-2024-ilacs.toml"
    empty_store.import_plans([(path.name, load_plan_file(path))], user="seed")
    key = "staffordshire-2024-ilacs"
    rows = [empty_store.get_action(f"{key}:R1.{n}") for n in (1, 2, 3)]
    stale = ActionEdit(
        rows[2].id, ActionChanges(status="blocked"), expected_version=rows[2].version - 1 or 99
    )
    with pytest.raises(StaleWriteError):
        empty_store.update_actions(
            [ActionEdit(r.id, ActionChanges(status="blocked"), r.version) for r in rows[:2]]
            + [stale],
            user="lead",
        )
    assert [empty_store.get_action(r.id).status for r in rows] == [r.status for r in rows]
    result = empty_store.update_actions(
        [ActionEdit(r.id, ActionChanges(status="blocked", note="bulk"), r.version) for r in rows],
        user="lead",
    )
    assert result.count == sum(1 for r in rows if r.status != "blocked")
    assert all(empty_store.get_action(r.id).status == "blocked" for r in rows)
    undone = empty_store.undo(user="lead")
    assert len(undone.lines) == result.count
    assert [empty_store.get_action(r.id).status for r in rows] == [r.status for r in rows]


def test_stale_move_and_recommendation_edit_are_refused(empty_store: Store) -> None:
    empty_store.new_plan(KEY, _fields(), user="a")
    empty_store.add_recommendation(KEY, title="One", user="a")
    empty_store.add_recommendation(KEY, title="Two", user="a")
    address = empty_store.add_action(KEY, "R1", _new(), user="a")
    version = empty_store.get_action(address).version
    empty_store.update_action(address, ActionChanges(progress=10), user="b")
    with pytest.raises(StaleWriteError):
        empty_store.move_action(
            address, to_plan_key=KEY, to_rec_ref="R2", user="a", expected_version=version
        )
    with pytest.raises(StaleWriteError, match="someone else changed the title"):
        empty_store.edit_recommendation(
            KEY, "R1", {"title": "Uno"}, user="a", expected={"title": "Old title"}
        )
    with pytest.raises(ValidationError):
        empty_store.add_action(KEY, "R1", _new(ref="R1.1"), user="a")


def _fields() -> PlanFields:
    return PlanFields(authority="Testshire CC", title="Plan", published=date(2024, 1, 12))


def _new(ref: str | None = None) -> NewAction:
    return NewAction(description="Audit", owner="AD", deadline=date(2027, 3, 31), ref=ref)


# --- two writers at once ------------------------------------------------------------------


def test_two_processes_adding_to_one_recommendation_get_distinct_refs(planned: Run) -> None:
    """Two writers add 10 actions each to R1 at the same moment: 20 distinct refs, none lost."""
    code = (
        "import sys\n"
        "from tracker.cli import main\n"
        "for i in range(10):\n"
        "    rc = main(['--db', sys.argv[1], '--user', sys.argv[2], 'add-action', "
        f"'{KEY}:R1', '--description', f'{{sys.argv[2]}} {{i}}', '--owner', 'o', "
        "'--deadline', '+1m'])\n"
        "    assert rc == 0, rc\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, planned.db, who],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for who in ("amy", "ben")
    ]
    results = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    refs = [line for out, _ in results for line in out.splitlines()]
    assert sorted(refs) == sorted(f"{KEY}:R1.{n}" for n in range(1, 21))
    _status, out, _ = planned("list", "--rec", "R1", "--format", "json")
    assert len(json.loads(out)) == 20


# --- a safe round trip ------------------------------------------------------------------------

SAMPLE = str(SAMPLES / "staffordshire-2024-ilacs.toml")
STAFFS = "staffordshire-2024-ilacs"


def test_export_plan_records_versions_and_a_stale_reimport_is_refused(
    run: Run, tmp_path: Path
) -> None:
    assert run("import", SAMPLE)[0] == 0
    exported = tmp_path / "staffs.toml"
    assert run("export-plan", STAFFS, "--output", str(exported))[0] == 0
    assert exported.read_text(encoding="utf-8").count("\nversion = 1\n") == 23
    assert run("--user", "Team Lead", "update", f"{STAFFS}:R1.4", "--progress", "95")[0] == 0
    before = stamp(run.db)
    status, out, err = run("import", "--replace", str(exported))
    assert (status, out) == (1, "")
    assert err.splitlines() == [
        f"tracker: error: {exported}: {STAFFS}:R1.4: changed in the store since this file was "
        "exported (version 1, now 2): Team Lead set progress to 95 at 2026-11-25T10:00:00Z "
        "(the file has 80)",
        f"tracker: error: {exported}: nothing was imported: --force overwrites these changes",
    ]
    assert stamp(run.db) == before
    assert show(run, f"{STAFFS}:R1.4")["progress"] == 95
    # The same file with nothing changed since goes in; --force overwrites and says what.
    status, out, err = run("import", "--replace", "--force", str(exported))
    assert (status, err) == (0, "")
    assert out.splitlines()[1:] == [
        "  1 field(s) set back to the file's value:",
        f"  {STAFFS}:R1.4: progress 95 -> 80 (set by Team Lead at 2026-11-25T10:00:00Z)",
    ]
    assert show(run, f"{STAFFS}:R1.4")["progress"] == 80


def test_a_file_without_versions_lists_every_field_it_sets_back(run: Run, tmp_path: Path) -> None:
    assert run("import", SAMPLE)[0] == 0
    assert (
        run(
            "--user", "ben", "update", f"{STAFFS}:R1.4", "--progress", "90", "--owner", "Team Lead"
        )[0]
        == 0
    )
    status, out, err = run("import", "--replace", SAMPLE)
    assert (status, err) == (0, "")
    assert out.splitlines()[1:] == [
        "  2 field(s) set back to the file's value:",
        f"  {STAFFS}:R1.4: owner Team Lead -> Assistant Director, Children's Social Care "
        "(set by ben at 2026-11-25T10:00:00Z)",
        f"  {STAFFS}:R1.4: progress 90 -> 80 (set by ben at 2026-11-25T10:00:00Z)",
    ]
    assert run("import", "--force", SAMPLE)[0] == 2


def test_a_store_from_before_change_groups_gets_them_when_next_opened(sqlite_url: str) -> None:
    """An older store has no change-group tables: opening it to write adds them, and undo works."""
    import sqlite3

    store = Store.open(sqlite_url)
    store.new_plan(KEY, _fields(), user="a")
    store.close()
    path = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        for table in ("history_group", "plan_history", "change_group"):
            conn.execute(f"DROP TABLE {table}")
    store = Store.open(sqlite_url)
    try:
        assert store.add_recommendation(KEY, title="One", user="a") == "R1"
        assert store.undo(user="a").lines == [
            f"{KEY}: recommendation R1 taken away again (it is empty)"
        ]
    finally:
        store.close()
