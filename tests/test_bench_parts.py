"""Parts of the benchmark: the pinned today, the Taskwarrior due times, the results files."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
TODAY = date(2026, 11, 25)
OPEN = ("not_started", "in_progress", "blocked")


def _load(name: str) -> ModuleType:
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up by name
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCH))


generate = _load("generate")
run = _load("run")


@pytest.mark.parametrize(
    "text", ["2026-11-25", "25/11/2026", "25.11.26", "25 November 2026", " 25/11/2026 "]
)
def test_the_pinned_today_is_read_day_first_as_tracker_reads_dates(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_TODAY", text)
    assert generate.pinned_today(None) == TODAY
    monkeypatch.delenv("TRACKER_TODAY")
    assert generate.pinned_today(text) == TODAY
    assert generate.pinned_today(None) == date(2026, 11, 25)


@pytest.mark.parametrize(
    ("where", "value"), [("TRACKER_TODAY", "25/13/2026"), ("--today", "next payday")]
)
def test_a_bad_today_is_one_line_naming_where_it_came_from(
    where: str, value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = [sys.executable, str(BENCH / "run.py"), "--sizes", "200", "--runs", "1"]
    argv += ["--data", str(tmp_path / "data"), "--out", str(tmp_path / "out")]
    if where == "--today":
        argv += ["--today", value]
    else:
        monkeypatch.setenv("TRACKER_TODAY", value)
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert where in result.stderr
    assert value in result.stderr
    assert not (tmp_path / "data").exists()
    assert not (tmp_path / "out").exists()


def test_taskwarrior_counts_overdue_exactly_the_actions_tracker_does(tmp_path: Path) -> None:
    """Taskwarrior's +OVERDUE is "due before now": due at the end of the deadline day, a task
    is overdue from the next day on, as an action is (open, deadline strictly before today)."""
    path = tmp_path / "tasks.json"
    generate.write_tasks(3000, TODAY, path)
    now = datetime.now(UTC)
    real_today = date.today()
    tasks = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    actions = [
        a
        for p in generate.store_plans(3000, TODAY)
        for r in p["recommendations"]
        for a in r["actions"]
    ]
    assert len(tasks) == len(actions) == 3000
    # The boundary is exercised: open actions due today (not overdue) and yesterday (overdue).
    open_gaps = {(TODAY - a["deadline"]).days for a in actions if a["status"] in OPEN}
    assert {0, 1} <= open_gaps
    for task, action in zip(tasks, actions, strict=True):
        due = datetime.strptime(task["due"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        # Due on the shifted deadline day, in local time.
        assert due.astimezone().date() - real_today == action["deadline"] - TODAY
        taskwarrior_overdue = task["status"] == "pending" and due < now
        tracker_overdue = action["status"] in OPEN and action["deadline"] < TODAY
        assert taskwarrior_overdue == tracker_overdue, (task, action)


def test_tasks_are_made_again_on_a_new_real_date(tmp_path: Path) -> None:
    data = tmp_path / "data"
    generate.generate([200], TODAY, data=data, quiet=True)
    clock = data / "tasks-200.json.clock"
    assert clock.read_text(encoding="utf-8") == generate.tasks_clock()
    clock.write_text("real today 2000-01-01, UTC offset +0000", encoding="utf-8")
    (data / "tasks-200.json").write_text("stale\n", encoding="utf-8")
    store = (data / "store-200.db").stat().st_mtime_ns
    generate.generate([200], TODAY, data=data, quiet=True)
    assert clock.read_text(encoding="utf-8") == generate.tasks_clock()
    assert (data / "tasks-200.json").read_text(encoding="utf-8").startswith('{"uuid"')
    assert (data / "store-200.db").stat().st_mtime_ns == store  # the rest is kept


def test_each_run_writes_a_new_results_file_and_keeps_earlier_ones(tmp_path: Path) -> None:
    stamp = datetime(2026, 11, 25, 23, 15, 0, tzinfo=UTC)
    name = run.results_name(stamp, [1_000, 10_000, 100_000, 1_000_000])
    assert name == "results-2026-11-25T231500Z-1k-10k-100k-1m.json"
    assert run.results_name(stamp, [200]) == "results-2026-11-25T231500Z-200.json"
    first = run.write_new(tmp_path / "out", name, '{"run": 1}')
    second = run.write_new(tmp_path / "out", name, '{"run": 2}')
    assert first != second
    assert first.name == name
    assert second.name == name.replace(".json", "-2.json")
    assert json.loads(first.read_text(encoding="utf-8")) == {"run": 1}
    assert json.loads(second.read_text(encoding="utf-8")) == {"run": 2}
