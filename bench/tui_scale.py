"""Time the terminal UI on large stores: start to first screen, and the overdue toggle.

Usage: python bench/tui_scale.py STORE.db [STORE.db ...] [--runs N] [--size 160x50]

Runs the app headless (Textual's run_test) on each store, copied to a temporary folder so
the original is never touched (and, like a store filled by `tracker import`, has planner
statistics unless --no-analyze). "First screen" is from building the App (imports already
done; printed separately) until the table shows its first rows and the summary line its
counts; "overdue" is from pressing `o` until the overdue view is on screen, and back.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

T0 = time.perf_counter()
from tracker.domain.dates import today  # noqa: E402
from tracker.domain.records import Filters  # noqa: E402
from tracker.domain.rules import RuleSettings  # noqa: E402
from tracker.storage.engine import refresh_statistics  # noqa: E402
from tracker.storage.store import Store  # noqa: E402
from tracker.tui.app import make_app  # noqa: E402
from tracker.tui.screens.main import MainScreen  # noqa: E402
from tracker.tui.widgets.action_table import ActionTable  # noqa: E402

IMPORTS = time.perf_counter() - T0


async def _until(pilot: object, ready: object, timeout: float = 30.0) -> None:
    deadline = time.perf_counter() + timeout
    while not ready():  # type: ignore[operator]
        if time.perf_counter() > deadline:
            raise TimeoutError("the screen did not become ready")
        await pilot.pause(0.002)  # type: ignore[attr-defined]


async def one_run(db: str, settings: RuleSettings, size: tuple[int, int]) -> tuple[float, ...]:
    store = Store.open(db)
    counts = store.view_counts(settings=settings)
    overdue = store.view_counts(filters=Filters(overdue=True), settings=settings).total
    start = time.perf_counter()
    app = make_app(store=store, settings=settings, user="bench", poll_interval=0)
    async with app.run_test(size=size) as pilot:

        def screen() -> MainScreen | None:
            return app.screen if isinstance(app.screen, MainScreen) else None

        def shown(total: int, want_overdue: bool) -> bool:
            main = screen()
            if main is None:
                return False
            table = main.query_one(ActionTable)
            first = table.row_at(0)
            return (
                table.total == total
                and first is not None
                and main.counts.total == total
                and (not want_overdue or first.overdue(settings.today))
            )

        await _until(pilot, lambda: shown(counts.total, False))
        first_screen = time.perf_counter() - start
        # A person reads the first screen before pressing a key: let the tree arrive.
        await _until(pilot, lambda: screen() is not None and screen()._has_plans is not None)
        await pilot.pause(0.3)

        start = time.perf_counter()
        await pilot.press("o")
        await _until(pilot, lambda: shown(overdue, True))
        to_overdue = time.perf_counter() - start

        start = time.perf_counter()
        await pilot.press("o")
        await _until(pilot, lambda: shown(counts.total, False))
        back = time.perf_counter() - start

        start = time.perf_counter()
        await pilot.press("end")
        main = screen()
        assert main is not None
        table = main.query_one(ActionTable)
        await _until(pilot, lambda: table.row_at(counts.total - 1) is not None)
        to_end = time.perf_counter() - start
    store.close()
    return first_screen, to_overdue, back, to_end


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stores", nargs="+")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", default="160x50")
    parser.add_argument(
        "--no-analyze", action="store_true", help="time the copy without planner statistics"
    )
    args = parser.parse_args(argv)
    width, height = (int(n) for n in args.size.split("x"))
    settings = RuleSettings(today=today())
    print(f"imports (tracker.tui, textual, sqlalchemy): {IMPORTS:.3f}s; today {settings.today}")
    for original in args.stores:
        with tempfile.TemporaryDirectory() as folder:
            db = str(Path(folder) / "store.db")
            shutil.copy(original, db)
            probe = Store.open(db)
            total = probe.view_counts(settings=settings).total
            if not args.no_analyze:
                # A store filled by `tracker import` has planner statistics; a generated
                # one may not, so give the copy what an import would have.
                with probe.engine.begin() as conn:
                    refresh_statistics(conn)
            probe.close()
            results = [
                asyncio.run(one_run(db, settings, (width, height))) for _ in range(args.runs)
            ]
        names = ("first screen", "overdue on", "overdue off", "end key")
        print(f"{original}: {total:,} actions, {args.runs} runs at {width}x{height}")
        for i, name in enumerate(names):
            values = [r[i] for r in results]
            print(
                f"  {name:13} median {statistics.median(values):.3f}s"
                f"  min {min(values):.3f}s  max {max(values):.3f}s"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
