"""The errors tracker reports to users: each carries a message fit to show as it is."""

from __future__ import annotations

__all__ = [
    "NotFoundError",
    "PlanFileError",
    "ReadOnlyError",
    "StaleWriteError",
    "StoreBusyError",
    "StoreError",
    "TrackerError",
    "UsageError",
    "ValidationError",
    "no_plan",
]


class TrackerError(Exception):
    """The data or the store said no (exit status 1)."""

    exit_code = 1

    def lines(self) -> list[str]:
        """The problems, one line each, without the `tracker: error:` prefix."""
        return [str(self)]


class UsageError(TrackerError):
    """The command line was wrong (exit status 2)."""

    exit_code = 2


class ValidationError(TrackerError):
    """A value the user gave is not acceptable; `field` names it when known."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFoundError(TrackerError):
    """No plan or action answers to the address the user gave."""


def no_plan(key: str, *, hint: str | None = None) -> NotFoundError:
    """The one way to say a plan key names no stored plan (with a hint where one helps)."""
    return NotFoundError(f"no plan {key!r} in the store" + (f" ({hint})" if hint else ""))


class StoreError(TrackerError):
    """The store cannot be opened, read or written."""


class StoreBusyError(StoreError):
    """Another user held the store for longer than the busy timeout."""


class ReadOnlyError(StoreError):
    """The store was opened read-only, or the database refused a write."""


class StaleWriteError(TrackerError):
    """Someone else changed the action after it was read; nothing was written."""

    def __init__(self, message: str, *, current_version: int | None = None) -> None:
        super().__init__(message)
        self.current_version = current_version


class PlanFileError(TrackerError):
    """One or more plan files break the format; `problems` are `FILE: PLACE: what` lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems[0] if problems else "the plan file is not valid")
        self.problems = problems

    def lines(self) -> list[str]:
        return list(self.problems)
