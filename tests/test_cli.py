"""The command line: every command of product.md, its output, exit status and messages.

Most tests call `tracker.cli.main([...])` in process; a few run `python -m tracker` in a
subprocess to prove what a user sees: exit 0/1/2, one `tracker: error:` line per problem,
never a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES

from tracker import cli
from tracker.formats.plan_toml import load_plan_file, parse_plan_text
from tracker.formats.snapshot import COLUMNS
from tracker.storage.store import Store

KEY = "staffordshire-2024-ilacs"
R14 = f"{KEY}:R1.4"
SAMPLE_FILES = [str(p) for p in sorted(SAMPLES.glob("*.toml"))]

GOOD = """\
[plan]
key = "testshire-2025-ilacs"
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
"""


class Run:
    """Runs the CLI in process against one store, returning (status, stdout, stderr)."""

    def __init__(self, db: str, capsys: pytest.CaptureFixture[str]) -> None:
        self.db = db
        self.capsys = capsys

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        status = cli.main(["--db", self.db, *argv])
        out, err = self.capsys.readouterr()
        return status, out, err


@pytest.fixture
def run(db_url: str, capsys: pytest.CaptureFixture[str]) -> Run:
    """The CLI on a new store: a SQLite file, then a PostgreSQL schema."""
    return Run(db_url, capsys)


@pytest.fixture
def loaded(run: Run) -> Run:
    """The CLI on a store holding the three sample plans."""
    status, _, err = run("import", *SAMPLE_FILES)
    assert (status, err) == (0, "")
    return run


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# --- import ---------------------------------------------------------------------------------


def test_import_reports_each_plan(run: Run) -> None:
    status, out, err = run("import", *SAMPLE_FILES)
    assert status == 0
    assert err == ""
    lines = out.splitlines()
    assert len(lines) == 3
    assert lines[0] == f"{SAMPLE_FILES[0]}: imported plan {KEY}: 23 actions"


def test_a_bad_file_imports_nothing_and_names_file_place_and_problem(
    run: Run, tmp_path: Path
) -> None:
    bad = write(
        tmp_path,
        "bad.toml",
        GOOD.replace("deadline = 2026-06-30", 'dealine = 2026-06-30\nstart = "31/02/2025"'),
    )
    assert run("import", SAMPLE_FILES[1])[0] == 0
    status, out, err = run("import", SAMPLE_FILES[0], bad)
    assert status == 1
    assert out == ""
    assert err.splitlines() == [
        f"tracker: error: {bad}: recommendations[1].actions[1].dealine: unknown key "
        "(did you mean 'deadline'?)",
        f"tracker: error: {bad}: recommendations[1].actions[1].start: '31/02/2025' is not a "
        "real date",
        f"tracker: error: {bad}: recommendations[1].actions[1].deadline: is required",
        "tracker: error: nothing was imported",
    ]
    # The good file given with it was not imported either.
    status, out, _ = run("plans", "--format", "json")
    assert status == 0
    assert [p["plan"] for p in json.loads(out)] == ["staffordshire-2025-focused-visit"]


def test_the_same_key_twice_in_one_import_is_refused(run: Run, tmp_path: Path) -> None:
    a = write(tmp_path, "a.toml", GOOD)
    b = write(tmp_path, "b.toml", GOOD)
    status, _, err = run("import", a, b)
    assert status == 1
    assert err == f"tracker: error: {b}: plan.key: 'testshire-2025-ilacs' is also the key of {a}\n"


def test_an_existing_key_is_refused_unless_replace(loaded: Run) -> None:
    status, _, err = loaded("import", SAMPLE_FILES[0])
    assert status == 1
    assert err == (
        f"tracker: error: {SAMPLE_FILES[0]}: plan.key: the store already has a plan "
        f"'{KEY}'; use --replace to update it from this file\n"
    )
    status, out, err = loaded("import", "--replace", SAMPLE_FILES[0])
    assert status == 0
    assert out == f"{SAMPLE_FILES[0]}: replaced plan {KEY}: 0 added, 0 updated, 0 cancelled\n"


def test_importing_a_missing_file_is_an_error(run: Run) -> None:
    status, _, err = run("import", "no-such-plan.toml")
    assert status == 1
    assert err.splitlines() == [
        "tracker: error: no-such-plan.toml: no such file",
        "tracker: error: nothing was imported",
    ]


# --- plans, list, overdue ---------------------------------------------------------------------


def test_plans_counts_by_rag_and_overdue(loaded: Run) -> None:
    status, out, _ = loaded("plans", "--format", "json")
    assert status == 0
    plans = {p["plan"]: p for p in json.loads(out)}
    assert list(plans) == [KEY, "staffordshire-2025-focused-visit", "stoke-on-trent-2022-ilacs"]
    first = plans[KEY]
    assert (first["actions"], first["red"], first["amber"], first["green"], first["blue"]) == (
        23,
        4,
        3,
        4,
        11,
    )
    assert first["overdue"] == 6
    assert first["rag"] == "RED"
    status, out, _ = loaded("plans")
    assert out.splitlines()[0].split()[:3] == ["PLAN", "RAG", "ACTIONS"]
    assert f"{KEY}  " in out


def test_overdue_lists_exactly_the_open_actions_past_their_deadline(loaded: Run) -> None:
    status, out, _ = loaded("overdue", "--format", "json")
    assert status == 0
    rows = json.loads(out)
    overdue = {f"{r['plan']}:{r['action']}" for r in rows}
    assert all(r["overdue"] is True and r["days_overdue"] > 0 for r in rows)
    assert all(r["status"] in ("not_started", "in_progress", "blocked") for r in rows)
    _, every, _ = loaded("list", "--format", "json")
    expected = {
        f"{r['plan']}:{r['action']}"
        for r in json.loads(every)
        if r["deadline"] < "2026-11-25" and r["status"] in ("not_started", "in_progress", "blocked")
    }
    assert overdue == expected
    assert len(overdue) == 16
    _, same, _ = loaded("list", "--overdue", "--format", "json")
    assert same == out


def test_list_table_flags_overdue_as_text_and_counts(loaded: Run) -> None:
    status, out, _ = loaded("list", "--plan", KEY)
    assert status == 0
    lines = out.splitlines()
    assert lines[0].split()[0] == "ACTION"
    r14 = next(line for line in lines if line.startswith(f"{R14} "))
    assert "RED" in r14
    assert "OVERDUE 56d" in r14
    assert lines[-1] == (
        "23 actions, 6 overdue, 2 due soon, 1 blocked, 11 complete (as at 2026-11-25)"
    )


def test_list_when_nothing_matches(loaded: Run) -> None:
    status, out, _ = loaded("list", "--search", "no such words anywhere")
    assert status == 0
    assert "no actions match" in out


def test_list_format_csv_is_exactly_export_for_the_same_filters(
    loaded: Run, tmp_path: Path
) -> None:
    for filters in ([], ["--plan", KEY, "--rag", "RED"], ["--overdue", "--owner", "head"]):
        _, listed, _ = loaded("list", *filters, "--format", "csv")
        target = tmp_path / "snap.csv"
        status, stdout, _ = loaded("export", *filters, "--output", str(target))
        assert (status, stdout) == (0, "")
        assert listed.encode("utf-8") == target.read_bytes()
        _, exported, _ = loaded("export", *filters)  # to standard output
        assert exported == listed


def test_list_json_types(loaded: Run) -> None:
    _, out, _ = loaded("list", "--format", "json")
    rows = json.loads(out)
    assert len(rows) == 54
    for row in rows:
        assert list(row) == list(COLUMNS)
        assert isinstance(row["progress"], int)
        assert isinstance(row["days_overdue"], int)
        assert isinstance(row["overdue"], bool)
        assert isinstance(row["due_soon"], bool)
        for name in set(COLUMNS) - {"progress", "days_overdue", "overdue", "due_soon"}:
            assert row[name] is None or (isinstance(row[name], str) and row[name] != "")
    cancelled = next(r for r in rows if r["status"] == "cancelled")
    assert cancelled["rag"] is None
    assert any(r["partner"] is None for r in rows)


def test_filters_on_the_command_line(loaded: Run) -> None:
    def actions(*argv: str) -> list[str]:
        status, out, _ = loaded("list", *argv, "--format", "json")
        assert status == 0
        return [f"{r['plan']}:{r['action']}" for r in json.loads(out)]

    assert actions("--plan", KEY, "--rec", "R3") == [f"{KEY}:R3.{i}" for i in range(1, 7)]
    assert actions("--status", "blocked", "--status", "cancelled") == [
        f"{KEY}:R3.5",
        f"{KEY}:R3.6",
        "staffordshire-2025-focused-visit:R2.2",
        "staffordshire-2025-focused-visit:R3.6",
        "stoke-on-trent-2022-ilacs:R2.6",
        "stoke-on-trent-2022-ilacs:R3.2",
    ]
    assert actions("--due-soon", "--rag", "amber") == [
        f"{KEY}:R3.4",
        "staffordshire-2025-focused-visit:R3.3",
        "stoke-on-trent-2022-ilacs:R1.5",
    ]
    assert actions("--search", "R2.10") == [f"{KEY}:R2.10"]


def test_thresholds_change_what_list_shows(loaded: Run) -> None:
    _, out, _ = loaded("list", "--due-soon", "--due-soon-days", "7", "--format", "json")
    assert {r["deadline"] for r in json.loads(out)} <= {
        "2026-11-25",
        "2026-11-26",
        "2026-11-27",
        "2026-11-28",
        "2026-11-29",
        "2026-11-30",
        "2026-12-01",
        "2026-12-02",
    }
    _, out, _ = loaded("show", R14, "--tolerance-days", "60", "--format", "json")
    assert json.loads(out)["rag"] == "AMBER"  # 56 days late is within 60


def test_today_moves_the_judgement(loaded: Run) -> None:
    _, out, _ = loaded("--today", "01/10/2026", "show", R14, "--format", "json")
    row = json.loads(out)
    assert (row["as_of"], row["days_overdue"], row["rag"]) == ("2026-10-01", 1, "AMBER")


# --- show and update --------------------------------------------------------------------------


def test_update_then_show_gives_the_change_and_who_made_it(loaded: Run) -> None:
    status, out, err = loaded(
        "--user", "j.bloggs", "update", R14, "--status", "complete", "--note", "Audit signed off"
    )
    assert (status, err) == (0, "")
    assert out == (f"{R14}: status in_progress -> complete; progress 80 -> 100 (by j.bloggs)\n")
    status, out, _ = loaded("show", R14)
    assert status == 0
    assert "Status:            complete" in out
    assert "Progress:          100%" in out
    assert "Last updated:      2026-11-25T10:00:00Z by j.bloggs (version 2)" in out
    assert (
        "  2026-11-25T10:00:00Z  j.bloggs  status: in_progress -> complete  (Audit signed off)"
        in out
    )
    assert "  2026-11-25T10:00:00Z  j.bloggs  progress: 80 -> 100  (Audit signed off)" in out


def test_show_json_has_the_csv_columns_and_the_history_oldest_first(loaded: Run) -> None:
    loaded("update", R14, "--progress", "85", "--note", "first")
    loaded("update", R14, "--deadline", "31/12/2026", "--reason", "Board agreed")
    status, out, _ = loaded("show", R14, "--format", "json")
    assert status == 0
    obj = json.loads(out)
    assert list(obj) == [*COLUMNS, "version", "history"]
    assert obj["progress"] == 85
    assert obj["deadline"] == "2026-12-31"
    assert obj["original_deadline"] == "2025-03-31"
    assert obj["overdue"] is False
    assert obj["last_updated_by"] == "test.secretary"
    assert obj["history"] == [
        {
            "at": "2026-11-25T10:00:00Z",
            "by": "test.secretary",
            "field": "progress",
            "old": "80",
            "new": "85",
            "note": "first",
        },
        {
            "at": "2026-11-25T10:00:00Z",
            "by": "test.secretary",
            "field": "deadline",
            "old": "2026-09-30",
            "new": "2026-12-31",
            "note": "Board agreed",
        },
    ]


def test_show_text_with_no_history(loaded: Run) -> None:
    _, out, _ = loaded("show", f"{KEY}:R3.5")
    assert "RAG:               (cancelled: no RAG)" in out
    assert "no changes since it was imported" in out


def test_update_with_equal_values_says_no_change(loaded: Run) -> None:
    status, out, _ = loaded("update", R14, "--status", "in_progress", "--progress", "80")
    assert (status, out) == (0, f"{R14}: no change\n")
    _, shown, _ = loaded("show", R14, "--format", "json")
    assert json.loads(shown)["history"] == []


def test_update_note_alone(loaded: Run) -> None:
    status, out, _ = loaded("update", R14, "--note", "Discussed at the board")
    assert (status, out) == (0, f"{R14}: note added (by test.secretary)\n")
    _, shown, _ = loaded("show", R14, "--format", "json")
    assert [(h["field"], h["note"]) for h in json.loads(shown)["history"]] == [
        ("note", "Discussed at the board")
    ]


def test_update_user_from_the_environment(loaded: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_USER", "env.user")
    _, out, _ = loaded("update", R14, "--progress", "90")
    assert out.endswith("(by env.user)\n")


def test_update_relative_deadline(loaded: Run) -> None:
    status, out, _ = loaded("update", R14, "--deadline", "+3m", "--reason", "Recovery plan")
    assert status == 0
    assert "deadline 2026-09-30 -> 2027-02-25" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--deadline", "+2w"], "--deadline needs --reason: say why the deadline moved"),
        (["--reason", "why"], "--reason goes with --deadline (it says why the deadline moved)"),
        (
            ["--deadline", "31/02/2025", "--reason", "x"],
            "--deadline: '31/02/2025' is not a real date",
        ),
        (
            [],
            "say what to change: --status, --progress, --owner, --deadline with --reason, "
            "--evidence, --description, --measure, --partner, --start, --notes or --note",
        ),
        (
            ["--status", "done"],
            "argument --status: 'done' is not a status: use one of "
            "not_started, in_progress, blocked, complete, cancelled (see 'tracker update --help')",
        ),
        (
            ["--progress", "120"],
            "argument --progress: --progress must be between 0 and 100, "
            "not 120 (see 'tracker update --help')",
        ),
        (
            ["--progress", "half"],
            "argument --progress: --progress must be a whole number, "
            "not 'half' (see 'tracker update --help')",
        ),
    ],
)
def test_update_command_line_errors_exit_2(loaded: Run, argv: list[str], message: str) -> None:
    status, out, err = loaded("update", R14, *argv)
    assert (status, out) == (2, "")
    assert err == f"tracker: error: {message}\n"
    _, shown, _ = loaded("show", R14, "--format", "json")
    assert json.loads(shown)["history"] == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nope:R1.1", "--note", "x"], "no plan 'nope' in the store"),
        ([f"{KEY}:R9.9", "--note", "x"], f"no action 'R9.9' in plan '{KEY}'"),
        (
            [R14, "--status", "complete", "--progress", "50"],
            "a complete action has progress 100, not 50",
        ),
        ([R14, "--owner", "  "], "the owner must not be empty"),
        (
            [R14, "--deadline", "31/01/2024", "--reason", "typo"],
            "the deadline 2024-01-31 is before the action's start 2024-02-01",
        ),
    ],
)
def test_update_refused_by_the_data_exits_1(loaded: Run, argv: list[str], message: str) -> None:
    status, out, err = loaded("update", *argv)
    assert (status, out) == (1, "")
    assert err == f"tracker: error: {message}\n"


def test_show_an_unknown_action_exits_1(loaded: Run) -> None:
    status, _, err = loaded("show", "R1.4")
    assert status == 1
    assert err.startswith("tracker: error: 'R1.4' is in more than one plan: say which (")


# --- export-plan ------------------------------------------------------------------------------


def test_export_plan_round_trips(loaded: Run, tmp_path: Path) -> None:
    target = tmp_path / "out.toml"
    status, _, _ = loaded("export-plan", KEY, "--output", str(target))
    assert status == 0
    text = target.read_text(encoding="utf-8")
    assert text.startswith("[plan]\n")
    assert f'key = "{KEY}"' in text
    exported = parse_plan_text(text, name="out.toml", default_key="x")
    assert exported == load_plan_file(SAMPLES / f"{KEY}.toml")
    _, stdout_text, _ = loaded("export-plan", KEY)
    assert stdout_text == text


def test_export_plan_of_a_focused_visit_writes_empty_judgements(loaded: Run) -> None:
    _, text, _ = loaded("export-plan", "staffordshire-2025-focused-visit")
    assert "judgements = []" in text


def test_export_plan_unknown_key_exits_1(loaded: Run) -> None:
    status, out, err = loaded("export-plan", "nope")
    assert (status, out, err) == (1, "", "tracker: error: no plan 'nope' in the store\n")


def test_export_into_a_missing_folder_exits_1(loaded: Run, tmp_path: Path) -> None:
    status, _, err = loaded("export", "--output", str(tmp_path / "no" / "snap.csv"))
    assert status == 1
    assert err.startswith("tracker: error: ")
    assert "does not exist" in err


# --- the command line itself ------------------------------------------------------------------


def test_an_unknown_command_exits_2(run: Run) -> None:
    status, _, err = run("frobnicate")
    assert status == 2
    assert err.startswith("tracker: error: argument COMMAND: invalid choice: 'frobnicate'")


def test_a_bad_today_exits_2(run: Run) -> None:
    status, _, err = run("--today", "30/02/2026", "list")
    assert status == 2
    assert err == "tracker: error: --today: '30/02/2026' is not a real date\n"


def _tracker(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tracker", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def test_subprocess_exit_statuses_and_messages(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    done = _tracker("--db", db, "import", *SAMPLE_FILES)
    assert (done.returncode, done.stderr) == (0, "")

    bad = write(tmp_path, "bad.toml", GOOD.replace('status = "in_progress"', 'status = "done"'))
    refused = _tracker("--db", db, "import", bad)
    assert refused.returncode == 1
    assert refused.stderr.splitlines() == [
        f"tracker: error: {bad}: recommendations[1].actions[1].status: 'done' is not a status: "
        "use one of not_started, in_progress, blocked, complete, cancelled",
        "tracker: error: nothing was imported",
    ]

    wrong = _tracker("--db", db, "update", R14, "--progress", "101")
    assert wrong.returncode == 2
    assert wrong.stderr.startswith("tracker: error: argument --progress:")
    assert "Traceback" not in wrong.stderr

    updated = _tracker(
        "--db",
        db,
        "update",
        R14,
        "--status",
        "complete",
        "--note",
        "Signed off",
        env={"TRACKER_USER": "board.secretary"},
    )
    assert updated.returncode == 0
    assert updated.stdout.endswith("(by board.secretary)\n")
    shown = _tracker("--db", db, "show", R14)
    assert "board.secretary  status: in_progress -> complete  (Signed off)" in shown.stdout


def test_subprocess_csv_on_stdout_has_bom_and_crlf(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    assert _tracker("--db", db, "import", SAMPLE_FILES[0]).returncode == 0
    done = subprocess.run(
        [sys.executable, "-m", "tracker", "--db", db, "export", "--plan", KEY],
        capture_output=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0
    assert done.stdout.startswith(b"\xef\xbb\xbfas_of,plan,authority,")
    assert done.stdout.count(b"\r\n") == 24
    assert b"\n" not in done.stdout.replace(b"\r\n", b"")


def test_store_sees_what_the_cli_wrote(loaded: Run) -> None:
    loaded("update", R14, "--evidence", '=HYPERLINK("x")')
    store = Store.open(loaded.db)
    try:
        assert store.get_action(R14).evidence == '=HYPERLINK("x")'
    finally:
        store.close()
    _, csv_text, _ = loaded("export", "--plan", KEY, "--search", "R1.4")
    assert '\'=HYPERLINK(""x"")' in csv_text


def test_the_default_store_is_in_the_users_data_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert cli.main(["import", SAMPLE_FILES[0]]) == 0
    assert (tmp_path / "data" / "tracker" / "tracker.db").is_file()
    other = tmp_path / "other.db"
    monkeypatch.setenv("TRACKER_DB", str(other))
    assert cli.main(["import", SAMPLE_FILES[1]]) == 0
    assert other.is_file()
    capsys.readouterr()
    assert cli.main(["plans", "--format", "json"]) == 0
    assert [p["plan"] for p in json.loads(capsys.readouterr().out)] == [
        "staffordshire-2025-focused-visit"
    ]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u@host/db", "a store is a SQLite file or a PostgreSQL database"),
        ("postgresql+psycopg2://u@host/db", "tracker uses psycopg 3 with a postgresql+psycopg://"),
    ],
)
def test_a_database_tracker_cannot_use_is_one_clear_line(
    url: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = cli.main(["--db", url, "plans"])
    out, err = capsys.readouterr()
    assert status == 1
    assert out == ""
    assert err.startswith("tracker: error: cannot use the database ")
    assert message in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["list", "--plan", "staffordshire-2042-ilacs"],
        ["overdue", "--plan", "staffordshire-2042-ilacs", "--format", "csv"],
        ["export", "--plan", "staffordshire-2042-ilacs"],
        ["list", "--plan", "staffordshire-2042-ilacs", "--as-of", "2026-10-01"],
    ],
)
def test_a_plan_filter_naming_no_plan_is_an_error_not_an_empty_view(
    loaded: Run, argv: list[str]
) -> None:
    status, out, err = loaded(*argv)
    assert (status, out) == (1, "")
    assert err == (
        "tracker: error: no plan 'staffordshire-2042-ilacs' in the store "
        "(tracker plans lists them)\n"
    )
