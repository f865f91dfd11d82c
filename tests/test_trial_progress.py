"""Long work says how far it has got (issue 12, item 18): on standard error when it is a
terminal, after the first second, with done of total and time left; nothing when piped."""

from __future__ import annotations

import io
import re

import pytest
from conftest import SAMPLES
from trial_support import on_terminal, piped, tracker_env

from tracker.cli.progress import Progress

SAMPLE_FILES = [str(p) for p in sorted(SAMPLES.glob("*.toml"))]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_nothing_in_the_first_second_then_done_of_total_and_time_left() -> None:
    screen, clock = Terminal(), Clock()
    with Progress("importing", 100_000, stream=screen, clock=clock, delay=1.0) as progress:
        clock.now += 0.5
        progress.done(5_000)
        assert screen.getvalue() == ""  # quick work says nothing
        clock.now += 1.5  # 2 s in, 40% done: about 3 s left
        progress.done(40_000)
        assert screen.getvalue() == (
            "\rimporting: 40,000 of 100,000 actions (40%), about 3s left\x1b[K"
        )
    assert screen.getvalue().endswith("\r\x1b[K")  # the line is cleared at the end


def test_minutes_left() -> None:
    progress = Progress("exporting", 1000, stream=Terminal(), clock=Clock())
    progress.count = 100
    assert progress.line(30.0) == "exporting: 100 of 1,000 actions (10%), about 4m 30s left"


def test_not_a_terminal_gets_nothing() -> None:
    stream, clock = io.StringIO(), Clock()
    with Progress("importing", 10, stream=stream, clock=clock, delay=0) as progress:
        clock.now += 5
        progress.done(5)
    assert not progress.enabled
    assert stream.getvalue() == ""


@pytest.fixture(scope="module")
def store_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("progress") / "t.db")


def test_import_export_and_report_show_progress_on_a_terminal(store_file: str) -> None:
    env = tracker_env(TRACKER_PROGRESS_AFTER="0")
    done = on_terminal("--db", store_file, "import", *SAMPLE_FILES, env=env)
    assert done.status == 0
    assert "importing: 54 of 54 actions (100%)" in done.out
    assert "reading plan files: " in done.out
    assert "\x1b[K" in done.out  # each line is cleared when the work ends
    done = on_terminal("--db", store_file, "export", "-o", store_file + ".csv", env=env)
    assert re.search(r"exporting: \d+ of 54 actions", done.out)
    done = on_terminal("--db", store_file, "report", "-o", store_file + ".md", env=env)
    assert "board paper: done: 5 of 5 parts (100%)" in done.out
    assert "board paper: reading the actions: 1 of 5 parts (20%), about" in done.out


def test_piped_or_in_a_script_nothing_is_shown(tmp_path_factory: pytest.TempPathFactory) -> None:
    db = str(tmp_path_factory.mktemp("quiet") / "t.db")
    env = tracker_env(TRACKER_PROGRESS_AFTER="0")
    done = piped("--db", db, "import", *SAMPLE_FILES, env=env)
    assert (done.status, done.err) == (0, "")
    done = piped("--db", db, "export", "-o", str(tmp_path_factory.getbasetemp() / "x.csv"), env=env)
    assert done.err.startswith("wrote 54 actions to ")
    assert "\r" not in done.err
    # Standard output on a terminal but standard error piped: still nothing.
    done = on_terminal("--db", db, "report", env=env, stderr_tty=False)
    assert (done.status, done.err) == (0, "")
