"""`tracker backup`: a consistent copy of a live store.

For SQLite this uses SQLite's online backup API, which copies a consistent snapshot even
while others are writing. A PostgreSQL store is backed up with `pg_dump` (see README).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from tracker.errors import StoreError, TrackerError

if TYPE_CHECKING:
    from tracker.store import Store

__all__ = ["backup_store"]


def backup_store(store: Store, target: Path, *, force: bool = False) -> Path:
    """Copy the store to `target`; refuse to overwrite an existing file unless `force`."""
    if store.engine.dialect.name != "sqlite":
        raise TrackerError(
            "backup copies SQLite stores; back up a PostgreSQL store with pg_dump (see README)"
        )
    target = target.expanduser()
    if target.is_dir():
        raise TrackerError(f"{target}: is a folder; give a file name")
    if not target.parent.is_dir():
        raise TrackerError(f"{target}: the folder {target.parent} does not exist")
    if target.exists() and not force:
        raise TrackerError(f"{target}: already exists; use --force to overwrite it")
    source_path = store.location
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=15)
        try:
            dest = sqlite3.connect(temp)
            try:
                source.backup(dest)
                dest.execute("PRAGMA journal_mode = DELETE")
                ok = dest.execute("PRAGMA integrity_check").fetchone()
            finally:
                dest.close()
        finally:
            source.close()
        if not ok or ok[0] != "ok":
            raise StoreError(f"{target}: the copy failed its integrity check; nothing was written")
        os.replace(temp, target)
    except sqlite3.Error as exc:
        raise StoreError(f"{target}: backup failed: {exc}") from None
    except PermissionError:
        raise TrackerError(f"{target}: cannot write here (permission denied)") from None
    finally:
        if temp.exists():
            temp.unlink()
    return target
