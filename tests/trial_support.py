"""Running the real `tracker` command for the user-trial tests: on a pseudo-terminal of a
given width (what a person sees) or with its output piped (what a script gets)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(slots=True)
class Done:
    status: int
    out: str
    err: str


def tracker_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, **extra}
    env.pop("COLUMNS", None)
    env.update(extra)
    return env


def piped(*argv: str, env: dict[str, str] | None = None, timeout: float = 120) -> Done:
    """`tracker ARGV` with standard output and error both piped."""
    done = subprocess.run(
        [sys.executable, "-m", "tracker", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env or tracker_env(),
        timeout=timeout,
    )
    return Done(done.returncode, done.stdout, done.stderr)


def on_terminal(
    *argv: str,
    columns: int = 80,
    rows: int = 24,
    env: dict[str, str] | None = None,
    stderr_tty: bool = True,
    timeout: float = 120,
) -> Done:
    """`tracker ARGV` with standard output (and error, unless `stderr_tty` is off) on a
    pseudo-terminal `columns` wide. What the terminal shows comes back as `out` (and
    `err` is empty then); with `stderr_tty` off, standard error is piped into `err`."""
    import fcntl
    import struct
    import termios

    parent, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracker", *argv],
        stdin=subprocess.DEVNULL,
        stdout=child,
        stderr=child if stderr_tty else subprocess.PIPE,
        cwd=ROOT,
        env=env or tracker_env(),
    )
    os.close(child)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([parent], [], [], 0.2)
        if ready:
            try:
                data = os.read(parent, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(parent)
    err = proc.stderr.read().decode() if proc.stderr else ""
    status = proc.wait(timeout=30)
    text = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
    return Done(status, text, err)
