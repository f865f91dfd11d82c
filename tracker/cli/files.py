"""Commands that move plans and snapshots in and out: `import`, `import-sheet`, `export`,
`export-plan`, `calendar` and `backup`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tracker.cli.args import CommandAdder, add_filters, add_snapshot_options
from tracker.cli.context import (
    Command,
    Context,
    check_plan,
    filters_from_args,
    option_date,
    output,
    reads_store,
    snapshot_source,
    writes_store,
)
from tracker.cli.workbooks import binary, check_workbook_target, export_format, sheet_reader
from tracker.domain.errors import TrackerError, UsageError, no_plan
from tracker.domain.records import Filters
from tracker.domain.rules import (
    OPEN_STATUSES,
)
from tracker.domain.text import counted, one_line

if TYPE_CHECKING:
    from tracker.domain.measures import MeasureRow
    from tracker.domain.plan import PlanData
    from tracker.storage.fastread import Reader


@writes_store
def cmd_import(ctx: Context) -> int:
    from tracker.formats.plan_toml import check_unique_keys, load_plan_file

    loaded = []
    problems: list[str] = []
    from tracker.cli.progress import Progress
    from tracker.domain.errors import PlanFileError

    sizes = [_size(name) for name in ctx.args.files]
    with Progress("reading plan files", sum(sizes) // 1024 or 1, unit="KB") as progress:
        for name, size in zip(ctx.args.files, sizes, strict=True):
            try:
                loaded.append(
                    (name, load_plan_file(Path(name), display=name, today=ctx.settings.today))
                )
            except PlanFileError as exc:
                problems.extend(exc.problems)
            progress.advance(size // 1024)
    if problems:
        raise PlanFileError([*problems, "nothing was imported"])
    check_unique_keys(loaded)
    if ctx.args.force and not ctx.args.replace:
        raise UsageError("--force goes with --replace (it overwrites changes made since export)")
    return import_and_report(ctx, loaded, replace=ctx.args.replace, force=ctx.args.force)


def _size(name: str) -> int:
    try:
        return Path(name).stat().st_size
    except OSError:
        return 0


def import_and_report(
    ctx: Context,
    plans: Sequence[tuple[str, PlanData]],
    *,
    replace: bool,
    force: bool = False,
    detail: Callable[[PlanData], str] | None = None,
) -> int:
    """Load checked plans in one transaction and say, per file, what was added or replaced.

    `detail` may add to the line of a newly imported plan (e.g. how many recommendations).
    """
    from tracker.cli.progress import Progress

    total = sum(len(rec.actions) for _, plan in plans for rec in plan.recommendations)
    what = "replacing" if replace else "importing"
    store = ctx.open_store()
    try:
        with Progress(what, total) as progress:
            results = store.import_plans(
                plans, replace=replace, force=force, user=ctx.user, progress=progress.done
            )
    finally:
        store.close()
    by_source = dict(plans)
    for result in results:
        if result.replaced:
            ctx.out.write(
                f"{result.source}: replaced plan {result.plan_key}: {result.added} added, "
                f"{result.updated} updated, {result.cancelled} cancelled\n"
            )
            if result.set_back:
                ctx.out.write(f"  {len(result.set_back)} field(s) set back to the file's value:\n")
                for line in result.set_back:
                    ctx.out.write(f"  {one_line(line)}\n")
        else:
            extra = detail(by_source[result.source]) if detail else ""
            ctx.out.write(
                f"{result.source}: imported plan {result.plan_key}: "
                f"{counted(result.added, 'action')}{extra}\n"
            )
    return 0


@writes_store(unless="dry_run")
def cmd_import_sheet(ctx: Context) -> int:
    from tracker.formats.plan_toml import valid_key
    from tracker.formats.sheets import (
        check_plan,
        describe_mapping,
        read_sheet_file,
        settle_deadlines,
    )

    args = ctx.args
    name = args.file
    if not valid_key(args.plan):
        raise UsageError(
            f"--plan: {args.plan!r} is not a usable plan key: use letters, digits, '-', '_' or '.'"
        )
    reader = sheet_reader(name, args.sheet) or read_sheet_file
    result = reader(
        Path(name), key=args.plan, authority=args.authority, title=args.title, display=name
    )
    default = (
        option_date("--default-deadline", args.default_deadline, ctx.settings.today)
        if args.default_deadline
        else None
    )
    settle_deadlines(result, name, default)
    if args.dry_run:
        out = ctx.out
        out.write(f"{name}: dry run, nothing is imported\n")
        for line in describe_mapping(result, ctx.settings):
            out.write(line + "\n")
        problems = list(result.problems)
        if not problems:
            try:
                check_plan(result, name)
            except TrackerError as exc:
                problems = [p for p in exc.lines() if p != "nothing was imported"]
        if problems:
            out.write(
                f"{counted(len(problems), 'problem')} in the sheet; nothing would be imported:\n"
            )
            for problem in problems:
                out.write(f"  {problem}\n")
            return 1
        out.write(
            f"ready: {counted(len(result.rows), 'action')} would be imported as plan {args.plan}\n"
        )
        return 0

    plan = check_plan(result, name)
    return import_and_report(
        ctx,
        [(name, plan)],
        replace=args.replace,
        detail=lambda p: f" under {counted(len(p.recommendations), 'recommendation')}",
    )


@reads_store
def cmd_export(ctx: Context) -> int:
    from tracker.formats.snapshot import write_snapshot

    fmt = export_format(ctx.args.format, ctx.args.output)
    if fmt == "xlsx":
        check_workbook_target(ctx.args.output, ctx.out)
    store, settings = snapshot_source(ctx)
    try:
        filters = filters_from_args(ctx.args)
        check_plan(store, filters.plan)
        rows = store.iter_actions(filters=filters, settings=settings)
        from tracker.cli.progress import Progress, counting

        progress = Progress("exporting", 0)
        if progress.enabled:  # the count costs a query: only when it will be shown
            progress.total = store.view_counts(filters=filters, settings=settings).total
            rows = counting(rows, progress)
        with progress, output(ctx.args.output, ctx.out) as out:
            if fmt == "xlsx":
                from tracker.formats.xlsx import write_workbook

                count = write_workbook(
                    rows,
                    settings,
                    binary(out),
                    slippage=ctx.args.slippage,
                    measures=_scorecard(store, filters),
                )
            else:
                count = write_snapshot(rows, settings, out, slippage=ctx.args.slippage)
    finally:
        store.close()
    if ctx.args.output and ctx.args.output != "-":
        sys.stderr.write(
            f"wrote {counted(count, 'action')} to {ctx.args.output} (as at {settings.today})\n"
        )
    return 0


def _scorecard(store: Reader, filters: Filters) -> Iterator[MeasureRow]:
    """The workbook's measures: those of the plan and recommendation chosen (the other
    filters choose actions), as at the day of an as-of reader; read when first asked
    for, once the actions are written."""
    from tracker.storage.fastread import FastReader

    plan, rec = filters.plan, filters.rec
    if isinstance(store, FastReader):
        from tracker.storage.fastmeasures import fast_scorecard

        yield from fast_scorecard(store, plan=plan, rec=rec)
        return
    from tracker.storage.store import Store
    from tracker.storage.timeline import AsOfReader

    if isinstance(store, AsOfReader):
        from tracker.storage.measure_timeline import scorecard_as_of

        yield from scorecard_as_of(store.store, day=store.day, plan=plan, rec=rec)
    elif isinstance(store, Store):
        from tracker.storage.measures import MeasureStore

        yield from MeasureStore(store).scorecard(plan=plan, rec=rec)


@reads_store
def cmd_export_plan(ctx: Context) -> int:
    from tracker.formats.plan_toml import dump_plan

    store = ctx.open_store(create=False)
    try:
        plan = store.plan_data(ctx.args.key)
    finally:
        store.close()
    with output(ctx.args.output, ctx.out) as out:
        out.write(dump_plan(plan))
    return 0


@reads_store
def cmd_calendar(ctx: Context) -> int:
    from tracker.domain.dates import now_utc
    from tracker.formats.ics import write_calendar

    args, settings = ctx.args, ctx.settings
    filters = Filters(plan=args.plan, owner=args.owner, statuses=tuple(sorted(OPEN_STATUSES)))
    store = ctx.open_store(create=False)
    try:
        if args.plan and args.plan not in store.plan_keys():
            raise no_plan(args.plan)
        rows = store.iter_actions(filters=filters, settings=settings)
        name = "Improvement plan deadlines" + (f": {args.owner}" if args.owner else "")
        with output(args.output, ctx.out) as out:
            count = write_calendar(rows, settings, out, now=now_utc(), name=name)
    finally:
        store.close()
    if args.output and args.output != "-":
        sys.stderr.write(f"wrote {counted(count, 'deadline')} to {args.output}\n")
    return 0


@reads_store
def cmd_backup(ctx: Context) -> int:
    from tracker.storage.backup import backup_store

    store = ctx.open_store(create=False)
    try:
        target = backup_store(store, ctx.args.file, force=ctx.args.force)
    finally:
        store.close()
    ctx.out.write(f"backed up {store.location} to {target}\n")
    return 0


def add_commands(command: CommandAdder) -> dict[str, Command]:
    """Add this group's subcommands; return what runs each."""
    p = command("import", "load plan files (all of them or none)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--replace", action="store_true", help="update plans already in the store")
    p.add_argument(
        "--force",
        action="store_true",
        help="with --replace: overwrite actions changed in the store since the file's export",
    )

    p = command("import-sheet", "load a plan from a spreadsheet RAG tracker (.xlsx or CSV)")
    p.add_argument("file", metavar="FILE.xlsx|FILE.csv")
    p.add_argument("--sheet", metavar="NAME", help="workbook: read this sheet (default: first)")
    p.add_argument("--plan", metavar="KEY", required=True, help="the new plan's key")
    p.add_argument("--authority", metavar="NAME", required=True, help="the council's name")
    p.add_argument("--title", metavar="TEXT", required=True, help="the plan's title")
    p.add_argument(
        "--dry-run", action="store_true", help="show how the sheet reads; change nothing"
    )
    p.add_argument("--replace", action="store_true", help="update the plan if already stored")
    p.add_argument(
        "--default-deadline",
        metavar="DATE",
        help="the deadline for rows whose target date is blank, TBC, Ongoing or the like "
        "(the sheet's word is kept in their notes)",
    )

    p = command("export", "status snapshot as CSV or an Excel workbook")
    add_filters(p)
    add_snapshot_options(p)
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE (else standard output)")
    p.add_argument(
        "--format",
        choices=("csv", "xlsx"),
        help="default: xlsx when --output ends in .xlsx, else csv",
    )

    p = command("export-plan", "the plan as TOML")
    p.add_argument("key", metavar="KEY")
    p.add_argument("--output", "-o", metavar="FILE")

    p = command("calendar", "open actions' deadlines as an iCalendar (.ics) file")
    p.add_argument("--owner", metavar="TEXT", help="owner contains TEXT (any case)")
    p.add_argument("--plan", metavar="KEY", help="only this plan")
    p.add_argument(
        "--output", "-o", metavar="FILE.ics", help="write to FILE (else standard output)"
    )

    p = command("backup", "a consistent copy of the store, safe while others use it")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    return {
        "import": cmd_import,
        "import-sheet": cmd_import_sheet,
        "export": cmd_export,
        "export-plan": cmd_export_plan,
        "calendar": cmd_calendar,
        "backup": cmd_backup,
    }
