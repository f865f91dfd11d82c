"""The benchmark runs end to end at a tiny size and reports every measure (no timings asserted)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def test_bench_runs_at_a_tiny_size(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--sizes",
            "200",
            "--runs",
            "1",
            "--data",
            str(tmp_path / "data"),
            "--out",
            str(tmp_path / "out"),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "overdue_csv" in result.stdout
    assert "x floor" in result.stdout
    (path,) = (tmp_path / "out").glob("results-*.json")
    assert path.name.endswith("Z-200.json")
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["today"] == "2026-11-25"
    measures = {r["measure"]: r for r in document["results"] if r["size"] == 200}
    for name in ("import", "overdue_csv", "list_owner", "export"):
        assert measures[name]["tracker"]["median_s"] > 0
        assert measures[name]["tracker"]["peak_mib"] > 0
    for name in ("import", "overdue_csv", "export"):
        assert measures[name]["ratio_floor"] > 0
    assert "tui_start" in measures
    # Every side returns the same overdue rows, Taskwarrior too when it is installed.
    rows = measures["overdue_csv"]["rows"]
    assert set(rows) == (
        {"tracker", "floor"} | ({"taskwarrior"} if shutil.which("task") else set())
    )
    assert len(set(rows.values())) == 1
    assert rows["tracker"] > 0
    assert f"200 overdue rows: tracker {rows['tracker']}" in result.stdout


def test_generated_data_is_deterministic_with_a_fifth_overdue(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import generate
    finally:
        sys.path.remove(str(ROOT / "bench"))
    from datetime import date

    today = date(2026, 11, 25)
    first = tmp_path / "a.toml"
    second = tmp_path / "b.toml"
    generate.write_plan_file(500, today, first)
    generate.write_plan_file(500, today, second)
    assert first.read_bytes() == second.read_bytes()
    actions = [
        a
        for p in generate.store_plans(2000, today)
        for r in p["recommendations"]
        for a in r["actions"]
    ]  # type: ignore[index,union-attr]
    assert len(actions) == 2000
    overdue = [
        a
        for a in actions
        if a["status"] in ("not_started", "in_progress", "blocked") and a["deadline"] < today
    ]
    assert 0.15 < len(overdue) / len(actions) < 0.25
    assert len({a["owner"] for a in actions}) > 20
