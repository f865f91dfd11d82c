"""Where the store is: `--db`, `TRACKER_DB` or the default file, and how the standard
library's sqlite3 opens a store file. Standard library only, so the light reader and the
engine share one definition.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

__all__ = [
    "BUSY_TIMEOUT_SECONDS",
    "damaged",
    "default_db_path",
    "file_writable",
    "read_only_query",
    "read_view",
    "resolve_db",
    "store_file",
    "use_unicode_lower",
]

BUSY_TIMEOUT_SECONDS = 15.0


def damaged(where: str, what: str) -> str:
    """The one line for a store that is not as tracker wrote it, with what to do next."""
    return (
        f"{where}: the store is damaged ({what}): run 'tracker check' to list every "
        "problem, then restore the latest backup (README: Backups and restore)"
    )


_DAMAGE_WORDS = ("could not decode", "malformed", "invalid isoformat", "not a valid date")


def looks_damaged(text: str) -> bool:
    """Whether a driver's or parser's message means the stored data itself is bad."""
    lowered = text.lower()
    return any(word in lowered for word in _DAMAGE_WORDS)


def default_db_path() -> Path:
    """`tracker.db` in the user's data directory (the folder is made on first use)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("tracker", appauthor=False)) / "tracker.db"


def _make_default_folder(path: Path) -> None:
    """Make the default store's folder; a clear line when XDG_DATA_HOME (or a parent) is a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        from tracker.domain.errors import StoreError

        xdg = os.environ.get("XDG_DATA_HOME", "")
        hint = f" (XDG_DATA_HOME is {xdg!r})" if xdg else ""
        raise StoreError(
            f"{path}: cannot make the default store's folder: {_first_file(path.parent)} is a "
            f"file, not a folder{hint}; use --db or TRACKER_DB, or fix XDG_DATA_HOME"
        ) from None
    except PermissionError:
        from tracker.domain.errors import StoreError

        raise StoreError(
            f"{path}: cannot make the default store's folder (permission denied); use --db"
        ) from None


def _first_file(folder: Path) -> Path:
    for parent in [*reversed(folder.parents), folder]:
        if parent.exists() and not parent.is_dir():
            return parent
    return folder


def _configured(db: str | None) -> str | None:
    """`--db`, else `TRACKER_DB`, else None for the default store."""
    return db or os.environ.get("TRACKER_DB", "").strip() or None


def resolve_db(db: str | None) -> str:
    """The SQLAlchemy URL for `--db`, else `TRACKER_DB`, else the default store."""
    value = _configured(db)
    if value is None:
        path = default_db_path()
        _make_default_folder(path)
        return f"sqlite:///{path}"
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def store_file(db: str | None) -> Path | None:
    """The SQLite file `--db`, `TRACKER_DB` or the default names, as db.resolve_db reads them.

    None when the store is not a plain SQLite file (a PostgreSQL URL, a URI with options).
    """
    value = _configured(db)
    if value is None:
        from platformdirs import user_data_dir

        return Path(user_data_dir("tracker", appauthor=False)) / "tracker.db"
    if "://" not in value:
        return Path(value).expanduser().resolve()
    prefix = "sqlite:///"
    if not value.startswith(prefix) or "?" in value:
        return None
    rest = value[len(prefix) :]
    if not rest or rest == ":memory:" or rest.startswith("file:"):
        return None
    return Path(rest)


def file_writable(path: Path) -> bool:
    """Whether this user may change a SQLite store file (and its journal beside it)."""
    if path.exists() and not os.access(path, os.W_OK):
        return False
    return os.access(path.parent, os.W_OK)


def read_only_query(path: Path) -> str:
    """The URI query that opens a SQLite store file for reading only.

    A store in WAL mode needs its `-shm` file beside it even to read. In a folder this
    user may not write to, with no writer at work (no `-shm`, an empty or missing `-wal`),
    the file is opened as immutable: nobody can be changing it through this folder then.
    """
    query = "mode=ro"
    shm = path.with_name(path.name + "-shm")
    wal = path.with_name(path.name + "-wal")
    idle = not shm.exists() and (not wal.exists() or wal.stat().st_size == 0)
    if idle and not os.access(path.parent, os.W_OK):
        query += "&immutable=1"
    return query


def read_view(path: Path) -> tuple[object, ...]:
    """How a read-only connection would open the store now, and (immutable) the file's state.

    When this changes, a read-only reader must reopen to see the store as it is.
    """
    query = read_only_query(path)
    if "immutable" not in query:
        return (query,)
    try:
        info = path.stat()
    except OSError:
        return (query, None)
    return (query, info.st_ino, info.st_size, info.st_mtime_ns)


def _unicode_lower(value: str | None) -> str | None:
    return value.lower() if isinstance(value, str) else value


def use_unicode_lower(conn: sqlite3.Connection) -> None:
    """Make SQLite's `lower()` fold every letter, as PostgreSQL's does, not ASCII alone.

    Case-insensitive filters (`--owner`, search) compare `lower(column)`, so "équipe"
    finds "Équipe Sécurité" on both engines. The Store's SQLite engine uses it too.
    """
    conn.create_function("lower", 1, _unicode_lower, deterministic=True)
