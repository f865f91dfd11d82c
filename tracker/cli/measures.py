"""Commands on measures of impact: the `measures` scorecard, `reading add|import|list`,
`add-measure` and `edit-measure` (retiring a measure is a status: nothing is deleted).
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from tracker.cli.args import CommandAdder, text_arg
from tracker.cli.context import (
    Command,
    Context,
    option_date,
    output,
    reads_store,
    table,
    writes_store,
)
from tracker.domain.dates import format_utc
from tracker.domain.errors import NotFoundError, UsageError
from tracker.domain.measures import (
    DIRECTIONS,
    FREQUENCIES,
    MEASURE_FIELDS,
    MEASURE_STATUSES,
    SCORECARD_KEYS,
    MeasureRow,
    ReadingInput,
    format_number,
    shown_value,
    travel_text,
)
from tracker.domain.text import json_text, one_line

if TYPE_CHECKING:
    from tracker.storage.measures import MeasureStore


def _number_arg(name: str) -> object:
    def parse(text: str) -> float:
        try:
            value = float(text.strip().replace(",", "").removesuffix("%"))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, not {text!r}") from None
        if value != value or abs(value) >= 1e15:
            raise argparse.ArgumentTypeError(f"{name} {text!r} is not a usable number")
        return value

    return parse


def _word_arg(name: str, words: tuple[str, ...]) -> object:
    def parse(text: str) -> str:
        value = text.strip().lower()
        if value not in words:
            raise argparse.ArgumentTypeError(f"{name} {text!r}: use one of {', '.join(words)}")
        return value

    return parse


def _measures(ctx: Context, *, write: bool = False) -> MeasureStore:
    from tracker.storage.measures import MeasureStore

    return MeasureStore(ctx.open_store(create=False))


@reads_store
def cmd_measures(ctx: Context) -> int:
    args = ctx.args
    from tracker.storage.fastread import FastReader

    day = _as_of(ctx)
    # A SQLite file is read with the standard library, as `list` is: no ORM to import.
    reader = None if day is not None else FastReader.open(ctx.args.db)
    if reader is not None:
        from tracker.storage.fastmeasures import fast_scorecard

        try:
            if args.plan is not None and args.plan not in reader.plan_keys():
                raise NotFoundError(
                    f"no plan {args.plan!r} in the store (tracker plans lists them)"
                )
            rows = fast_scorecard(reader, plan=args.plan, include_retired=args.all, recent=0)
        finally:
            reader.close()
    else:
        ms = _measures(ctx)
        try:
            if args.plan is not None and args.plan not in ms.store.plan_keys():
                raise NotFoundError(
                    f"no plan {args.plan!r} in the store (tracker plans lists them)"
                )
            if day is not None:
                from tracker.storage.measure_timeline import scorecard_as_of

                rows = scorecard_as_of(
                    ms.store, day=day, plan=args.plan, include_retired=args.all, recent=0
                )
            else:
                rows = ms.scorecard(plan=args.plan, include_retired=args.all, recent=0)
        finally:
            ms.store.close()
    records = [r.record() for r in rows]
    if args.format == "json":
        ctx.out.write(json_text(records, indent=1) + "\n")
        return 0
    if args.format == "csv":
        import csv

        from tracker.formats.snapshot import neutralise

        with output(None, ctx.out) as out:
            out.write("\ufeff")
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(SCORECARD_KEYS)
            for rec in records:
                writer.writerow(
                    neutralise(v) if isinstance(v, str) else ("" if v is None else format_number(v))
                    for v in rec.values()
                )
        return 0
    if not rows:
        ctx.out.write("no measures yet: add one with 'tracker add-measure KEY:REC'\n")
        return 0
    headers = (
        "MEASURE",
        "RAG",
        "LATEST",
        "PERIOD",
        "TARGET",
        "VS PREVIOUS",
        "VS LAST YEAR",
        "NAME",
    )
    table(headers, (_table_row(r) for r in rows), ctx.out)
    counts = {
        w: sum(1 for r in rows if r.score.rag and r.score.rag.value == w)
        for w in ("RED", "AMBER", "GREEN")
    }
    unread = sum(1 for r in rows if r.score.rag is None)
    ctx.out.write(
        f"{len(rows)} measures{f' as at {day}' if day else ''}: {counts['RED']} RED, "
        f"{counts['AMBER']} AMBER, "
        f"{counts['GREEN']} GREEN, {unread} with no reading yet\n"
    )
    return 0


def _as_of(ctx: Context) -> date | None:
    """`--as-of DATE`: the day the scorecard is read as at, never after today."""
    if not ctx.args.as_of:
        return None
    day = option_date("--as-of", ctx.args.as_of, ctx.settings.today)
    if day > ctx.settings.today:
        raise UsageError(f"--as-of {day} is after today ({ctx.settings.today})")
    return day


def _table_row(r: MeasureRow) -> tuple[str, ...]:
    s = r.score
    target = ("≥ " if r.direction == "up" else "≤ ") + shown_value(r.target, r.unit)
    name = one_line(r.name) + (" (retired)" if r.status == "retired" else "")
    return (
        r.address,
        s.rag.value if s.rag else "",
        shown_value(s.value, r.unit),
        s.period or "",
        target,
        travel_text(s.vs_previous),
        travel_text(s.vs_last_year),
        name,
    )


@writes_store(when=lambda args: args.reading_command != "list")
def cmd_reading(ctx: Context) -> int:
    action = ctx.args.reading_command
    if action == "add":
        return _reading_add(ctx)
    if action == "import":
        return _reading_import(ctx)
    return _reading_list(ctx)


def _reading_add(ctx: Context) -> int:
    args = ctx.args
    value = args.value
    if (args.count is None) != (args.of is None):
        raise UsageError("--count and --of go together: --count 102 --of 120")
    if value is None:
        if args.count is None:
            raise UsageError("--value is required (or --count and --of for a percentage)")
        from tracker.domain.measures import percentage

        if args.of <= 0:
            raise UsageError("--of must be more than 0")
        value = percentage(args.count, args.of)
    reading = ReadingInput(
        address=args.measure,
        period=args.period,
        value=value,
        note=args.note,
        count=args.count,
        of=args.of,
    )
    ms = _measures(ctx, write=True)
    try:
        result = ms.add_readings([reading], user=ctx.user, today=ctx.settings.today)
        row = ms.measure(args.measure)
    finally:
        ms.store.close()
    if result.unchanged:
        ctx.out.write(f"{row.address} {reading.period.strip()}: no change\n")
        return 0
    verb = "corrected" if result.corrected else "recorded"
    s = row.score
    given = shown_value(value, row.unit, args.count, args.of)
    rating = s.rag.value if s.rag else "no RAG"
    ctx.out.write(
        f"{row.address} {reading.period.strip()}: {verb} {given}; latest {s.period} "
        f"{shown_value(s.value, row.unit)}, {rating} against target "
        f"{shown_value(row.target, row.unit)}\n"
    )
    return 0


def _reading_import(ctx: Context) -> int:
    from tracker.formats.readings_csv import read_readings_file

    name = ctx.args.file
    readings = read_readings_file(Path(name), display=name)
    ms = _measures(ctx, write=True)
    try:
        result = ms.add_readings(
            readings, user=ctx.user, today=ctx.settings.today, command="reading import"
        )
    finally:
        ms.store.close()
    ctx.out.write(
        f"{name}: {result.added} readings added, {result.corrected} corrected, "
        f"{result.unchanged} unchanged\n"
    )
    return 0


def _reading_list(ctx: Context) -> int:
    ms = _measures(ctx)
    try:
        row = ms.measure(ctx.args.measure)
        readings = ms.readings(row.id)
        history = ms.history(row.id)
    finally:
        ms.store.close()
    if ctx.args.format == "json":
        obj = {
            **row.record(),
            "status": row.status,
            "tolerance": row.tolerance,
            "baseline": row.baseline,
            "baseline_period": row.baseline_period,
            "frequency": row.frequency,
            "readings": [
                {"period": r.period, "value": r.value, "count": r.count, "of": r.of, "note": r.note}
                for r in readings
            ],
            "history": [
                {
                    "at": format_utc(h.at),
                    "by": h.by,
                    "field": h.field,
                    "old": h.old,
                    "new": h.new,
                    "note": h.note,
                }
                for h in history
            ],
        }
        ctx.out.write(json_text(obj, indent=1) + "\n")
        return 0
    s = row.score
    out = ctx.out
    out.write(f"{row.address}  {one_line(row.name)}\n")
    out.write(
        f"target {'at least' if row.direction == 'up' else 'at most'} "
        f"{shown_value(row.target, row.unit)}"
        f" (tolerance {format_number(row.tolerance)}% of the target), {row.frequency}"
        + (f", baseline {shown_value(row.baseline, row.unit)}" if row.baseline is not None else "")
        + (f" ({row.baseline_period})" if row.baseline_period else "")
        + (", RETIRED" if row.status == "retired" else "")
        + "\n"
    )
    if s.rag is not None:
        out.write(
            f"latest {s.period}: {shown_value(s.value, row.unit)}  {s.rag.value}  "
            f"vs previous: {s.vs_previous or '-'}  vs last year: {s.vs_last_year or '-'}\n"
        )
    out.write("\n")
    table(
        ("PERIOD", "VALUE", "NOTE"),
        (
            (r.period, shown_value(r.value, row.unit, r.count, r.of), one_line(r.note))
            for r in readings
        ),
        out,
    )
    corrections = [h for h in history if h.field.startswith("reading") and h.old is not None]
    if corrections:
        out.write("\nCorrections:\n")
        for h in corrections:
            out.write(
                f"  {format_utc(h.at)}  {one_line(h.by)}  {h.field}: {one_line(h.old)} -> "
                f"{one_line(h.new) or '(none)'}"
                + (f"  ({one_line(h.note)})" if h.note else "")
                + "\n"
            )
    return 0


@writes_store
def cmd_add_measure(ctx: Context) -> int:
    from tracker.domain.plan import MeasureData

    args = ctx.args
    data = MeasureData(
        ref=(args.ref or "").strip(),
        name=args.name,
        direction=args.direction,
        target=args.target,
        unit=args.unit,
        baseline=args.baseline,
        baseline_period=args.baseline_period,
        tolerance=10.0 if args.tolerance is None else args.tolerance,
        frequency=args.frequency,
    )
    if args.ref is not None:
        ref = data.ref
        if not ref or ":" in ref or not ref.isprintable() or len(ref) > 100:
            raise UsageError(f"--ref {args.ref!r} must be a short ref without ':' (such as M1.2)")
    ms = _measures(ctx, write=True)
    try:
        address = ms.add_measure(
            args.recommendation, data, user=ctx.user, note=args.note, auto_ref=args.ref is None
        )
    finally:
        ms.store.close()
    ctx.out.write(address + "\n")
    return 0


@writes_store
def cmd_edit_measure(ctx: Context) -> int:
    from tracker.storage.measures import MeasureChanges

    args = ctx.args
    clear = tuple(args.clear or ())
    changes = MeasureChanges(
        name=args.name,
        unit=args.unit,
        direction=args.direction,
        target=args.target,
        baseline=args.baseline,
        baseline_period=args.baseline_period,
        tolerance=args.tolerance,
        frequency=args.frequency,
        status=args.status,
        clear=clear,
    )
    if all(getattr(changes, n) is None for n in MEASURE_FIELDS) and not clear:
        raise UsageError("say what to change: --name, --target, --status retired, ... (see --help)")
    ms = _measures(ctx, write=True)
    try:
        entries = ms.edit_measure(args.measure, changes, user=ctx.user, note=args.note)
    finally:
        ms.store.close()
    if not entries:
        ctx.out.write("no change\n")
    for e in entries:
        ctx.out.write(
            f"{args.measure.strip()}: {e.field}: {e.old or '(empty)'} -> {e.new or '(empty)'}\n"
        )
    return 0


def _measure_options(p: argparse.ArgumentParser, *, new: bool) -> None:
    p.add_argument("--name", type=text_arg("--name"), required=new, help="what is measured")
    p.add_argument(
        "--direction",
        type=_word_arg("--direction", DIRECTIONS),  # type: ignore[arg-type]
        required=new,
        help="up: higher is better; down: lower is better",
    )
    p.add_argument("--target", type=_number_arg("--target"), required=new, metavar="N")  # type: ignore[arg-type]
    p.add_argument("--unit", type=text_arg("--unit"), metavar="TEXT", help="%%, days, count, ...")
    p.add_argument("--baseline", type=_number_arg("--baseline"), metavar="N")  # type: ignore[arg-type]
    p.add_argument("--baseline-period", metavar="PERIOD", help="2023-10 or 2023-Q3")
    p.add_argument(
        "--tolerance",
        type=_number_arg("--tolerance"),  # type: ignore[arg-type]
        metavar="PCT",
        help="percent of the target a reading may miss by and still be GREEN (default 10)",
    )
    p.add_argument(
        "--frequency",
        type=_word_arg("--frequency", FREQUENCIES),  # type: ignore[arg-type]
        default="monthly" if new else None,
        help="monthly (default) or quarterly",
    )
    p.add_argument("--note", type=text_arg("--note"), metavar="TEXT", help="why (kept in history)")


def add_commands(command: CommandAdder) -> dict[str, Command]:
    """Add this group's subcommands; return what runs each."""
    p = command("measures", "the scorecard: each measure's latest reading, RAG and direction")
    p.add_argument("--plan", metavar="KEY", help="only this plan")
    p.add_argument("--all", action="store_true", help="include retired measures")
    p.add_argument("--as-of", metavar="DATE", help="the scorecard as it stood at the end of DATE")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")

    p = command("reading", "readings of measures: add one, import a CSV, list one measure's")
    sub = p.add_subparsers(dest="reading_command", metavar="add|import|list", required=True)
    q = sub.add_parser("add", help="record (or correct) one period's value")
    q.add_argument("measure", metavar="KEY:MREF")
    q.add_argument("--period", required=True, metavar="PERIOD", help="2026-10, or 2026-Q3")
    q.add_argument("--value", type=_number_arg("--value"), metavar="N")  # type: ignore[arg-type]
    q.add_argument(
        "--count",
        type=_number_arg("--count"),  # type: ignore[arg-type]
        metavar="N",
        help="for a percentage: how many met it (with --of)",
    )
    q.add_argument(
        "--of",
        type=_number_arg("--of"),  # type: ignore[arg-type]
        metavar="N",
        help="for a percentage: out of how many (--count 102 --of 120 is 85%%)",
    )
    q.add_argument("--note", type=text_arg("--note"), metavar="TEXT", help="commentary")
    q = sub.add_parser("import", help="a CSV of readings: measure, period, value, note")
    q.add_argument("file", metavar="FILE.csv")
    q = sub.add_parser("list", help="one measure's readings and their corrections")
    q.add_argument("measure", metavar="KEY:MREF")
    q.add_argument("--format", choices=("text", "json"), default="text")
    for q in (sub.choices["add"], sub.choices["import"], sub.choices["list"]):
        from tracker.cli.args import add_globals

        add_globals(q, top=False)

    p = command("add-measure", "add a measure of impact to a recommendation")
    p.add_argument("recommendation", metavar="KEY:REC")
    p.add_argument("--ref", metavar="REF", help="the measure's ref (default: the next M<n>.<k>)")
    _measure_options(p, new=True)

    p = command(
        "edit-measure", "change a measure; --status retired retires it (kept, with history)"
    )
    p.add_argument("measure", metavar="KEY:MREF")
    _measure_options(p, new=False)
    p.add_argument(
        "--status",
        type=_word_arg("--status", MEASURE_STATUSES),  # type: ignore[arg-type]
        help="active or retired",
    )
    p.add_argument(
        "--clear",
        action="append",
        choices=("unit", "baseline", "baseline_period"),
        help="empty an optional field (repeatable)",
    )
    return {
        "measures": cmd_measures,
        "reading": cmd_reading,
        "add-measure": cmd_add_measure,
        "edit-measure": cmd_edit_measure,
    }
