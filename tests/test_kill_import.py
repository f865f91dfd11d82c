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

from tracker.plans import ActionData, PlanData, RecommendationData, dump_plan, load_plan_file
from tracker.store import Store

ACTIONS = 20_000
PER_REC = 100


def _big_plan() -> PlanData:
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
                progress=a % 100,
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
        proc.wait(timeout=120)
        plans, actions, integrity = _state(db)
        outcomes.append((threshold, killed_at, proc.returncode, plans, actions))
        print(
            f"\nkilled with {killed_at} bytes in the WAL (exit {proc.returncode}): "
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
