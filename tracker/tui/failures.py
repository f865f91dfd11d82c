"""One place that turns a failed worker into a notification, so the app keeps running."""

from __future__ import annotations

import logging
import time

from textual.dom import DOMNode
from textual.worker import Worker, WorkerState

from tracker.domain.errors import TrackerError
from tracker.domain.text import one_line

__all__ = ["ReportsFailures", "describe_failure"]

log = logging.getLogger("tracker.tui")
REPEAT_AFTER = 15.0
_LAST: dict[int, tuple[str, float]] = {}


def describe_failure(error: BaseException | None) -> str:
    """A message fit to show: a tracker error as it is, anything else named briefly."""
    if isinstance(error, TrackerError):
        return one_line(str(error))
    if isinstance(error, OSError):
        return one_line(f"{error.strerror or error}: {error.filename or ''}".rstrip(": "))
    return one_line(f"unexpected failure ({type(error).__name__}: {error})")


class ReportsFailures(DOMNode):
    """Mixin for widgets and screens that run workers: a worker that fails is notified."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        if not isinstance(error, TrackerError):
            log.error("worker %s failed", event.worker.name, exc_info=error)
        message = describe_failure(error)
        # A store that stays unreachable fails every poll: say so once, not every second.
        now = time.monotonic()
        last = _LAST.get(id(self.app))
        if last is not None and last[0] == message and now - last[1] < REPEAT_AFTER:
            return
        _LAST[id(self.app)] = (message, now)
        self.app.notify(message, title="Something went wrong", severity="error", markup=False)
