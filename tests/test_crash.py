"""A bug never shows a traceback: one line says what failed and where the full report is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tracker import cli
from tracker.storage.store import Store

ADDRESS = "staffordshire-2024-ilacs:R1.3"


def _boom(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError("the store fell over")


def test_an_unexpected_failure_is_one_line_and_a_log_entry(
    one_plan_store: Store,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(Store, "update_action", _boom)
    status = cli.main(["--db", db_url, "update", ADDRESS, "--progress", "70"])
    captured = capsys.readouterr()
    log = Path(os.environ["TRACKER_LOG_DIR"]) / "tracker.log"
    assert status == 1
    assert captured.out == ""
    assert captured.err.splitlines() == [
        "tracker: error: unexpected failure (RuntimeError: the store fell over); "
        f"the full report is in {log}"
    ]
    report = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last):" in report
    assert "in _boom" in report
    assert "RuntimeError: the store fell over" in report


def test_a_crashing_process_prints_no_traceback(one_plan_store: Store, tmp_path: Path) -> None:
    """The same in a real process: stderr is one line, the log has the details."""
    code = (
        "import sys\n"
        "from tracker.storage import store\n"
        "def broken(*a, **k):\n"
        "    return {}['no such key']\n"
        "store.Store.update_action = broken\n"
        "from tracker.cli import main\n"
        "raise SystemExit(main(sys.argv[1:]))\n"
    )
    logs = tmp_path / "logs"
    env = {**os.environ, "TRACKER_LOG_DIR": str(logs)}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "--db",
            one_plan_store.location,
            "update",
            ADDRESS,
            "--note",
            "x",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "tracker: error: unexpected failure (KeyError: 'no such key'); "
        f"the full report is in {logs / 'tracker.log'}"
    ]
    report = (logs / "tracker.log").read_text(encoding="utf-8")
    assert "Traceback" in report
    assert "in broken" in report
    assert "argv=" in report


def test_the_log_goes_to_the_users_state_folder_by_default(
    one_plan_store: Store,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("TRACKER_LOG_DIR")
    monkeypatch.setattr(Store, "update_action", _boom)
    assert cli.main(["--db", db_url, "update", ADDRESS, "--note", "x"]) == 1
    log = Path(os.environ["XDG_STATE_HOME"]) / "tracker" / "tracker.log"
    assert capsys.readouterr().err.rstrip().endswith(f"the full report is in {log}")
    assert "RuntimeError: the store fell over" in log.read_text(encoding="utf-8")


def test_when_the_log_cannot_be_written_the_line_says_so(
    one_plan_store: Store,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the log folder should be", encoding="utf-8")
    monkeypatch.setenv("TRACKER_LOG_DIR", str(blocker))
    monkeypatch.setattr(Store, "update_action", _boom)
    assert cli.main(["--db", db_url, "update", ADDRESS, "--note", "x"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "tracker: error: unexpected failure (RuntimeError: the store fell over); "
        "the full report is in (the log could not be written)"
    ]


def test_a_failure_message_with_escapes_is_printed_safely(
    one_plan_store: Store,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def hostile(*_args: object, **_kwargs: object) -> None:
        raise ValueError("\x1b]0;owned\x07\x1b[31mred")

    monkeypatch.setattr(Store, "update_action", hostile)
    assert cli.main(["--db", db_url, "update", ADDRESS, "--note", "x"]) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err
    assert "\x07" not in err
    assert err.startswith("tracker: error: unexpected failure (ValueError: ")


def test_interrupting_a_command_is_not_an_error_report(
    one_plan_store: Store,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Store, "update_action", interrupted)
    assert cli.main(["--db", db_url, "update", ADDRESS, "--note", "x"]) == 130
    assert capsys.readouterr().err == "tracker: interrupted\n"
    assert not (Path(os.environ["TRACKER_LOG_DIR"]) / "tracker.log").exists()
