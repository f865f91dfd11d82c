"""`tracker backup`: a consistent copy of a live SQLite store, and restoring from it."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import TODAY, sample_plan_files
from pg_support import PgServer

from tracker import cli
from tracker.domain.records import ActionChanges, Filters
from tracker.domain.rules import RuleSettings
from tracker.formats.plan_toml import load_plan_file
from tracker.storage.store import Store

ADDRESS = "staffordshire-2024-ilacs:R1.3"


@pytest.fixture
def live(tmp_path: Path) -> Path:
    """A SQLite store with the sample plans and a little history."""
    path = tmp_path / "tracker.db"
    store = Store.open(str(path))
    store.import_plans([(p.name, load_plan_file(p)) for p in sample_plan_files()], user="seed")
    store.update_action(ADDRESS, ActionChanges(progress=70, note="board"), user="lead")
    store.close()
    return path


def _contents(path: Path) -> tuple[object, ...]:
    store = Store.open(str(path), create=False)
    try:
        rows = tuple(store.iter_actions(settings=RuleSettings(today=TODAY)))
        return rows, tuple(tuple(store.history(r.id)) for r in rows)
    finally:
        store.close()


def _integrity(path: Path) -> tuple[str, str]:
    conn = sqlite3.connect(path)
    try:
        return (
            conn.execute("PRAGMA integrity_check").fetchone()[0],
            conn.execute("PRAGMA journal_mode").fetchone()[0],
        )
    finally:
        conn.close()


def test_a_backup_is_a_whole_store_in_one_file(
    live: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "copies" / "tracker-2026-11-25.db"
    copy.parent.mkdir()
    assert cli.main(["--db", str(live), "backup", str(copy)]) == 0
    assert capsys.readouterr().out == f"backed up {live} to {copy}\n"
    assert _integrity(copy) == ("ok", "delete")  # no -wal file needed beside it
    assert sorted(p.name for p in copy.parent.iterdir()) == [copy.name]
    assert _contents(copy) == _contents(live)


def test_an_existing_file_is_kept_without_force(
    live: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "backup.db"
    copy.write_bytes(b"last week's backup")
    assert cli.main(["--db", str(live), "backup", str(copy)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"tracker: error: {copy}: already exists; use --force to overwrite it"
    ]
    assert copy.read_bytes() == b"last week's backup"
    assert cli.main(["--db", str(live), "backup", str(copy), "--force"]) == 0
    assert _integrity(copy)[0] == "ok"
    assert _contents(copy) == _contents(live)


@pytest.mark.parametrize("name", ["tracker.db", "tracker.db-wal", "tracker.db-shm"])
def test_the_live_store_is_never_the_target(
    name: str, live: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _contents(live)
    assert cli.main(["--db", str(live), "backup", str(live.parent / name), "--force"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"tracker: error: {live.parent / name}: is the store itself; give another file name"
    ]
    assert _contents(live) == before


@pytest.mark.parametrize(
    ("target", "what"),
    [("no-such-folder/b.db", "the folder"), (".", "is a folder; give a file name")],
)
def test_a_bad_target_is_one_line(
    target: str, what: str, live: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--db", str(live), "backup", str(live.parent / target)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert err[0].startswith("tracker: error: ")
    assert what in err[0]


WRITER = """
import sys, time
from datetime import date
from tracker.domain.records import ActionChanges
from tracker.domain.rules import RuleSettings
from tracker.storage.store import Store
store = Store.open(sys.argv[1], create=False)
rules = RuleSettings(today=date(2026, 11, 25))
refs = [r.address for r in store.page_actions(settings=rules, limit=1000)]
print("ready", flush=True)
end = time.monotonic() + float(sys.argv[2])
i = 0
while time.monotonic() < end:
    store.update_action(refs[i % len(refs)], ActionChanges(note=f"note {i}"), user="writer")
    i += 1
print(i, flush=True)
"""


@pytest.mark.slow
def test_backups_taken_while_someone_writes_are_consistent(live: Path, tmp_path: Path) -> None:
    """Each copy is a moment of the store: every action's version matches its history."""
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(live), "6"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "ready"
    copies = []
    try:
        for n in range(5):
            copy = tmp_path / f"copy-{n}.db"
            done = subprocess.run(
                [sys.executable, "-m", "tracker", "--db", str(live), "backup", str(copy)],
                capture_output=True,
                text=True,
                check=False,
            )
            assert done.returncode == 0, done.stderr
            copies.append(copy)
            time.sleep(0.3)
    finally:
        written = int(writer.communicate(timeout=120)[0].strip() or 0)
    print(f"\n{written} updates written while {len(copies)} backups were taken")
    assert written > 0
    seen = []
    for copy in copies:
        assert _integrity(copy)[0] == "ok"
        conn = sqlite3.connect(copy)
        try:
            torn = conn.execute(
                "SELECT a.id, a.version, count(h.id) FROM action a "
                "LEFT JOIN history h ON h.action_id = a.id GROUP BY a.id "
                "HAVING a.version - 1 != count(h.id)"
            ).fetchall()
            seen.append(conn.execute("SELECT count(*) FROM history").fetchone()[0])
        finally:
            conn.close()
        assert torn == []
    assert seen == sorted(seen)  # each copy at least as recent as the one before
    assert seen[-1] > seen[0]


def test_restoring_a_backup(live: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The README's steps: copy the backup over tracker.db, remove -wal and -shm, carry on."""
    copy = tmp_path / "backup.db"
    assert cli.main(["--db", str(live), "backup", str(copy)]) == 0
    saved = _contents(live)
    store = Store.open(str(live))
    store.update_action(ADDRESS, ActionChanges(progress=90), user="mistake")
    store.close()
    # Restore: (everyone has closed tracker) copy over, remove the journal files.
    shutil.copyfile(copy, live)
    for suffix in ("-wal", "-shm"):
        live.with_name(live.name + suffix).unlink(missing_ok=True)
    assert _contents(live) == saved
    capsys.readouterr()
    assert cli.main(["--db", str(live), "update", ADDRESS, "--note", "restored"]) == 0
    assert _integrity(live) == ("ok", "wal")  # back in WAL mode for shared use
    store = Store.open(str(live), create=False)
    try:
        rows = list(
            store.iter_actions(
                filters=Filters(plan="stoke-on-trent-2022-ilacs"),
                settings=RuleSettings(today=TODAY),
            )
        )
    finally:
        store.close()
    assert rows


@pytest.mark.postgres
def test_a_postgresql_store_is_sent_to_pg_dump(
    pg_server: PgServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pg_server.schema() as db_url:
        Store.open(db_url).close()
        code = cli.main(["--db", db_url, "backup", str(tmp_path / "b.db")])
    assert code == 1
    assert "pg_dump" in capsys.readouterr().err
    assert not (tmp_path / "b.db").exists()
