"""Print the figures of the concurrent-writers stress run (the workload is tests/stress_support.py).

    .venv/bin/python bench/stress.py                     # Store and CLI, 8 x 50, on SQLite
    .venv/bin/python bench/stress.py --mode store --processes 8 --updates 50
    .venv/bin/python bench/stress.py --db postgresql+psycopg://user@host/db   # an EMPTY store

Each run needs an empty store: without `--db` a new SQLite file in a temporary folder.
Exit status 1 when any check fails (a lost update, a broken history chain, a locked error).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import stress_support


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("store", "cli", "both"), default="both")
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--updates", type=int, default=50)
    parser.add_argument("--db", help="an empty store's URL (else a new SQLite file)")
    parser.add_argument(
        "--readers", type=int, default=2, help="processes running `tracker list` meanwhile"
    )
    parser.add_argument(
        "--retry-stale",
        action="store_true",
        help="CLI workers retry a refused write until it is applied (the Store workers always do)",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("TRACKER_TODAY", "2026-11-25")
    modes = ("store", "cli") if args.mode == "both" else (args.mode,)
    if args.db and len(modes) > 1:
        parser.error("--db names one empty store: give --mode store or --mode cli")
    failed = False
    for mode in modes:
        with tempfile.TemporaryDirectory() as folder:
            url = args.db or stress_support.sqlite_url(folder)
            figures = stress_support.run(
                url,
                processes=args.processes,
                updates=args.updates,
                mode=mode,
                retry_stale=True if args.retry_stale else None,
                readers=args.readers,
            )
        print(figures.line(), flush=True)
        for problem in figures.problems[:20]:
            print(f"  PROBLEM: {problem}")
        failed = failed or bool(figures.problems)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
