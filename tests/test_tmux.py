"""The terminal UI in a real terminal (tmux), at 80x24 and 160x50: what a person sees."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import in_ci

from tracker.domain.rules import RuleSettings
from tracker.formats.plan_toml import load_plan_file
from tracker.storage.store import Store

pytestmark = pytest.mark.tmux

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def tmux() -> Iterator[Callable[..., str]]:
    """Run tmux commands on a private server, killed afterwards."""
    if shutil.which("tmux") is None:
        if in_ci():
            pytest.fail("tmux is needed in CI: apt-get install tmux")
        pytest.skip("tmux is not installed: apt-get install tmux")
    socket = f"tracker-test-{uuid.uuid4().hex[:8]}"

    def run(*args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", socket, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        return done.stdout

    yield run
    run("kill-server")


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "tmux.db"
    store = Store.open(str(path))
    plans = [(p.name, load_plan_file(p)) for p in sorted((ROOT / "sample_plans").glob("*.toml"))]
    store.import_plans(plans, user="seed")
    store.close()
    return path


def _wait_until(
    tmux: Callable[..., str], check: Callable[[str], bool], what: str, timeout: float = 60.0
) -> str:
    """Capture the screen until `check` holds twice in a row (the drawing has settled).

    The limit is generous because CI machines can be busy; a passing run takes a second.
    """
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = tmux("capture-pane", "-p", "-t", "ui")
        if check(screen):
            time.sleep(0.5)  # let the screen finish drawing (and any first resize)
            screen = tmux("capture-pane", "-p", "-t", "ui")
            if check(screen):
                return screen
        time.sleep(0.2)
    raise AssertionError(f"{what} did not appear on the screen:\n{screen}")


def _wait_for(tmux: Callable[..., str], text: str, timeout: float = 60.0) -> str:
    return _wait_until(tmux, lambda screen: text in screen, repr(text), timeout)


def _overdue_rows_only(screen: str) -> bool:
    # A table row: (its plan label,) a ref, a deadline; not the detail panel's lines.
    row = re.compile(r"(^|\s)R\d+\.\d+\s.*\d{4}-\d{2}-\d{2}")
    table_rows = [
        line for line in screen.splitlines() if row.search(line) and "Deadline:" not in line
    ]
    return bool(table_rows) and all("OVERDUE" in line for line in table_rows)


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
def test_keys_in_a_real_terminal(
    tmux: Callable[..., str], store_path: Path, settings: RuleSettings, size: tuple[int, int]
) -> None:
    store = Store.open(str(store_path))
    try:
        from tracker.domain.records import Filters

        total = store.view_counts(settings=settings).total
        overdue = store.view_counts(filters=Filters(overdue=True), settings=settings).total
    finally:
        store.close()
    env = " ".join(
        f"{name}={shlex.quote(os.environ[name])}"
        for name in ("TRACKER_TODAY", "TRACKER_NOW", "TRACKER_USER", "XDG_DATA_HOME")
        if name in os.environ
    )
    command = f"cd {shlex.quote(str(ROOT))} && env {env} TERM=xterm-256color " + shlex.join(
        [sys.executable, "-m", "tracker", "--db", str(store_path)]
    )
    width, height = size
    tmux("new-session", "-d", "-s", "ui", "-x", str(width), "-y", str(height), command)
    # Hold the size: with no client attached tmux may otherwise fall back to 80x24.
    tmux("set-option", "-t", "ui", "window-size", "manual")
    tmux("resize-window", "-t", "ui", "-x", str(width), "-y", str(height))
    shown = tmux("display-message", "-p", "-t", "ui", "#{window_width}x#{window_height}")
    assert shown.strip() == f"{width}x{height}", f"tmux window is {shown.strip()}"

    screen = _wait_for(tmux, f"{total} actions")
    assert f"{overdue} overdue" in screen
    assert "OVERDUE" in screen
    assert "today 2026-11-25" in screen

    tmux("send-keys", "-t", "ui", "o")
    screen = _wait_until(
        tmux,
        lambda s: "overdue only" in s and _overdue_rows_only(s),
        "the overdue view (only OVERDUE rows)",
    )
    assert f"{overdue} actions · {overdue} overdue" in screen

    tmux("send-keys", "-t", "ui", "o")
    _wait_for(tmux, "all actions")

    tmux("send-keys", "-t", "ui", "-l", "/LADO")  # in one burst, as a fast typist or a paste
    screen = _wait_for(tmux, "search 'LADO'")
    assert "LADO" in screen
    tmux("send-keys", "-t", "ui", "Escape")
    _wait_for(tmux, "all actions")

    tmux("send-keys", "-t", "ui", "q")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "ui" in tmux("list-sessions", "-F", "#S"):
        time.sleep(0.2)
    assert "ui" not in tmux("list-sessions", "-F", "#S")
