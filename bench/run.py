"""The benchmark: tracker's commands and UI as whole processes, beside the floors and Taskwarrior.

For each size it times, median of --runs runs with the peak memory of each process:
`tracker import` of a plan file of N actions; `tracker overdue --format csv`;
`tracker list --owner X`; `tracker export`; the terminal UI from process start to the
first screen with rows, the overdue filter and one saved edit (bench/tui_driver.py);
and, in the same rounds so that load on the machine falls on both sides of each pair,
the plain-Python floors (bench/floors.py) and Taskwarrior's `task +OVERDUE export` on
the same tasks when `task` is installed. It also counts the overdue rows each side
returns, which must agree. Prints one table and writes each run's results to a new file,
bench/out/results-<UTC date>T<time>Z-<sizes>.json (never over an earlier run's).

    python bench/run.py                      # 1k, 10k, 100k
    python bench/run.py --sizes 200 --runs 1 # a smoke run
    python bench/run.py --million            # and 1,000,000
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import platform
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402

PYTHON = sys.executable
TRACKER = str(Path(PYTHON).with_name("tracker"))
OWNER = "Front Door"

# Targets of issue 5: (kind, {size: limit}). kind "s" is seconds, "mib" peak memory,
# "tw" and "floor" ratios to Taskwarrior and to the floor.
TARGETS: dict[str, tuple[str, dict[int, float]]] = {
    "tui_start": ("s", {1_000: 0.6, 10_000: 0.8, 100_000: 1.5}),
    "tui_overdue": ("s", {1_000: 0.05, 10_000: 0.2, 100_000: 0.3}),
    "overdue_csv": ("tw", {10_000: 1.0, 100_000: 0.5}),
    "export": ("floor", {100_000: 2.0}),
    "import": ("floor", {100_000: 1.5}),
    "tui_memory": ("mib", {100_000: 300.0}),
}


@dataclass
class Sample:
    """One side of one measure: seconds and peak memory (MiB) of each run."""

    seconds: list[float] = field(default_factory=list)
    peak_mib: list[float] = field(default_factory=list)

    @property
    def median(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds else None

    @property
    def peak(self) -> float | None:
        return max(self.peak_mib) if self.peak_mib else None

    def as_json(self) -> dict[str, Any]:
        return {
            "median_s": self.median,
            "runs_s": [round(s, 4) for s in self.seconds],
            "peak_mib": self.peak,
        }


@dataclass
class Ran:
    """One finished process: when it started (monotonic), wall seconds, peak RSS, output."""

    started: float
    seconds: float
    peak_mib: float
    output: bytes


def run_process(
    argv: Sequence[str],
    *,
    env: dict[str, str],
    capture: bool = False,
    before: Callable[[], None] | None = None,
) -> Ran:
    """Run one process to its end; wait4 gives its peak memory (resident set).

    Linux counts a child's peak from the memory of this process when the child was
    started, so this process keeps itself small (no tracker imports, no large outputs).
    """
    if before is not None:
        before()
    with tempfile.TemporaryFile() as errors:
        started = time.monotonic()
        proc = subprocess.Popen(
            argv,
            env=env,
            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
            stderr=errors,
        )
        output = proc.stdout.read() if proc.stdout is not None else b""
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.monotonic() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.stdout is not None:
            proc.stdout.close()
        if proc.returncode != 0:
            errors.seek(0)
            message = errors.read().decode(errors="replace")
            raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}): {message}")
    return Ran(started, elapsed, usage.ru_maxrss / 1024, output)


class Bench:
    """The data, environment and results of one benchmark run."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.today = generate.pinned_today(args.today)
        self.data = Path(args.data)
        self.out = Path(args.out)
        self.work = self.out / "work"
        self.work.mkdir(parents=True, exist_ok=True)
        self.env = dict(os.environ)
        self.env.update(
            TRACKER_TODAY=self.today.isoformat(),
            TRACKER_USER="bench",
            TRACKER_LOG_DIR=str(self.work / "log"),
            XDG_DATA_HOME=str(self.work / "xdg"),
        )
        self.env.pop("TRACKER_DB", None)
        self.task = None if args.no_taskwarrior else shutil.which("task")
        self.results: list[dict[str, Any]] = []
        self.failures: list[dict[str, Any]] = []

    # --- data -----------------------------------------------------------------------------

    def prepare(self, sizes: list[int]) -> None:
        subprocess.run(
            [PYTHON, str(HERE / "generate.py"), "--data", str(self.data), "--today"]
            + [self.today.isoformat(), "--sizes", *map(str, sizes)]
            + (["--quiet"] if self.args.quiet else []),
            env=self.env,
            check=True,
        )
        self.schema = self.work / "schema.sql"
        empty = self.work / "empty.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{empty}{suffix}").unlink(missing_ok=True)
        # Made in a child process: this one stays small, since a child's peak memory as
        # wait4 reports it is never below its parent's at the time it was started.
        code = (
            "import sqlite3, sys; from tracker.storage.store import Store; "
            "Store.open(sys.argv[1]).close(); "
            "rows = sqlite3.connect(sys.argv[1]).execute("
            "'SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid'); "
            "print(';\\n'.join(sql for (sql,) in rows) + ';')"
        )
        made = subprocess.run(
            [PYTHON, "-c", code, str(empty)],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        self.schema.write_text(made.stdout, encoding="utf-8")

    def taskwarrior(self, n: int) -> dict[str, str] | None:
        """A private Taskwarrior (TASKRC, data folder) holding the size's tasks."""
        if self.task is None:
            return None
        folder = self.data / f"taskwarrior-{n}"
        rc = folder / "taskrc"
        done = folder / "imported"
        tasks = self.data / f"tasks-{n}.json"
        # Which tasks file was imported: made again (a new real date), it is imported again.
        made = tasks.stat()
        identity = f"{tasks.name} {made.st_size} {made.st_mtime_ns}"
        env = dict(self.env, TASKRC=str(rc), TASKDATA=str(folder / "data"))
        if not done.exists() or done.read_text(encoding="utf-8") != identity:
            shutil.rmtree(folder, ignore_errors=True)
            (folder / "data").mkdir(parents=True)
            rc.write_text(
                f"data.location={folder / 'data'}\nconfirmation=off\nverbose=nothing\n"
                "hooks=off\nnews.version=2.6.2\n",
                encoding="utf-8",
            )
            # Output to /dev/null, not captured: holding it would grow this process, and
            # every child's reported peak memory starts from this process's own.
            quiet: dict[str, Any] = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
            subprocess.run(
                [self.task, "import", str(tasks)],
                env=env,
                check=True,
                **quiet,
            )
            # The first command after an import tidies the data files; not part of a query.
            subprocess.run([self.task, "count"], env=env, check=True, **quiet)
            done.write_text(identity, encoding="utf-8")
        return env

    def overdue_rows(self, n: int, tw_env: dict[str, str] | None) -> dict[str, int]:
        """How many overdue rows each side returns (not timed): they must be the same."""
        store = str(self.data / f"store-{n}.db")
        today = self.today.isoformat()
        counts = {
            "tracker": _csv_rows([TRACKER, "--db", store, "overdue", "--format", "csv"], self.env),
            "floor": _csv_rows(
                [PYTHON, str(HERE / "floors.py"), "export", store, today, "--overdue"], self.env
            ),
        }
        if tw_env is not None and self.task is not None:
            made = subprocess.run(
                [self.task, "+OVERDUE", "count"],
                env=tw_env,
                capture_output=True,
                text=True,
                check=True,
            )
            counts["taskwarrior"] = int(made.stdout.strip())
        return counts

    # --- measures -------------------------------------------------------------------------

    def measure_size(self, n: int) -> None:
        runs = self.args.runs
        store = str(self.data / f"store-{n}.db")
        plan_file = str(self.data / f"plan-{n}.toml")
        today = self.today.isoformat()
        imported = self.work / f"import-{n}.db"
        floored = self.work / f"floor-{n}.db"

        def fresh(path: Path) -> Callable[[], None]:
            def remove() -> None:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)

            return remove

        tw_env = self.taskwarrior(n)
        pairs: dict[str, dict[str, Sample]] = {}

        def add(name: str, side: str, argv: list[str], env: dict[str, str], **kw: Any) -> None:
            ran = run_process(argv, env=env, **kw)
            sample = pairs.setdefault(name, {}).setdefault(side, Sample())
            sample.seconds.append(ran.seconds)
            sample.peak_mib.append(ran.peak_mib)

        tui_store = self.work / f"tui-{n}.db"
        tui = None if self.args.no_tui else _tui_available()
        for round_ in range(runs):
            if not self.args.quiet:
                print(f"  {n:,} actions: round {round_ + 1} of {runs}", file=sys.stderr)
            if n <= generate.MAX_PLAN_FILE_ACTIONS:
                add(
                    "import",
                    "tracker",
                    [TRACKER, "--db", str(imported), "import", plan_file],
                    self.env,
                    before=fresh(imported),
                )
                add(
                    "import",
                    "floor",
                    [
                        PYTHON,
                        str(HERE / "floors.py"),
                        "import",
                        plan_file,
                        str(floored),
                        str(self.schema),
                    ],
                    self.env,
                    before=fresh(floored),
                )
            add(
                "overdue_csv",
                "tracker",
                [TRACKER, "--db", store, "overdue", "--format", "csv"],
                self.env,
            )
            add(
                "overdue_csv",
                "floor",
                [PYTHON, str(HERE / "floors.py"), "export", store, today, "--overdue"],
                self.env,
            )
            if tw_env is not None and self.task is not None:
                add("overdue_csv", "taskwarrior", [self.task, "+OVERDUE", "export"], tw_env)
            add(
                "list_owner",
                "tracker",
                [TRACKER, "--db", store, "list", "--owner", OWNER],
                self.env,
            )
            add("export", "tracker", [TRACKER, "--db", store, "export"], self.env)
            add(
                "export",
                "floor",
                [PYTHON, str(HERE / "floors.py"), "export", store, today],
                self.env,
            )
            if tui is not None:
                if round_ == 0:
                    shutil.copyfile(store, tui_store)
                    for suffix in ("-wal", "-shm"):
                        Path(f"{tui_store}{suffix}").unlink(missing_ok=True)
                self._tui_round(n, str(tui_store), pairs)
        if n > generate.MAX_PLAN_FILE_ACTIONS:
            note = "not measured: the plan file would pass the 200 MB limit"
            self.results.append({"size": n, "measure": "import", "note": note})
        rows = self.overdue_rows(n, tw_env)
        for name, sides in pairs.items():
            result = self._result(n, name, sides)
            if name == "overdue_csv":
                result["rows"] = rows
            self.results.append(result)
        for path in (imported, floored, tui_store):
            fresh(path)()
        if tui is None:
            reason = "not measured: --no-tui" if self.args.no_tui else "not measured: no TUI"
            self.results.append({"size": n, "measure": "tui_start", "note": reason})

    def _tui_round(self, n: int, store: str, pairs: dict[str, dict[str, Sample]]) -> None:
        try:
            ran = run_process(
                [PYTHON, str(HERE / "tui_driver.py"), store, self.today.isoformat()],
                env=self.env,
                capture=True,
            )
        except RuntimeError as exc:
            # One failed drive is reported, not fatal to the other measures.
            print(f"  {n:,} actions: the TUI run failed: {exc}", file=sys.stderr)
            self.failures.append({"size": n, "measure": "tui", "error": str(exc)[-2000:]})
            return
        report = json.loads(ran.output)
        for name, seconds in (
            ("tui_start", report["rows_at"] - ran.started),
            ("tui_overdue", report.get("overdue_s")),
            ("tui_edit", report.get("edit_s")),
        ):
            if seconds is None:
                continue
            sample = pairs.setdefault(name, {}).setdefault("tracker", Sample())
            sample.seconds.append(seconds)
            sample.peak_mib.append(ran.peak_mib)

    def _result(self, n: int, name: str, sides: dict[str, Sample]) -> dict[str, Any]:
        mine = sides["tracker"]
        result: dict[str, Any] = {"size": n, "measure": name}
        result.update({side: sample.as_json() for side, sample in sides.items()})
        for side in ("floor", "taskwarrior"):
            other = sides.get(side)
            if other is not None and other.median and mine.median is not None:
                result[f"ratio_{side}"] = mine.median / other.median
        kind, limits = TARGETS.get(name, ("", {}))
        if n in limits:
            limit = limits[n]
            value = {
                "s": mine.median,
                "tw": result.get("ratio_taskwarrior"),
                "floor": result.get("ratio_floor"),
            }.get(kind)
            result["target"] = {"kind": kind, "limit": limit}
            result["met"] = None if value is None else value <= limit
        if name == "tui_start" and n in TARGETS["tui_memory"][1]:
            limit = TARGETS["tui_memory"][1][n]
            result["memory_target_mib"] = limit
            result["memory_met"] = mine.peak is not None and mine.peak < limit
        return result

    # --- report ---------------------------------------------------------------------------

    def table(self) -> str:
        header = (
            "size",
            "measure",
            "tracker s",
            "peak MiB",
            "floor s",
            "x floor",
            "task s",
            "x task",
            "target",
            "met",
        )
        lines = [header]
        notes = []
        for r in self.results:
            if "note" in r:
                notes.append(f"{r['size']:,} {r['measure']}: {r['note']}")
                continue
            rows = r.get("rows")
            if rows:
                counted = ", ".join(f"{side} {count:,}" for side, count in rows.items())
                agree = "" if len(set(rows.values())) == 1 else " (DIFFERENT)"
                notes.append(f"{r['size']:,} overdue rows: {counted}{agree}")
            target = r.get("target")
            met = r.get("met")
            target_text = ""
            if target is not None:
                unit = {"s": " s", "tw": "x task", "floor": "x floor"}[target["kind"]]
                sign = "<" if target["kind"] == "s" else "<="
                target_text = f"{sign} {target['limit']:g}{unit}"
            if "memory_target_mib" in r:
                target_text += f"{'; ' if target_text else ''}< {r['memory_target_mib']:g} MiB"
                met = bool(met) and r["memory_met"] if met is not None else r["memory_met"]
            lines.append(
                (
                    f"{r['size']:,}",
                    r["measure"],
                    _fmt(r["tracker"]["median_s"]),
                    _fmt(r["tracker"]["peak_mib"], 0),
                    _fmt(r.get("floor", {}).get("median_s")),
                    _fmt(r.get("ratio_floor"), 2),
                    _fmt(r.get("taskwarrior", {}).get("median_s")),
                    _fmt(r.get("ratio_taskwarrior"), 2),
                    target_text,
                    "" if met is None and not target_text else ("yes" if met else "NO"),
                )
            )
        widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
        text = []
        for i, line in enumerate(lines):
            text.append("  ".join(str(c).rjust(widths[j]) for j, c in enumerate(line)).rstrip())
            if i == 0:
                text.append("  ".join("-" * w for w in widths))
        notes += [f"{f['size']:,} {f['measure']}: failed (see the JSON)" for f in self.failures]
        return "\n".join(text + notes)

    def write_json(self, sizes: Sequence[int]) -> Path:
        stamp = datetime.now(UTC)
        load = os.getloadavg()
        document = {
            "when": stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "today": self.today.isoformat(),
            "runs": self.args.runs,
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
                "load_average": [round(x, 2) for x in load],
                # No child's peak memory can be reported below this (see run_process).
                "bench_process_peak_mib": round(
                    resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
                ),
                "sqlite": sqlite3.sqlite_version,
                "taskwarrior": _version([self.task, "--version"]) if self.task else None,
            },
            "results": self.results,
            "failures": self.failures,
        }
        return write_new(self.out, results_name(stamp, sizes), json.dumps(document, indent=1))


def results_name(stamp: datetime, sizes: Sequence[int]) -> str:
    """`results-2026-11-25T231500Z-1k-10k.json`: when the run ended (UTC) and its sizes."""

    def size(n: int) -> str:
        if n % 1_000_000 == 0:
            return f"{n // 1_000_000}m"
        return f"{n // 1_000}k" if n % 1_000 == 0 else str(n)

    return f"results-{stamp:%Y-%m-%dT%H%M%SZ}-{'-'.join(size(n) for n in sizes)}.json"


def write_new(folder: Path, name: str, text: str) -> Path:
    """Write to a file that does not exist yet: never over an earlier run's results."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = name.removesuffix(".json")
    for attempt in range(1, 1000):
        path = folder / (name if attempt == 1 else f"{stem}-{attempt}.json")
        try:
            with open(path, "x", encoding="utf-8") as out:
                out.write(text + "\n")
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"{folder / name} and its numbered copies exist already")


def _csv_rows(argv: list[str], env: dict[str, str]) -> int:
    """The CSV rows (less the header) a command writes, counted from a file as it streams."""
    with tempfile.TemporaryFile("w+", encoding="utf-8-sig", newline="") as out:
        subprocess.run(argv, env=env, stdout=out, check=True)
        out.seek(0)
        return max(sum(1 for _ in csv.reader(out)) - 1, 0)


def _fmt(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}"


def _version(argv: list[str]) -> str | None:
    try:
        return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def _tui_available() -> bool | None:
    """Whether tracker has its terminal UI, found without importing it."""
    spec = importlib.util.find_spec("tracker")
    if spec is None or spec.origin is None:
        return None
    return True if (Path(spec.origin).parent / "tui" / "app.py").exists() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Each run writes its results to a new file, "
        "OUT/results-<UTC date>T<time>Z-<sizes>.json; earlier runs' files are kept.",
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=list(generate.SIZES))
    parser.add_argument("--million", action="store_true", help="also 1,000,000 actions")
    parser.add_argument("--runs", type=int, default=5, help="runs of each measure (median)")
    parser.add_argument(
        "--today",
        help="the pinned today, day first as tracker reads dates "
        f"(default TRACKER_TODAY, else {generate.DEFAULT_TODAY})",
    )
    parser.add_argument("--data", default=str(HERE / "data"), help="where the data is made")
    parser.add_argument(
        "--out",
        default=str(HERE / "out"),
        help="where results go: a new results-*.json each run (default bench/out)",
    )
    parser.add_argument("--no-taskwarrior", action="store_true")
    parser.add_argument("--no-tui", action="store_true")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    sizes = list(args.sizes) + ([generate.MILLION] if args.million else [])
    try:
        bench = Bench(args)
    except generate.TodayError as exc:
        parser.exit(2, f"{parser.prog}: {exc}\n")
    bench.prepare(sizes)
    for n in sizes:
        bench.measure_size(n)
    print(bench.table())
    path = bench.write_json(sizes)
    print(f"\nmedians of {args.runs} run(s); results in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
