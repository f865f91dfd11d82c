"""Output files: written whole or not at all, a symbolic link followed, a device never replaced."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES

from tracker.domain.errors import TrackerError
from tracker.formats.outfile import open_output


def test_a_failure_while_writing_leaves_the_old_file_and_no_litter(tmp_path: Path) -> None:
    target = tmp_path / "snapshot.csv"
    target.write_text("the board's last snapshot\n", encoding="utf-8")

    def stopped_halfway() -> None:
        with open_output(target) as out:
            out.write("half a new snapshot")
            raise RuntimeError("the export stopped")

    with pytest.raises(RuntimeError):
        stopped_halfway()
    assert target.read_text(encoding="utf-8") == "the board's last snapshot\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snapshot.csv"]


def test_a_symbolic_link_is_followed_and_kept(tmp_path: Path) -> None:
    real = tmp_path / "real.csv"
    real.write_text("old\n", encoding="utf-8")
    link = tmp_path / "latest.csv"
    link.symlink_to(real)
    with open_output(link) as out:
        out.write("new\n")
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8") == "new\n"


def test_a_named_pipe_is_written_into_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "to-excel"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    with open_output(fifo) as out:
        out.write("as_of,plan\r\n")
    reader.join(timeout=30)
    assert received == [b"as_of,plan\r\n"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_a_folder_or_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TrackerError, match="is a folder; give a file name"), open_output(tmp_path):
        pass
    missing = tmp_path / "nowhere" / "x.csv"
    with pytest.raises(TrackerError, match="does not exist"), open_output(missing):
        pass


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("to_file", [True, False])
def test_a_full_disk_is_one_clear_line_and_the_device_stays(tmp_path: Path, to_file: bool) -> None:
    db = str(tmp_path / "t.db")
    env = dict(os.environ, TRACKER_TODAY="2026-11-25")
    base = [sys.executable, "-m", "tracker", "--db", db]
    subprocess.run(
        [*base, "import", str(SAMPLES / "stoke-on-trent-2022-ilacs.toml")],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [*base, "export", *(["--output", "/dev/full"] if to_file else [])],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL if to_file else full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "tracker: error: cannot write the output: No space left on device; "
        "what was written is incomplete"
    ]
    assert stat.S_ISCHR(Path("/dev/full").stat().st_mode)
