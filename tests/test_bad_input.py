"""Bad plan files, bad updates and bad stores: one clear line each, the right exit status,
and the store exactly as it was.

The plan files live in tests/data/bad/; each row of BAD_FILES says where the problem is
(the PLACE of `tracker: error: FILE: PLACE: what`) and a piece of what the message says.
A whole-file problem (empty, binary, UTF-16) has no place inside the file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DATA, SAMPLES, TODAY, in_ci

from tracker import cli
from tracker.domain.rules import RuleSettings
from tracker.formats.plan_toml import load_plan_file
from tracker.storage.store import Store

BAD = DATA / "bad"
A3 = "recommendations[2].actions[3]"  # the third action of the second recommendation

BAD_FILES: list[tuple[str, str | None, str]] = [
    # TOML syntax: the line and column tomllib found
    ("syntax-unclosed-string.toml", "line 53, column 41", "TOML syntax error"),
    ("syntax-missing-equals.toml", "line 33, column 7", "Expected '='"),
    ("syntax-duplicate-key.toml", "line 56, column 19", "Cannot overwrite a value"),
    ("impossible-date-toml.toml", "line 54, column 12", "Invalid date"),
    # encodings and not text at all
    ("encoding-latin1.toml", "line 52", "is not UTF-8 text"),
    ("encoding-utf16.toml", None, "is UTF-16 text"),
    ("binary.toml", None, "is a binary file"),
    ("empty.toml", None, "the file is empty"),
    ("whitespace-only.toml", None, "the file is empty"),
    # required fields
    ("missing-plan-table.toml", "plan", "is required"),
    ("missing-authority.toml", "plan.authority", "is required"),
    ("missing-recommendation-title.toml", "recommendations[1].title", "is required"),
    ("missing-deadline.toml", f"{A3}.deadline", "is required"),
    ("missing-status.toml", f"{A3}.status", "is required"),
    ("missing-owner.toml", f"{A3}.owner", "is required"),
    # unknown keys are never dropped silently
    ("unknown-key-dealine.toml", f"{A3}.dealine", "unknown key (did you mean 'deadline'?)"),
    ("unknown-top-level-table.toml", "plans", "unknown key (did you mean 'plan'?)"),
    ("unknown-plan-key.toml", "plan.inspector", "unknown key"),
    # refs and keys
    ("duplicate-action-ref.toml", f"{A3}.ref", "'R2.1' is used twice"),
    ("duplicate-recommendation-ref.toml", "recommendations[2].ref", "'R1' is used twice"),
    ("ref-with-colon.toml", f"{A3}.ref", "must not contain ':'"),
    ("ref-with-escape.toml", f"{A3}.ref", "control characters"),
    ("plan-key-unusable.toml", "plan.key", "is not a usable plan key"),
    # dates
    ("start-after-deadline.toml", f"{A3}.start", "is after the deadline 2025-12-31"),
    ("impossible-date-text.toml", f"{A3}.deadline", "'31/02/2025' is not a real date"),
    ("date-with-time.toml", f"{A3}.deadline", "must be a date without a time"),
    ("relative-date.toml", f"{A3}.deadline", "is not a fixed date"),
    ("date-wrong-type.toml", f"{A3}.deadline", "must be a date such as 2024-04-23, not a number"),
    ("inspection-end-before-start.toml", "plan.inspection_end", "is before inspection_start"),
    # status and progress
    ("progress-over-100.toml", f"{A3}.progress", "150 is not between 0 and 100"),
    ("progress-negative.toml", f"{A3}.progress", "-5 is not between 0 and 100"),
    ("progress-as-text.toml", f"{A3}.progress", "must be a whole number 0-100, not text"),
    ("progress-decimal.toml", f"{A3}.progress", "not a decimal number"),
    ("complete-below-100.toml", f"{A3}.progress", "a complete action has progress 100, not 80"),
    ("status-unknown.toml", f"{A3}.status", "'done' is not a status"),
    ("status-wrong-type.toml", f"{A3}.status", "a number is not a status"),
    # text fields: types, emptiness, NUL and length limits (naming the field)
    ("description-too-long.toml", f"{A3}.description", "at most 20,000 are allowed"),
    ("owner-too-long.toml", f"{A3}.owner", "at most 300 are allowed"),
    ("description-empty.toml", f"{A3}.description", "must not be empty"),
    ("description-wrong-type.toml", f"{A3}.description", "must be text, not a number"),
    ("description-nul.toml", f"{A3}.description", "contains a NUL character"),
    # the shape of the document
    ("grade-unknown.toml", "judgements[1].grade", "'Excellent' is not a grade"),
    ("actions-not-a-list.toml", "recommendations[2].actions", "must be a list of tables"),
    ("judgements-not-a-list.toml", "judgements", "must be a list of tables"),
    ("recommendation-not-a-table.toml", "recommendations[1]", "must be a table, not text"),
]


def test_every_bad_file_is_in_the_table() -> None:
    on_disk = sorted(p.name for p in BAD.glob("*.toml"))
    assert on_disk == sorted(name for name, _, _ in BAD_FILES)
    assert len(on_disk) >= 25


def _snapshot(url: str) -> tuple[object, ...]:
    """Everything a user could see of the store, to compare before and after."""
    store = Store.open(url, create=False)
    try:
        rows = tuple(store.iter_actions(settings=RuleSettings(today=TODAY)))
        histories = tuple(tuple(store.history(r.id)) for r in rows)
        plans = tuple(store.plan_data(k) for k in store.plan_keys())
        return rows, histories, repr(plans), store.data_stamp()
    finally:
        store.close()


@pytest.fixture
def store_url(one_plan_store: Store, db_url: str) -> str:
    """A store holding one plan, with one change in its history."""
    from tracker.domain.records import ActionChanges

    one_plan_store.update_action(
        "staffordshire-2024-ilacs:R1.3", ActionChanges(progress=65, note="seed"), user="seed"
    )
    return db_url


@pytest.mark.parametrize(("name", "place", "what"), BAD_FILES, ids=[r[0] for r in BAD_FILES])
def test_bad_plan_file(
    name: str,
    place: str | None,
    what: str,
    store_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = _snapshot(store_url)
    monkeypatch.chdir(BAD)
    status = cli.main(["--db", store_url, "import", name])
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert status == 1
    assert captured.out == ""
    assert lines, "no message"
    assert all(line.startswith("tracker: error: ") for line in lines)
    prefix = f"tracker: error: {name}: {place}: " if place else f"tracker: error: {name}: "
    assert lines[0].startswith(prefix), lines[0]
    assert what in lines[0]
    assert lines[-1] == "tracker: error: nothing was imported"
    assert _snapshot(store_url) == before


def test_one_bad_file_among_several_imports_none(
    store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _snapshot(store_url)
    good = SAMPLES / "stoke-on-trent-2022-ilacs.toml"
    status = cli.main(["--db", store_url, "import", str(good), str(BAD / "missing-status.toml")])
    assert status == 1
    assert f"missing-status.toml: {A3}.status: is required" in capsys.readouterr().err
    assert _snapshot(store_url) == before


def test_the_same_plan_key_twice_in_one_import(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _snapshot(store_url)
    good = SAMPLES / "stoke-on-trent-2022-ilacs.toml"
    twin = tmp_path / "twin.toml"
    shutil.copy(good, twin)
    text = twin.read_text(encoding="utf-8")
    if 'key = "' not in text:
        twin.write_text(
            text.replace("[plan]", '[plan]\nkey = "stoke-on-trent-2022-ilacs"', 1), encoding="utf-8"
        )
    status = cli.main(["--db", store_url, "import", str(good), str(twin)])
    err = capsys.readouterr().err.splitlines()
    assert status == 1
    assert err[0].startswith(f"tracker: error: {twin}: plan.key: ")
    assert "is also the key of" in err[0]
    assert _snapshot(store_url) == before


def test_a_plan_already_in_the_store_needs_replace(
    store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _snapshot(store_url)
    path = str(SAMPLES / "staffordshire-2024-ilacs.toml")
    status = cli.main(["--db", store_url, "import", path])
    err = capsys.readouterr().err.splitlines()
    assert status == 1
    assert len(err) == 1
    assert err[0].startswith(f"tracker: error: {path}: plan.key: the store already has a plan")
    assert _snapshot(store_url) == before


def test_a_missing_plan_file(store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = _snapshot(store_url)
    status = cli.main(["--db", store_url, "import", "no-such-plan.toml"])
    err = capsys.readouterr().err.splitlines()
    assert status == 1
    assert err[0] == "tracker: error: no-such-plan.toml: no such file"
    assert _snapshot(store_url) == before


# --- bad updates ------------------------------------------------------------------------

ACTION = "staffordshire-2024-ilacs:R1.3"
COMPLETE = "staffordshire-2024-ilacs:R1.1"

BAD_UPDATES: list[tuple[str, list[str], int, str]] = [
    ("unknown action", ["staffordshire-2024-ilacs:R9.9", "--progress", "5"], 1, "no action 'R9.9'"),
    ("unknown plan", ["no-such-plan:R1.1", "--progress", "5"], 1, "no plan 'no-such-plan'"),
    ("bare unknown ref", ["R77", "--progress", "5"], 1, "no action 'R77'"),
    ("bad status", [ACTION, "--status", "done"], 2, "'done' is not a status"),
    ("progress over 100", [ACTION, "--progress", "101"], 2, "between 0 and 100, not 101"),
    ("progress negative", [ACTION, "--progress=-1"], 2, "between 0 and 100, not -1"),
    ("progress not a number", [ACTION, "--progress", "half"], 2, "must be a whole number"),
    (
        "impossible deadline",
        [ACTION, "--deadline", "31/02/2027", "--reason", "x"],
        2,
        "'31/02/2027' is not a real date",
    ),
    ("not a date", [ACTION, "--deadline", "soonish", "--reason", "x"], 2, "is not a date"),
    ("deadline without a reason", [ACTION, "--deadline", "2027-06-30"], 2, "--reason"),
    ("reason without a deadline", [ACTION, "--reason", "slipped"], 2, "--reason goes with"),
    ("nothing to change", [ACTION], 2, "say what to change"),
    ("unknown option", [ACTION, "--dealine", "2027-01-01"], 2, "unrecognized arguments"),
    ("expected version zero", [ACTION, "--note", "x", "--expect-version", "0"], 2, "between 1"),
    ("NUL in a note", [ACTION, "--note", "a\x00b"], 2, "NUL"),
    ("complete below 100", [ACTION, "--status", "complete", "--progress", "50"], 1, "progress 100"),
    ("progress on a complete action", [COMPLETE, "--progress", "50"], 1, "progress 100"),
    ("empty owner", [ACTION, "--owner", "   "], 1, "the owner must not be empty"),
    ("owner too long", [ACTION, "--owner", "x" * 301], 1, "longer than 300 characters"),
    ("evidence too long", [ACTION, "--evidence", "e" * 20_001], 1, "longer than 20,000"),
]


@pytest.mark.parametrize(
    ("argv", "status", "what"), [r[1:] for r in BAD_UPDATES], ids=[r[0] for r in BAD_UPDATES]
)
def test_bad_update(
    argv: list[str], status: int, what: str, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _snapshot(store_url)
    result = cli.main(["--db", store_url, "update", *argv])
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert result == status
    assert captured.out == ""
    assert len(lines) == 1, lines
    assert lines[0].startswith("tracker: error: ")
    assert what in lines[0]
    assert _snapshot(store_url) == before


def test_bad_today_is_a_command_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--today", "30/02/2026", "list"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == ["tracker: error: --today: '30/02/2026' is not a real date"]


# --- bad stores (SQLite files) ------------------------------------------------------------------


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _make_store(path: Path) -> None:
    store = Store.open(str(path))
    sample = SAMPLES / "staffordshire-2024-ilacs.toml"
    store.import_plans([(sample.name, load_plan_file(sample))], user="seed")
    store.close()


def _newer(path: Path) -> None:
    _make_store(path)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()


STORE_COMMANDS = [
    ["list"],
    ["plans"],
    ["show", ACTION],
    ["export"],
    ["export-plan", "staffordshire-2024-ilacs"],
    ["update", ACTION, "--progress", "70"],
    ["import", str(SAMPLES / "stoke-on-trent-2022-ilacs.toml")],
    ["backup", "copy.db"],
]
BAD_STORES = {
    "not a database": (
        lambda p: p.write_bytes(b"Minutes of the improvement board\n" * 40),
        "not a tracker store (the file is not a SQLite database)",
    ),
    "newer schema": (_newer, "written by a newer tracker (schema 99"),
    "other tables": (
        lambda p: sqlite3.connect(p).execute("CREATE TABLE t (x)").connection.close(),
        "not a tracker store (it has other tables)",
    ),
}


@pytest.mark.parametrize("argv", STORE_COMMANDS, ids=[c[0] for c in STORE_COMMANDS])
@pytest.mark.parametrize("kind", list(BAD_STORES))
def test_bad_store(
    kind: str,
    argv: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make, what = BAD_STORES[kind]
    path = tmp_path / "tracker.db"
    make(path)
    digest = _digest(path)
    monkeypatch.chdir(tmp_path)
    status = cli.main(["--db", str(path), *argv])
    lines = capsys.readouterr().err.splitlines()
    assert status == 1
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"tracker: error: {path}: ")
    assert what in lines[0]
    assert _digest(path) == digest
    assert not (tmp_path / "copy.db").exists()


@pytest.mark.parametrize("argv", STORE_COMMANDS, ids=[c[0] for c in STORE_COMMANDS])
def test_store_in_a_missing_folder(
    argv: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "no-such-folder" / "tracker.db"
    monkeypatch.chdir(tmp_path)
    status = cli.main(["--db", str(path), *argv])
    lines = capsys.readouterr().err.splitlines()
    assert status == 1
    assert lines == [f"tracker: error: {path}: the folder {path.parent} does not exist"]
    assert not path.parent.exists()


@pytest.mark.parametrize("argv", STORE_COMMANDS[:6], ids=[c[0] for c in STORE_COMMANDS[:6]])
def test_read_commands_never_create_a_store(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mistyped --db says there is no store there, and leaves no file behind."""
    path = tmp_path / "tracekr.db"
    status = cli.main(["--db", str(path), *argv])
    lines = capsys.readouterr().err.splitlines()
    assert status == 1
    assert lines == [
        f"tracker: error: {path}: no tracker store here yet: start one with 'tracker new-plan "
        "KEY --authority NAME --title TEXT' or load a plan with 'tracker import FILE.toml'"
    ]
    assert list(tmp_path.iterdir()) == []


def _as_unprivileged() -> list[str]:
    """A prefix that runs a command without the power to ignore file permissions."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        if in_ci():
            pytest.fail(
                "setpriv is needed in CI to test file permissions: apt-get install util-linux"
            )
        pytest.skip("running as root without setpriv: file permissions cannot be tested")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


def test_read_only_store_file(tmp_path: Path) -> None:
    """A store file the user may not write: reading works, changes are refused in one line."""
    path = tmp_path / "tracker.db"
    _make_store(path)
    path.chmod(0o444)
    digest = _digest(path)
    prefix = [*_as_unprivileged(), sys.executable, "-m", "tracker", "--db", str(path)]

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*prefix, *argv], capture_output=True, text=True, check=False)

    listed = run("list")
    assert listed.returncode == 0, listed.stderr
    assert "staffordshire-2024-ilacs:R1.3" in listed.stdout
    for argv in (
        ("update", ACTION, "--progress", "70"),
        ("import", str(SAMPLES / "stoke-on-trent-2022-ilacs.toml")),
    ):
        done = run(*argv)
        lines = done.stderr.splitlines()
        assert done.returncode == 1, done.stderr
        assert lines == [
            f"tracker: error: {path}: the store file or its folder is read-only for you: "
            "nothing can be changed"
        ]
    assert _digest(path) == digest


def test_a_store_in_a_read_only_folder_reads(tmp_path: Path) -> None:
    """A published copy on a shared drive: every read works, a change is refused in one line.

    SQLite in WAL mode needs a `-shm` file beside the store even to read; in a read-only
    folder with no writer at work the store opens as immutable.
    """
    folder = tmp_path / "published"
    folder.mkdir()
    path = folder / "tracker.db"
    _make_store(path)
    assert sorted(p.name for p in folder.iterdir()) == ["tracker.db"]
    path.chmod(0o444)
    folder.chmod(0o555)
    try:
        digest = _digest(path)
        prefix = [*_as_unprivileged(), sys.executable, "-m", "tracker", "--db", str(path)]

        def run(*argv: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([*prefix, *argv], capture_output=True, text=True, check=False)

        for argv in (
            ["plans", "--format", "csv"],
            ["overdue", "--format", "json"],
            ["show", ACTION],
            ["export"],
            ["export-plan", "staffordshire-2024-ilacs"],
            ["report", "--format", "markdown"],
        ):
            done = run(*argv)
            assert (done.returncode, done.stderr) == (0, ""), argv
            assert done.stdout, argv
        refused = run("update", ACTION, "--note", "x")
        assert refused.returncode == 1
        assert refused.stderr.splitlines() == [
            f"tracker: error: {path}: the store file or its folder is read-only for you: "
            "nothing can be changed"
        ]
        assert _digest(path) == digest
        assert sorted(p.name for p in folder.iterdir()) == ["tracker.db"]
    finally:
        folder.chmod(0o755)
        path.chmod(0o644)
