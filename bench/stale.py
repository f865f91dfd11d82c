"""Stale actions at scale: is the stored "last touched" time (`action.updated_at`) worth it
against working it out from history, and how fast are `list --stale` and `owners`?

    .venv/bin/python bench/stale.py [STORE]      # default bench/data/store-100000.db

The store (made by bench/generate.py) is copied, then aged: each action gets 0 to 5
history entries spread over the 150 days before the pinned now, its `updated_at` the
time of the latest (or of its import when it has none), as every tracker write keeps it.
Then, best of 5 runs each, it times:

- the stale filter as tracker runs it (open and `updated_at` before the cut-off), through
  the Store (SQLAlchemy) and the light stdlib reader: the count and the full list;
- the same question answered from history alone, with a correlated `max(history.at)` per
  action (falling back to `created_at`), with the indexes the store has and again with an
  extra index on (action_id, at);
- `tracker owners`' query: every owner's open, overdue, due-soon and stale counts.

It checks that both definitions select the same actions, and prints the figures.
"""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 11, 25, 10, 0, 0)
TODAY = NOW.date()
RUNS = 5


def best(fn: Callable[[], object]) -> tuple[float, object]:
    """The fastest of RUNS runs, in seconds, and what the last run returned."""
    times = []
    result: object = None
    for _ in range(RUNS):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), result


def age(path: Path, seed: int = 13) -> tuple[int, int]:
    """Give the copied store a history; returns (actions, history entries added)."""
    rng = random.Random(seed)
    conn = sqlite3.connect(path)
    try:
        ids = [row[0] for row in conn.execute("SELECT id FROM action ORDER BY id")]
        history: list[tuple[object, ...]] = []
        touched: list[tuple[str, str, int]] = []
        for action_id in ids:
            created = NOW - timedelta(days=150, hours=rng.randint(0, 48))
            entries = rng.choice((0, 0, 1, 1, 2, 3, 5))
            moments = sorted(
                created + timedelta(minutes=rng.randint(1, 150 * 24 * 60)) for _ in range(entries)
            )
            for at in moments:
                history.append((action_id, _text(at), "bench", "note", None, None, "checked"))
            last = moments[-1] if moments else created
            touched.append((_text(created), _text(last), action_id))
        conn.executemany("UPDATE action SET created_at = ?, updated_at = ? WHERE id = ?", touched)
        conn.executemany(
            "INSERT INTO history (action_id, at, by, field, old, new, note) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            history,
        )
        conn.commit()
        conn.execute("ANALYZE")
        return len(ids), len(history)
    finally:
        conn.close()


def _text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


FROM_HISTORY = (
    "SELECT {what} FROM action AS a WHERE a.status IN ('not_started', 'in_progress', "
    "'blocked') AND coalesce((SELECT max(h.at) FROM history AS h WHERE h.action_id = a.id), "
    "a.created_at) < ?"
)


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else HERE / "data" / "store-100000.db"
    if not source.is_file():
        print(f"no store at {source}: make one with .venv/bin/python bench/generate.py")
        return 1
    os.environ["TRACKER_NOW"] = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    os.environ["TRACKER_TODAY"] = TODAY.isoformat()
    from tracker.domain.records import Filters
    from tracker.domain.rules import RuleSettings
    from tracker.storage.fastread import FastReader
    from tracker.storage.owners import owner_summaries
    from tracker.storage.store import Store

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "stale.db"
        shutil.copyfile(source, path)
        Store.open(str(path)).close()  # brings an older store's schema up to date
        actions, entries = age(path)
        settings = RuleSettings(today=TODAY)
        cutoff = _text(settings.stale_before)
        stale = Filters(stale=True)
        print(f"store: {actions:,} actions, {entries:,} history entries added (aged copy)")
        print(f"stale: open, last touched before {cutoff[:10]} (update_days 31, today {TODAY})")

        store = Store.open(str(path))
        reader = FastReader.open(str(path))
        assert reader is not None
        try:
            t, counts = best(lambda: store.view_counts(filters=stale, settings=settings))
            total = counts.total  # type: ignore[attr-defined]
            print(f"  Store count (updated_at)           {t * 1000:8.1f} ms   {total:,} stale")
            t, rows = best(lambda: list(store.iter_actions(filters=stale, settings=settings)))
            by_store = {r.id for r in rows}  # type: ignore[attr-defined]
            print(f"  Store list  (updated_at)           {t * 1000:8.1f} ms   {len(by_store):,}")
            t, counts = best(lambda: reader.view_counts(filters=stale, settings=settings))
            print(f"  light reader count (updated_at)    {t * 1000:8.1f} ms")
            t, rows = best(lambda: list(reader.iter_actions(filters=stale, settings=settings)))
            by_reader = {r.id for r in rows}  # type: ignore[attr-defined]
            print(f"  light reader list  (updated_at)    {t * 1000:8.1f} ms   {len(by_reader):,}")
            t, owners = best(lambda: owner_summaries(store, settings=settings))
            print(
                f"  owners (counts per owner, Store)   {t * 1000:8.1f} ms   {len(owners):,} owners"  # type: ignore[arg-type]
            )
        finally:
            reader.close()
            store.close()

        conn = sqlite3.connect(path)
        try:
            stored_sql = (
                "SELECT count(*) FROM action AS a WHERE a.status IN ('not_started', "
                "'in_progress', 'blocked') AND a.updated_at < ?"
            )
            t, n = best(lambda: conn.execute(stored_sql, (cutoff,)).fetchone()[0])
            print(f"  raw SQL count, updated_at          {t * 1000:8.1f} ms   {n:,} stale")
            count_sql = FROM_HISTORY.format(what="count(*)")
            ids_sql = FROM_HISTORY.format(what="a.id")
            t, n = best(lambda: conn.execute(count_sql, (cutoff,)).fetchone()[0])
            print(f"  raw SQL count, max(history.at)     {t * 1000:8.1f} ms   {n:,} stale")
            plan = conn.execute("EXPLAIN QUERY PLAN " + count_sql, (cutoff,)).fetchall()
            print("    plan: " + " | ".join(str(row[-1]) for row in plan))
            by_history = {row[0] for row in conn.execute(ids_sql, (cutoff,))}
            conn.execute("CREATE INDEX bench_history_action_at ON history (action_id, at)")
            conn.execute("ANALYZE")
            t, n = best(lambda: conn.execute(count_sql, (cutoff,)).fetchone()[0])
            print(f"  the same, + index (action_id, at)  {t * 1000:8.1f} ms   {n:,} stale")
            plan = conn.execute("EXPLAIN QUERY PLAN " + count_sql, (cutoff,)).fetchall()
            print("    plan: " + " | ".join(str(row[-1]) for row in plan))
        finally:
            conn.close()
        same = by_store == by_reader == by_history
        print(f"  the same actions by every route: {'yes' if same else 'NO'}")
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
