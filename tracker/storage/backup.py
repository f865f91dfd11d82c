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
from tracker.safewrite import examine, install_file

if TYPE_CHECKING:
    from tracker.storage.store import Store

__all__ = ["backup_store"]


def backup_store(store: Store, target: Path | str, *, force: bool = False) -> Path:
    """Copy the store to `target`; refuse to overwrite an existing file unless `force`.

    The target follows the same rules as every `--output` (tracker.safewrite): a device or
    a pipe is written into, never replaced; a file is replaced whole, keeping its
    permissions; the copy is built in a private folder nobody else can plant files in.
    """
    if store.engine.dialect.name != "sqlite":
        raise TrackerError(
            "backup copies SQLite stores; back up a PostgreSQL store with pg_dump (see README)"
        )
    shown = str(target)  # as given: a trailing "/" (a folder) must survive
    source_path = Path(store.location)
    if _same_file(Path(target).expanduser(), source_path):
        raise TrackerError(f"{shown}: is the store itself; give another file name")
    place = examine(target, shown=shown)
    if place.kind == "file" and not force:
        raise TrackerError(f"{shown}: already exists; use --force to overwrite it")
    try:
        with install_file(place, binary_name="backup.db") as temp:
            source = sqlite3.connect(
                f"{source_path.resolve().as_uri()}?mode=ro", uri=True, timeout=15
            )
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
                raise StoreError(
                    f"{shown}: the copy failed its integrity check; nothing was written"
                )
    except sqlite3.Error as exc:
        raise StoreError(f"{shown}: backup failed: {exc}") from None
    except PermissionError:
        raise TrackerError(f"{shown}: cannot write here (permission denied)") from None
    return Path(target)


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
