"""A reader that stops early (`tracker list | head`) is not an error: no traceback, exit 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _big_plan(path: Path, actions: int) -> None:
    lines = ['[plan]\nkey = "big"\nauthority = "A Council"\ntitle = "A long plan"\n']
    lines.append('[[recommendations]]\nref = "R1"\ntitle = "Everything"\n')
    for i in range(1, actions + 1):
        lines.append(
            "[[recommendations.actions]]\n"
            f'ref = "R1.{i}"\n'
            f'description = "Action number {i}, long enough to fill the pipe {"x" * 60}"\n'
            'owner = "Head of Service"\n'
            f"deadline = 2026-{(i % 12) + 1:02d}-15\n"
            'status = "in_progress"\n'
        )
    path.write_text("\n".join(lines), encoding="utf-8")


@pytest.mark.parametrize(
    "command",
    [
        ["export"],
        ["list"],
        ["list", "--format", "csv", "--slippage"],
        ["overdue", "--format", "json"],
    ],
)
def test_closing_the_pipe_early_is_quiet(tmp_path: Path, command: list[str]) -> None:
    plan = tmp_path / "big.toml"
    _big_plan(plan, 3000)
    env = {**os.environ, "TRACKER_DB": str(tmp_path / "t.db")}
    subprocess.run(
        [sys.executable, "-m", "tracker", "import", str(plan)],
        env=env,
        check=True,
        capture_output=True,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracker", *command],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    first = proc.stdout.read(200)
    proc.stdout.close()  # the reader goes away, as `head` does
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=60)
    assert first, "the command printed nothing"
    assert err == ""
    assert code == 0
