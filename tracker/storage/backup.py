"""`tracker backup`: a consistent copy of a live store.

For SQLite this uses SQLite's online backup API, which copies a consistent snapshot even
while others are writing. A PostgreSQL store is backed up with `pg_dump` (see README).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from tracker.domain.errors import StoreError, TrackerError

if TYPE_CHECKING:
    from tracker.storage.store import Store

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
    source_path = Path(store.location)
    if _same_file(target, source_path):
        raise TrackerError(f"{target}: is the store itself; give another file name")
    if target.exists() and not force:
        raise TrackerError(f"{target}: already exists; use --force to overwrite it")
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        source = sqlite3.connect(f"{source_path.resolve().as_uri()}?mode=ro", uri=True, timeout=15)
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


def _same_file(target: Path, source: Path) -> bool:
    """Whether `target` is the store file or one of its `-wal`/`-shm` companions."""
    resolved = target.resolve()
    store = source.resolve()
    if resolved in (
        store,
        store.with_name(store.name + "-wal"),
        store.with_name(store.name + "-shm"),
    ):
        return True
    try:
        return target.exists() and os.path.samefile(target, store)
    except OSError:
        return False
