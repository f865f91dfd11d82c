"""Writing an output file a user named (`--output`, the TUI's export): text on top of the
safe target rules in tracker.safewrite.

A regular file is written whole or not at all and keeps its permissions; a device, a
named pipe or a standard stream is written into, never replaced; a terminal, whatever
its name (`/dev/tty`, `/dev/stdout` on a terminal, `/dev/pts/3`), gets the text with
escape sequences and control characters taken out, as standard output on a terminal does.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, cast

from tracker.domain.text import printable
from tracker.safewrite import examine, write_target

__all__ = ["ForTerminal", "open_output"]


class ForTerminal(io.TextIOBase):
    """Writes text with escape sequences and control characters taken out.

    CSV and TOML carry plan text exactly, for files and pipes; when they are shown on a
    terminal, the terminal must not act on an escape sequence hidden in a description.
    """

    def __init__(self, stream: IO[str]) -> None:
        super().__init__()
        self._stream = stream

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._stream.write(printable(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()


@contextmanager
def open_output(path: Path | str, *, shown: str | None = None) -> Iterator[IO[str]]:
    """A UTF-8 text stream (newlines as written) into the file at `path`."""
    target = examine(path, shown=shown)
    with write_target(target) as raw:
        text = io.TextIOWrapper(cast(IO[bytes], raw), encoding="utf-8", newline="")
        try:
            if target.kind == "stream" and os.isatty(raw.fileno()):
                yield cast(IO[str], ForTerminal(text))
            else:
                yield text
            text.flush()
        finally:
            text.detach()
