"""Sessions on one store: a read, or a write in one transaction retried while the store is
busy, with every driver error turned into the StoreError users are shown.

The Store and the storage modules beside it (history, owners, measures) read and write
only through this, so the read-only gate, the retry policy and the error words are kept
in one place.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from tracker.domain.errors import ReadOnlyError, StoreBusyError, StoreError
from tracker.storage import location as _location
from tracker.storage.engine import (
    WRITE_OPTION,
    db_error,
    db_message,
    describe,
    is_busy,
    is_conflict,
)

__all__ = ["READ_ONLY", "Sessions"]

T = TypeVar("T")

READ_ONLY = "the store is open read-only"
# Tries of one write: a busy answer that came at once, or a unique key another user took
# a moment before, is worth another go.
ATTEMPTS = 4


class Sessions:
    """Where reads and writes of one store begin; counts the busy retries it made."""

    def __init__(self, engine: Engine, *, read_only: bool = False) -> None:
        self.engine = engine
        self.read_only = read_only
        self.read_only_reason = READ_ONLY
        self._write_engine = engine.execution_options(**{WRITE_OPTION: True})
        # Writes that found the store still busy after the busy timeout and were retried.
        self.busy_retries = 0
        # A SQLite file opened read-only: how it was opened, to follow a writer (_follow).
        self._file: Path | None = None
        self._view: object = None
        self._follow_lock = threading.Lock()

    def follow_file(self, path: Path) -> None:
        """Keep this read-only view of a SQLite file live while others write it (_follow)."""
        self._file, self._view = path, _location.read_view(path)

    def _follow(self) -> None:
        """Reopen a read-only SQLite view when a writer appears or the file changed.

        A reader that may not write the store's folder opens an idle store as immutable
        (it cannot make the `-shm` file), and SQLite then never looks for changes. When a
        writer appears (its `-shm` is there, which a read-only connection can share) or
        the file itself changed, the engine is opened afresh, so a reviewer's screen
        follows the store within the UI's poll, as everyone else's does.
        """
        if self._file is None:
            return
        now = _location.read_view(self._file)
        if now == self._view:
            return
        from tracker.storage.engine import make_engine

        with self._follow_lock:
            if now == self._view:
                return
            old = self.engine
            url = f"sqlite:///{self._file}"
            self.engine = make_engine(url, read_only=True, create=False)
            self._write_engine = self.engine.execution_options(**{WRITE_OPTION: True})
            self._view = now
        old.dispose()

    @property
    def location(self) -> str:
        """The store as users name it (path or URL without password)."""
        return describe(self.engine)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads; a driver error comes out as a StoreError."""
        self._follow()
        try:
            with Session(self.engine) as session:
                yield session
        except DBAPIError as exc:
            raise self.error(exc) from None
        except (ValueError, TypeError) as exc:
            # A stored value the types cannot read back ('not-a-date' in a date column).
            raise StoreError(_location.damaged(self.location, str(exc))) from None

    def write(self, work: Callable[[Session], T]) -> T:
        """Run `work` in one write transaction, retrying while the store is busy."""
        if self.read_only:
            raise ReadOnlyError(f"{self.read_only_reason}: nothing can be changed")
        for attempt in range(ATTEMPTS):
            started = time.monotonic()
            try:
                with Session(self._write_engine) as session, session.begin():
                    return work(session)
            except OperationalError as exc:
                # A busy answer that came at once (a snapshot gone stale under SQLite's WAL)
                # is worth another try; one that came after waiting the whole busy timeout
                # means someone holds the store, and the user hears so now, not minutes on.
                waited = time.monotonic() - started
                patient = waited < 0.5 * _location.BUSY_TIMEOUT_SECONDS
                if is_busy(exc) and patient and attempt < ATTEMPTS - 1:
                    self.busy_retries += 1
                    time.sleep(0.05 * (attempt + 1))
                    continue
                raise self.error(exc) from None
            except IntegrityError as exc:
                if is_conflict(exc) and attempt < ATTEMPTS - 1:
                    # Another user added the same row first; the retry reads what they wrote.
                    continue
                raise StoreError(
                    f"{self.location}: the store refused the change: {db_message(exc)}"
                ) from None
            except DBAPIError as exc:
                raise self.error(exc) from None
        raise StoreBusyError("the store is busy")  # pragma: no cover - loop always returns

    def error(self, exc: DBAPIError) -> StoreError:
        """The StoreError a driver error is shown as."""
        return db_error(exc, self.location, sqlite=self.engine.dialect.name == "sqlite")
