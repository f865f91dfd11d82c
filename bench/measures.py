"""Time the measures scorecard at scale beside the action list it must keep pace with.

Usage: python bench/measures.py [--actions 100000] [--measures 10000] [--runs 5]

Builds (once, under bench/data/) a store of N actions with tracker's own import
(bench/generate.py), adds M measures spread over its recommendations with 24 monthly
readings each (10,000 measures: 240,000 readings), then times, as whole processes:
`tracker measures` and `tracker measures --format csv` beside `tracker list` and
`tracker list --format csv` on the same store; and, headless in Textual, the first screen
beside the time from pressing `k` until the measures screen shows its first rows and until
it lists every measure (the key is sent as a terminal's would, and the time taken once a
frame is drawn). The budget is the same as the list's and the first screen's. Prints
figures; asserts nothing. On 1 December 2026 (2 shared cores, load about 2): first
screen 0.34 s, `k` to the first rows 0.25 s, to all 10,000 listed 4.5 s (README,
"Measures at scale").
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
TRACKER = [sys.executable, "-m", "tracker"]
MONTHS = [f"{y}-{m:02d}" for y in (2024, 2025, 2026) for m in range(1, 13)][10:34]


def add_measures(db: str, count: int, seed: int = 7) -> int:
    """Add `count` measures with 24 monthly readings each; return how many readings."""
    from sqlalchemy import select

    from tracker.domain import dates
    from tracker.domain.plan import MeasureData, ReadingData, RecommendationData
    from tracker.storage.measures import insert_measures
    from tracker.storage.models import PLAN, RECOMMENDATION, Recommendation
    from tracker.storage.store import Store

    rng = random.Random(seed)
    store = Store.open(db)
    now = dates.now_utc()
    readings = 0

    def work(session: object) -> None:
        nonlocal readings
        recs = list(
            session.execute(  # type: ignore[attr-defined]
                select(PLAN.key, PLAN.id, RECOMMENDATION.ref, RECOMMENDATION.id)
                .join(Recommendation, RECOMMENDATION.plan_id == PLAN.id)
                .order_by(PLAN.id, RECOMMENDATION.id)
            )
        )
        by_plan: dict[tuple[str, int], list[RecommendationData]] = {}
        ids: dict[tuple[int, str], int] = {}
        for i in range(count):
            key, plan_id, ref, rec_id = recs[i % len(recs)]
            ids[(plan_id, ref)] = rec_id
            up = rng.random() < 0.7
            target = rng.choice((80, 85, 90, 95)) if up else rng.choice((5, 15, 18, 20))
            level = target * rng.uniform(0.75, 1.05)
            values = []
            for _ in MONTHS:
                level = max(0.0, level + rng.uniform(-2, 2.2 if up else 1.8))
                values.append(round(level, 1))
            measure = MeasureData(
                ref=f"M{ref.lstrip('R')}.{i}",
                name=f"Measure {i}: children seen within timescale",
                direction="up" if up else "down",
                target=float(target),
                unit="%",
                readings=[ReadingData(p, v) for p, v in zip(MONTHS, values, strict=True)],
            )
            readings += len(measure.readings)
            recs_of_plan = by_plan.setdefault((key, plan_id), [])
            if not recs_of_plan or recs_of_plan[-1].ref != ref:
                recs_of_plan.append(RecommendationData(ref=ref, title=""))
            recs_of_plan[-1].measures.append(measure)
        for (key, plan_id), plan_recs in by_plan.items():
            insert_measures(
                session,  # type: ignore[arg-type]
                plan_key=key,
                plan_id=plan_id,
                recs=plan_recs,
                rec_ids={r.ref: ids[(plan_id, r.ref)] for r in plan_recs},
                user="bench",
                now=now,
            )

    store.write(work)
    with store.engine.begin() as conn:
        from tracker.storage.engine import refresh_statistics

        refresh_statistics(conn)
    store.close()
    return readings


def timed(argv: list[str], env: dict[str, str], runs: int) -> tuple[float, int]:
    """Median seconds of a whole process, and the lines it printed."""
    times, lines = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
        lines = done.stdout.count(b"\n")
    return statistics.median(times), lines


async def tui_times(db: str, size: tuple[int, int]) -> tuple[float, float, float, int]:
    """Seconds to the first screen with rows; from `k` to the measures screen's first rows
    (the scorecard read and scored); from `k` to every measure listed."""
    from textual import events
    from textual.widgets import DataTable

    from tracker.domain.rules import RuleSettings
    from tracker.storage.store import Store
    from tracker.tui.app import make_app
    from tracker.tui.screens.main import MainScreen
    from tracker.tui.screens.measures import MeasuresScreen
    from tracker.tui.widgets.action_table import ActionTable

    settings = RuleSettings(today=date(2026, 11, 25))
    store = Store.open(db)
    from tracker.storage.measures import MeasureStore

    total = len(MeasureStore(store).scorecard(recent=0))
    start = time.perf_counter()
    app = make_app(store=store, settings=settings, user="bench", poll_interval=0)

    async def until(pilot: object, ready: object) -> None:
        deadline = time.perf_counter() + 60
        while not ready():  # type: ignore[operator]
            if time.perf_counter() > deadline:
                raise TimeoutError("not ready")
            await pilot.pause(0.002)  # type: ignore[attr-defined]

    async with app.run_test(size=size) as pilot:

        def first() -> bool:
            screen = app.screen
            return isinstance(screen, MainScreen) and (
                screen.query_one(ActionTable).row_at(0) is not None
            )

        await until(pilot, first)
        first_screen = time.perf_counter() - start
        # A person reads the first screen before pressing a key: let the main screen's own
        # background reads (the Store, the plan tree) finish, as bench/tui_scale.py does.
        await until(pilot, lambda: not any(w.is_running for w in app.workers))
        await pilot.pause(0.3)
        # The key goes in as a terminal's would: Pilot.press waits until the process is idle,
        # which would time the whole fill of the table, not the first rows. Each check
        # below paints the screen once, as a frame would, before the time is taken.
        key = events.Key("k", "k")
        key.set_sender(app)
        start = time.perf_counter()
        app._driver.send_message(key)  # type: ignore[union-attr]

        async def painted(ready: object) -> None:
            deadline = time.perf_counter() + 60
            while not ready():  # type: ignore[operator]
                if time.perf_counter() > deadline:
                    raise TimeoutError("not ready")
                await asyncio.sleep(0.002)
            app.screen._on_timer_update()

        def listed() -> bool:
            screen = app.screen
            return (
                isinstance(screen, MeasuresScreen)
                and screen.query_one(DataTable).row_count == total
            )

        def first_rows() -> bool:
            screen = app.screen
            return isinstance(screen, MeasuresScreen) and screen.query_one(
                DataTable
            ).row_count >= min(total, 100)

        await painted(first_rows)
        shown = time.perf_counter() - start
        await painted(listed)
        measures = time.perf_counter() - start
    store.close()
    return first_screen, shown, measures, total


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=100_000)
    parser.add_argument("--measures", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tui-runs", type=int, default=3)
    parser.add_argument("--data", default=str(HERE / "data"))
    parser.add_argument("--no-cli", action="store_true", help="time only the TUI")
    args = parser.parse_args(argv)
    import generate

    data = Path(args.data)
    data.mkdir(parents=True, exist_ok=True)
    today = date(2026, 11, 25)
    source = data / f"store-{args.actions}-measures-{args.measures}.db"
    if not source.exists():
        started = time.perf_counter()
        generate.write_store(args.actions, today, source)
        readings = add_measures(str(source), args.measures)
        print(
            f"made {source.name}: {args.actions:,} actions, {args.measures:,} measures, "
            f"{readings:,} readings in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
    env = {**os.environ, "TRACKER_TODAY": today.isoformat(), "TRACKER_USER": "bench"}
    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "store.db")
        shutil.copy(source, db)
        env["TRACKER_DB"] = db
        print(f"{args.actions:,} actions, {args.measures:,} measures; median of {args.runs} runs")
        for name, argv_ in (
            ()
            if args.no_cli
            else (
                ("tracker list", ["list"]),
                ("tracker measures", ["measures"]),
                ("tracker list --format csv", ["list", "--format", "csv"]),
                ("tracker measures --format csv", ["measures", "--format", "csv"]),
                ("tracker measures --format json", ["measures", "--format", "json"]),
            )
        ):
            seconds, lines = timed([*TRACKER, *argv_], env, args.runs)
            print(f"  {name:32} {seconds:6.3f} s  ({lines:,} lines)")
        results = [asyncio.run(tui_times(db, (160, 50))) for _ in range(args.tui_runs)]
        firsts = [r[0] for r in results]
        shown = [r[1] for r in results]
        ks = [r[2] for r in results]
        runs = f"  (median of {args.tui_runs})"
        print(f"  TUI first screen                 {statistics.median(firsts):6.3f} s{runs}")
        print(f"  TUI k to the scorecard's rows    {statistics.median(shown):6.3f} s{runs}")
        print(f"  TUI k to all {results[0][3]:,} listed     {statistics.median(ks):6.3f} s{runs}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
