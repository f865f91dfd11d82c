"""How far long work has got, on standard error when it is a terminal.

An import, replace, export or report that takes more than a second says what it has done
of the total and about how long is left, on one line that is rewritten in place and
cleared at the end. When standard error is not a terminal (a pipe, a file, a script),
nothing is written at all, so logs and captured output stay clean.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import IO, TypeVar

__all__ = ["Progress", "counting"]

T = TypeVar("T")

DELAY = 1.0  # seconds of work before anything is shown (TRACKER_PROGRESS_AFTER to change)


def _delay() -> float:
    try:
        return max(float(os.environ.get("TRACKER_PROGRESS_AFTER", DELAY)), 0.0)
    except ValueError:
        return DELAY


EVERY = 0.1  # at most ten updates a second


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (ValueError, AttributeError):
        return False


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{max(round(seconds), 1)}s"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m {secs:02d}s"


class Progress:
    """`what: 40,000 of 100,000 actions (40%), about 6s left`, after the first second.

    `unit` names what is counted; `advance(n)` adds n done, `done(n)` sets it. Used as a
    context manager, the line is cleared when the work ends, however it ends.
    """

    def __init__(
        self,
        what: str,
        total: int,
        *,
        unit: str = "actions",
        stream: IO[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        delay: float | None = None,
    ) -> None:
        self.what = what
        self.total = total
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = _is_terminal(self.stream)
        self.clock = clock
        self.delay = _delay() if delay is None else delay
        self.started = clock()
        self.count = 0
        self._last = 0.0
        self._shown = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def advance(self, n: int = 1) -> None:
        self.done(self.count + n)

    def done(self, count: int, *, what: str | None = None) -> None:
        self.count = count
        if what is not None:
            self.what = what
        if not self.enabled:
            return
        now = self.clock()
        elapsed = now - self.started
        if elapsed < self.delay or (now - self._last < EVERY and count < self.total):
            return
        self._last = now
        self.stream.write("\r" + self.line(elapsed) + "\x1b[K")
        self.stream.flush()
        self._shown = True

    def line(self, elapsed: float) -> str:
        """The progress line for `elapsed` seconds of work so far."""
        total = max(self.total, 1)
        done = min(self.count, total)
        text = f"{self.what}: {done:,} of {self.total:,} {self.unit} ({100 * done // total}%)"
        if 0 < done < total:
            text += f", about {_duration(elapsed * (total - done) / done)} left"
        return text

    def close(self) -> None:
        """Clear the line (if one was shown), leaving the terminal as it was."""
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False


def counting(items: Iterable[T], progress: Progress) -> Iterator[T]:
    """The items, advancing `progress` by one for each."""
    for item in items:
        yield item
        progress.advance()
