"""What a database driver's error means for the user, decided in one place (stdlib only).

SQLite says what went wrong only in its message text; PostgreSQL also gives a SQLSTATE.
The Store (through SQLAlchemy), the engine's set-up and the light reader (plain sqlite3)
all turn a driver error into the same kind of StoreError with the same words, here.
"""

from __future__ import annotations

from enum import Enum

from tracker.domain.errors import ReadOnlyError, StoreBusyError, StoreError
from tracker.storage.location import damaged, looks_damaged

__all__ = ["Failure", "classify", "short_message", "store_error"]

# PostgreSQL's SQLSTATEs for "another user is in the way": serialization failure,
# deadlock, lock timeout. A write that meets one is retried, then reported as busy.
PG_BUSY_STATES = frozenset({"40001", "40P01", "55P03"})
# PostgreSQL's unique violation: another user added the same row at the same moment.
PG_UNIQUE_VIOLATION = "23505"


class Failure(Enum):
    """The kinds of driver error users are told about differently."""

    BUSY = "busy"
    DENIED = "denied"  # the database refused this user the operation
    READ_ONLY = "read_only"  # the file (or database) may not be written
    NOT_A_DATABASE = "not_a_database"
    CANNOT_OPEN = "cannot_open"
    OTHER = "other"


def classify(text: str, sqlstate: str | None = None) -> Failure:
    """The kind of a driver error, from its SQLSTATE (PostgreSQL) or its message."""
    if sqlstate in PG_BUSY_STATES:
        return Failure.BUSY
    lowered = text.lower()
    if "locked" in lowered or "busy" in lowered:
        return Failure.BUSY
    if "permission denied" in lowered:
        return Failure.DENIED
    if "readonly" in lowered or "read-only" in lowered:
        return Failure.READ_ONLY
    if "not a database" in lowered:
        return Failure.NOT_A_DATABASE
    if "unable to open" in lowered:
        return Failure.CANNOT_OPEN
    return Failure.OTHER


_SHORT = {
    Failure.NOT_A_DATABASE: "not a tracker store (the file is not a SQLite database)",
    Failure.READ_ONLY: "the store is read-only (check the file's permissions)",
    Failure.CANNOT_OPEN: "cannot open the store file (check the folder and its permissions)",
    Failure.BUSY: "the store is busy: another user is writing; try again in a moment",
}


def short_message(text: str, sqlstate: str | None = None) -> str:
    """A short, human message for a driver error: its first line, or what it means."""
    first = text.strip().splitlines()[0] if text.strip() else "the database failed"
    if looks_damaged(first):
        return damaged("", first).removeprefix(": ")
    return _SHORT.get(classify(first, sqlstate), first)


def store_error(
    location: str, text: str, *, sqlstate: str | None = None, sqlite: bool = True
) -> StoreError:
    """The StoreError a failed read or write of the store at `location` is reported as."""
    if looks_damaged(text):
        first = text.strip().splitlines()[0]
        return StoreError(damaged(location, first))
    kind = classify(text, sqlstate)
    if kind is Failure.BUSY:
        return StoreBusyError(f"{location}: the store is busy: another user is writing; try again")
    if kind is Failure.DENIED and not sqlite:
        return ReadOnlyError(
            f"{location}: your database role may not do this: nothing was changed "
            f"(ask the store's owner for access; {short_message(text, sqlstate)})"
        )
    if kind in (Failure.DENIED, Failure.READ_ONLY):
        return ReadOnlyError(
            f"{location}: the store file is read-only: nothing was changed "
            "(check the file's permissions)"
        )
    return StoreError(f"{location}: {short_message(text, sqlstate)}")
