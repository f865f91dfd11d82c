"""Several people writing to one store at once: nothing lost, stale writes refused, no lock errors.

The stress runs print their figures (run pytest with -s to see them, or bench/stress.py).
They take the store from the `db_url` fixture, so they run on PostgreSQL too.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import stress_support
from conftest import SAMPLES, sample_plan_files

from tracker import cli
from tracker.domain.errors import StaleWriteError, StoreBusyError
from tracker.domain.records import ActionChanges
from tracker.storage import location
from tracker.storage.store import Store

ADDRESS = "staffordshire-2024-ilacs:R1.3"


def _report(figures: stress_support.Figures) -> None:
    print(f"\n{figures.line()}")
    assert figures.problems == []
    assert figures.tally.locked == 0
    assert figures.history_entries == figures.tally.entries == figures.applied
    assert figures.integrity in ("ok", "n/a")


@pytest.mark.slow
def test_store_stress_eight_processes_fifty_updates_each(db_url: str) -> None:
    """8 processes x 50 Store updates on one shared action and on their own: nothing lost."""
    figures = stress_support.run(db_url, processes=8, updates=50, mode="store", readers=2)
    _report(figures)
    # Stale writes were retried until applied, so every update went in.
    assert figures.applied == 8 * 50
    assert figures.tally.reads > 0  # and readers ran throughout without an error


@pytest.mark.slow
def test_cli_stress_eight_processes(db_url: str) -> None:
    """8 processes running `python -m tracker update`: stale writes refused, the rest kept."""
    figures = stress_support.run(db_url, processes=8, updates=3, mode="cli")
    _report(figures)
    assert figures.applied + figures.tally.refused_stale == 8 * 3


def test_stale_write_is_refused_and_changes_nothing(one_plan_store: Store) -> None:
    store = one_plan_store
    seen = store.get_action(ADDRESS)
    store.update_action(ADDRESS, ActionChanges(progress=70), user="lead.a")
    with pytest.raises(StaleWriteError, match="someone else changed this action") as caught:
        store.update_action(
            ADDRESS, ActionChanges(progress=90), user="lead.b", expected_version=seen.version
        )
    assert caught.value.current_version == seen.version + 1
    after = store.get_action(ADDRESS)
    assert after.progress == 70
    assert after.version == seen.version + 1
    assert [(h.field, h.new, h.by) for h in store.history(after.id)] == [
        ("progress", "70", "lead.a")
    ]


def test_stale_write_through_the_cli(
    one_plan_store: Store, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    seen = one_plan_store.get_action(ADDRESS)
    one_plan_store.update_action(ADDRESS, ActionChanges(note="first"), user="lead.a")
    status = cli.main(
        [
            "--db",
            db_url,
            "update",
            ADDRESS,
            "--progress",
            "95",
            "--expect-version",
            str(seen.version),
        ]
    )
    err = capsys.readouterr().err.splitlines()
    assert status == 1
    assert len(err) == 1
    assert err[0].startswith(f"tracker: error: {ADDRESS}: someone else changed this action")
    assert one_plan_store.get_action(ADDRESS).progress == seen.progress


def test_a_writer_waits_for_another_instead_of_failing(sqlite_url: str) -> None:
    """A write lock held for a moment makes the next writer wait, not report 'locked'."""
    store = Store.open(sqlite_url)
    path = SAMPLES / "staffordshire-2024-ilacs.toml"
    from tracker.formats.plan_toml import load_plan_file

    store.import_plans([(path.name, load_plan_file(path))], user="seed")
    holder = sqlite3.connect(store.location, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    released = threading.Timer(1.0, holder.execute, args=("COMMIT",))
    released.start()
    try:
        began = time.perf_counter()
        result = store.update_action(ADDRESS, ActionChanges(progress=65), user="lead")
        waited = time.perf_counter() - began
    finally:
        released.join()
        holder.close()
    print(f"\nwaited {waited:.2f} s for the other writer")
    assert [e.field for e in result.entries] == ["progress"]
    store.close()


def test_a_store_busy_past_the_timeout_says_so_in_one_line(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Store.open(sqlite_url)
    path = SAMPLES / "staffordshire-2024-ilacs.toml"
    from tracker.formats.plan_toml import load_plan_file

    store.import_plans([(path.name, load_plan_file(path))], user="seed")
    before = store.get_action(ADDRESS)
    store.close()
    monkeypatch.setattr(location, "BUSY_TIMEOUT_SECONDS", 0.1)
    holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        status = cli.main(["--db", sqlite_url, "update", ADDRESS, "--progress", "66"])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    err = capsys.readouterr().err.splitlines()
    assert status == 1
    assert len(err) == 1
    assert err[0].startswith("tracker: error: ")
    assert "the store is busy" in err[0]
    # Held past the whole busy timeout: the user hears so after one wait, not four.
    holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    store = Store.open(sqlite_url)
    try:
        with pytest.raises(StoreBusyError):
            store.update_action(ADDRESS, ActionChanges(progress=67), user="lead")
        assert store.busy_retries == 0
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        store.close()
    assert "Traceback" not in err[0]
    store = Store.open(sqlite_url)
    assert store.get_action(ADDRESS).version == before.version
    store.close()


def test_history_cannot_be_edited_or_deleted(sqlite_url: str) -> None:
    """The database itself refuses to change history, whatever program talks to it."""
    store = Store.open(sqlite_url)
    path = SAMPLES / "staffordshire-2024-ilacs.toml"
    from tracker.formats.plan_toml import load_plan_file

    store.import_plans([(path.name, load_plan_file(path))], user="seed")
    store.update_action(ADDRESS, ActionChanges(progress=61), user="lead")
    store.close()
    conn = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    try:
        for sql in ("UPDATE history SET new = '99'", "DELETE FROM history"):
            with pytest.raises(sqlite3.DatabaseError, match="history is append-only"):
                conn.execute(sql)
        assert conn.execute("SELECT count(*) FROM history").fetchone() == (1,)
    finally:
        conn.close()


def test_first_use_by_several_processes_at_once(tmp_path: Path) -> None:
    """Three imports race to create a new store: each plan arrives, none fails."""
    target = tmp_path / "new.db"
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tracker", "--db", str(target), "import", str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path in sample_plan_files()
    ]
    outcomes = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
    for p in procs:
        for stream in (p.stdout, p.stderr):
            if stream:
                stream.close()
    assert outcomes == [(0, "")] * len(procs)
    store = Store.open(str(target), create=False)
    try:
        assert len(store.plan_keys()) == len(procs)
    finally:
        store.close()
