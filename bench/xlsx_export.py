"""Excel export at scale: `tracker export --output FILE.xlsx` against its floor.

For each size (default 100,000 actions, the store bench/generate.py makes) it runs, in
turn and `--runs` times each:

- tracker:    `tracker export --output OUT.xlsx` (every sheet, widths fitted);
- floor:      bench/xlsx_floor.py with XlsxWriter in constant-memory mode, the same cells;
- openpyxl:   bench/xlsx_floor.py with openpyxl's write-only mode (the library choice).

and prints each one's median seconds and peak memory (resident set, from wait4), the
ratio of tracker to the floor, and whether the targets hold: within 1.3x of the floor and
under 200 MiB. Runs alternate so a busy machine slows each side alike.

With `--measures M`, the store is bench/measures.py's (N actions and M measures with 24
monthly readings each, made once under bench/data/): the export then also writes the
Measures and Readings sheets, and so does the floor (openpyxl's side still writes the
actions only, so leave it out with --no-openpyxl).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import PYTHON, TRACKER, run_process  # noqa: E402

RATIO_LIMIT = 1.3
MIB_LIMIT = 200.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--today", default="2026-11-25")
    parser.add_argument("--data", default=str(HERE / "data"))
    parser.add_argument("--out", default=str(HERE / "out" / "xlsx"))
    parser.add_argument("--no-openpyxl", action="store_true", help="skip the openpyxl side")
    parser.add_argument(
        "--measures", type=int, default=0, metavar="M", help="a store with M measures too"
    )
    args = parser.parse_args(argv)
    data, out = Path(args.data), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": "/usr/bin:/bin",
        "TRACKER_TODAY": args.today,
        "TRACKER_USER": "bench",
        "TRACKER_LOG_DIR": str(out / "log"),
        "HOME": str(out),
    }
    failed = False
    for n in args.sizes:
        store = data / (
            f"store-{n}-measures-{args.measures}.db" if args.measures else f"store-{n}.db"
        )
        if args.measures and not store.exists():
            make = (
                "import sys; from datetime import date; sys.path.insert(0, sys.argv[1]);"
                "import generate, measures; generate.write_store(int(sys.argv[2]),"
                " date.fromisoformat(sys.argv[3]), sys.argv[4]);"
                " measures.add_measures(sys.argv[4], int(sys.argv[5]))"
            )
            subprocess.run(
                [PYTHON, "-c", make, str(HERE), str(n), args.today, str(store), str(args.measures)],
                check=True,
            )
        elif not store.exists():
            subprocess.run(
                [
                    PYTHON,
                    str(HERE / "generate.py"),
                    "--data",
                    str(data),
                    "--today",
                    args.today,
                    "--sizes",
                    str(n),
                    "--quiet",
                ],
                check=True,
            )
        sides = {
            "tracker": [TRACKER, "--db", str(store), "export", "-o", str(out / f"t-{n}.xlsx")],
            "floor": [
                PYTHON,
                str(HERE / "xlsx_floor.py"),
                str(store),
                str(out / f"f-{n}.xlsx"),
                args.today,
                "--lib",
                "xlsxwriter",
            ],
        }
        if not args.no_openpyxl:
            sides["openpyxl"] = [
                PYTHON,
                str(HERE / "xlsx_floor.py"),
                str(store),
                str(out / f"o-{n}.xlsx"),
                args.today,
                "--lib",
                "openpyxl",
            ]
        seconds: dict[str, list[float]] = {k: [] for k in sides}
        peaks: dict[str, list[float]] = {k: [] for k in sides}
        for _ in range(args.runs):
            for name, argv_ in sides.items():
                ran = run_process(argv_, env=env)
                seconds[name].append(ran.seconds)
                peaks[name].append(ran.peak_mib)
        what = f"{n:,} actions" + (f", {args.measures:,} measures" if args.measures else "")
        print(f"\n{what}, {args.runs} runs each (median seconds, peak MiB):")
        for name in sides:
            med = statistics.median(seconds[name])
            runs = ", ".join(f"{s:.1f}" for s in seconds[name])
            print(f"  {name:<9} {med:7.2f} s  {max(peaks[name]):7.1f} MiB   runs: {runs}")
        ratio = statistics.median(seconds["tracker"]) / statistics.median(seconds["floor"])
        peak = max(peaks["tracker"])
        ok_ratio, ok_peak = ratio <= RATIO_LIMIT, peak <= MIB_LIMIT
        print(
            f"  tracker / floor = {ratio:.2f} (limit {RATIO_LIMIT}) "
            f"{'ok' if ok_ratio else 'MISSED'}; peak {peak:.1f} MiB (limit {MIB_LIMIT:.0f}) "
            f"{'ok' if ok_peak else 'MISSED'}"
        )
        if "openpyxl" in sides:
            other = statistics.median(seconds["openpyxl"]) / statistics.median(seconds["floor"])
            print(f"  openpyxl write-only / XlsxWriter constant-memory = {other:.2f}")
        failed = failed or not (ok_ratio and ok_peak)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
