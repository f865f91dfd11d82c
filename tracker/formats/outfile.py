"""Writing an output file a user named: whole or not at all, and never over a device.

A regular file is written beside its target and moved into place when complete, so a
failure (a full disk, an interrupted export) leaves the old file as it was. A symbolic
link is followed, so the file it points to is the one replaced. A device, a named pipe or
a socket (`/dev/stdout`, a FIFO another program reads) is written in place: it cannot be
replaced, and must never be swapped for a regular file.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from tracker.domain.errors import TrackerError

__all__ = ["open_output"]


@contextmanager
def open_output(path: Path | str, *, shown: str | None = None) -> Iterator[IO[str]]:
    """A UTF-8 text stream (newlines as written) into the file at `path`."""
    name = shown or str(path)
    target = Path(path).expanduser()
    if target.is_symlink():
        target = target.resolve()
    if target.is_dir():
        raise TrackerError(f"{name}: is a folder; give a file name")
    if not target.parent.is_dir():
        raise TrackerError(f"{name}: the folder {target.parent} does not exist")
    try:
        special = target.exists() and not stat.S_ISREG(target.stat().st_mode)
        if special:
            with open(target, "w", encoding="utf-8", newline="") as handle:
                yield handle
            return
    except PermissionError:
        raise TrackerError(f"{name}: cannot write here (permission denied)") from None
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(temp, "w", encoding="utf-8", newline="") as handle:
            yield handle
        os.replace(temp, target)
    except PermissionError:
        raise TrackerError(f"{name}: cannot write here (permission denied)") from None
    finally:
        if temp.exists():
            temp.unlink()
