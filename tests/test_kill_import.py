"""An import killed part way (SIGKILL) leaves the whole plan or none of it, and a sound store."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import SAMPLES

from tracker.formats.plan_toml import (
    ActionData,
    PlanData,
    RecommendationData,
    dump_plan,
    load_plan_file,
)
from tracker.storage.store import Store

ACTIONS = 20_000
PER_REC = 100


def _big_plan(bump: int = 0) -> PlanData:
    padding = "audit, supervise and report on the quality of practice " * 3
    recs = []
    for r in range(1, ACTIONS // PER_REC + 1):
        actions = [
            ActionData(
                ref=f"R{r}.{a}",
                description=f"Improvement {r}.{a}: {padding}",
                owner=f"Team manager {a % 17}",
                deadline=date(2027, 1, 1) + timedelta(days=a),
                status="in_progress",
                progress=a % 100 + bump,
                evidence="Monthly audit reports and minutes of the improvement board",
            )
            for a in range(1, PER_REC + 1)
        ]
        recs.append(RecommendationData(ref=f"R{r}", title=f"Recommendation {r}", actions=actions))
    return PlanData(
        key="big", authority="A Large Council", title="A very long plan", recommendations=recs
    )


@pytest.fixture(scope="module")
def big_plan_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.toml"
    path.write_text(dump_plan(_big_plan()), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def changed_plan_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The big plan with every action's progress one point higher."""
    path = tmp_path_factory.mktemp("changed") / "big.toml"
    path.write_text(dump_plan(_big_plan(bump=1)), encoding="utf-8")
    return path


def _kill_when_the_wal_reaches(
    command: list[str], db: Path, threshold: int
) -> tuple[int | None, int]:
    """Run `command`, SIGKILL it once the WAL holds `threshold` bytes; (WAL size, exit)."""
    assert _wal_size(db) <= 0, "the WAL must start empty for its size to show progress"
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    killed_at = None
    while proc.poll() is None:
        size = _wal_size(db)
        if size >= threshold:
            os.kill(proc.pid, signal.SIGKILL)
            killed_at = size
            break
        time.sleep(0.002)
    return killed_at, proc.wait(timeout=120)


def _wal_size(db: Path) -> int:
    wal = db.with_name(db.name + "-wal")
    try:
        return wal.stat().st_size
    except FileNotFoundError:
        return -1


def _state(db: Path) -> tuple[int, int, str]:
    """(plans named big, actions in them, integrity) read with plain sqlite3."""
    conn = sqlite3.connect(db)
    try:
        plans = conn.execute("SELECT count(*) FROM plan WHERE key = 'big'").fetchone()[0]
        actions = conn.execute(
            "SELECT count(*) FROM action JOIN plan ON plan.id = action.plan_id "
            "WHERE plan.key = 'big'"
        ).fetchone()[0]
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return plans, actions, integrity


def _others(db: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT a.id, a.ref, a.status, a.progress, a.version FROM action a "
            "JOIN plan p ON p.id = a.plan_id WHERE p.key != 'big' ORDER BY a.id"
        ).fetchall()
    finally:
        conn.close()


@pytest.mark.slow
def test_import_killed_part_way_leaves_all_or_nothing(tmp_path: Path, big_plan_file: Path) -> None:
    db = tmp_path / "tracker.db"
    store = Store.open(str(db))
    sample = SAMPLES / "staffordshire-2024-ilacs.toml"
    store.import_plans([(sample.name, load_plan_file(sample))], user="seed")
    store.close()
    before = _others(db)
    command = [sys.executable, "-m", "tracker", "--db", str(db), "import", str(big_plan_file)]
    outcomes = []
    # Kill when the write transaction has put this much into the WAL: just begun, well under way.
    for threshold in (64 * 1024, 4 * 1024 * 1024):
        killed_at, returncode = _kill_when_the_wal_reaches(command, db, threshold)
        plans, actions, integrity = _state(db)
        outcomes.append((threshold, killed_at, returncode, plans, actions))
        print(
            f"\nkilled with {killed_at} bytes in the WAL (exit {returncode}): "
            f"{plans} plan, {actions} actions, integrity {integrity}"
        )
        assert integrity == "ok"
        assert (plans, actions) in ((0, 0), (1, ACTIONS)), "a partial plan was left"
        assert _others(db) == before
        if (plans, actions) == (1, ACTIONS):
            break  # the import finished before the kill: nothing more to try
    assert any(o[1] is not None and o[2] == -signal.SIGKILL and o[4] == 0 for o in outcomes), (
        f"no kill landed inside the transaction: {outcomes}"
    )
    # The store is sound after the kills: the same import now goes in whole.
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert _state(db) == (1, ACTIONS, "ok")
    assert _others(db) == before


def _progress_and_history(db: Path) -> tuple[int, int, str]:
    conn = sqlite3.connect(db)
    try:
        total = conn.execute("SELECT sum(progress) FROM action").fetchone()[0]
        entries = conn.execute("SELECT count(*) FROM history").fetchone()[0]
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return total, entries, integrity


@pytest.mark.slow
def test_replace_killed_part_way_keeps_the_old_plan_or_the_new(
    tmp_path: Path, changed_plan_file: Path
) -> None:
    """--replace rewrites 20,000 actions and their history: killed, the old plan stays whole."""
    db = tmp_path / "tracker.db"
    store = Store.open(str(db))
    store.import_plans([("big.toml", _big_plan())], user="seed")
    store.close()
    old = _progress_and_history(db)
    assert old[1:] == (0, "ok")
    new = (old[0] + ACTIONS, ACTIONS, "ok")  # one progress entry per action
    command = [
        sys.executable,
        "-m",
        "tracker",
        "--db",
        str(db),
        "import",
        "--replace",
        str(changed_plan_file),
    ]
    killed_at, returncode = _kill_when_the_wal_reaches(command, db, 1024 * 1024)
    after = _progress_and_history(db)
    print(f"\nreplace killed with {killed_at} bytes in the WAL (exit {returncode}): {after}")
    assert killed_at is not None, "the import finished before it could be killed"
    assert after in (old, new), "a partial replace was left"
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr
    assert _progress_and_history(db) == new
