"""The board secretary's commands: `changes`, `report`, `import-sheet`, `calendar`, and the
as-at view behind `list --as-of` and `export --as-of`.

Kept apart from cli.py so the command line's core stays small; like it, this module
imports nothing heavy until a command runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from tracker.dates import DateError, parse_date
from tracker.errors import TrackerError, UsageError
from tracker.records import Filters
from tracker.rules import OPEN_STATUSES, RuleSettings

if TYPE_CHECKING:
    from tracker.cli import Context
    from tracker.fastread import Reader

__all__ = ["BOARD_COMMANDS", "add_board_commands", "snapshot_source"]


def add_board_commands(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    """Add the board commands to the parser through cli's `command(name, help)`."""
    p = command("changes", "every change in a period, with a summary for the board")
    p.add_argument("--since", metavar="DATE", required=True, help="from the start of DATE")
    p.add_argument("--until", metavar="DATE", help="to the end of DATE (default: today)")
    p.add_argument("--plan", metavar="KEY", help="only this plan")
    p.add_argument("--format", choices=("table", "csv", "json", "markdown"), default="table")
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE (else standard output)")

    p = command("report", "the board paper: RAG, progress, exceptions and changes")
    p.add_argument("--since", metavar="DATE", help="list changes from DATE (default: a month ago)")
    p.add_argument("--plan", metavar="KEY", help="only this plan")
    p.add_argument(
        "--as-of", metavar="DATE", help="the paper as it would have read at the end of DATE"
    )
    p.add_argument(
        "--format",
        choices=("markdown", "html"),
        help="default: html when --output ends in .html, else markdown",
    )
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE (else standard output)")
    p.add_argument(
        "--trend-months",
        type=int,
        default=6,
        metavar="N",
        help="months in the trend chart (0 leaves it out; default 6)",
    )

    p = command("import-sheet", "load a plan from the CSV a spreadsheet RAG tracker saves")
    p.add_argument("file", metavar="FILE.csv")
    p.add_argument("--plan", metavar="KEY", required=True, help="the new plan's key")
    p.add_argument("--authority", metavar="NAME", required=True, help="the council's name")
    p.add_argument("--title", metavar="TEXT", required=True, help="the plan's title")
    p.add_argument(
        "--dry-run", action="store_true", help="show how the sheet reads; change nothing"
    )
    p.add_argument("--replace", action="store_true", help="update the plan if already stored")

    p = command("calendar", "open actions' deadlines as an iCalendar (.ics) file")
    p.add_argument("--owner", metavar="TEXT", help="owner contains TEXT (any case)")
    p.add_argument("--plan", metavar="KEY", help="only this plan")
    p.add_argument(
        "--output", "-o", metavar="FILE.ics", help="write to FILE (else standard output)"
    )


def _date(option: str, text: str, today: date) -> date:
    try:
        return parse_date(text, today_=today)
    except DateError as exc:
        raise UsageError(f"{option}: {exc}") from None


def _at(settings: RuleSettings, day: date) -> RuleSettings:
    return RuleSettings(
        today=day, due_soon_days=settings.due_soon_days, tolerance_days=settings.tolerance_days
    )


def snapshot_source(ctx: Context) -> tuple[Reader, RuleSettings]:
    """The reader and settings for list/overdue/export: as at `--as-of` if given, else now."""
    text = getattr(ctx.args, "as_of", None)
    if not text:
        return ctx.open_reader(), ctx.settings
    day = _date("--as-of", text, ctx.settings.today)
    if day > ctx.settings.today:
        raise UsageError(f"--as-of {day} is after today ({ctx.settings.today})")
    from tracker.timeline import AsOfReader

    return AsOfReader(ctx.open_store(create=False), day), _at(ctx.settings, day)


def cmd_changes(ctx: Context) -> int:
    from tracker.cli import _output
    from tracker.reporting import write_changes
    from tracker.timeline import changes_between

    args, settings = ctx.args, ctx.settings
    since = _date("--since", args.since, settings.today)
    until = _date("--until", args.until, settings.today) if args.until else settings.today
    store = ctx.open_store(create=False)
    try:
        log = changes_between(store, since=since, until=until, plan=args.plan, settings=settings)
        if args.plan and args.plan not in store.plan_keys():
            raise TrackerError(f"no plan {args.plan!r} in the store")
    finally:
        store.close()
    with _output(args.output, ctx.out) as out:
        write_changes(log, args.format, out)
    return 0


def cmd_report(ctx: Context) -> int:
    from dateutil.relativedelta import relativedelta

    from tracker.cli import _output
    from tracker.dates import now_utc
    from tracker.paper_html import board_paper_html
    from tracker.reporting import board_paper_markdown, build_board_paper

    args, settings = ctx.args, ctx.settings
    historical = bool(args.as_of)
    if args.as_of:
        day = _date("--as-of", args.as_of, settings.today)
        if day > settings.today:
            raise UsageError(f"--as-of {day} is after today ({settings.today})")
        settings = _at(settings, day)
    if args.since:
        since = _date("--since", args.since, settings.today)
    else:
        since = settings.today - relativedelta(months=1)
    if since > settings.today:
        raise UsageError(f"--since {since} is after today ({settings.today})")
    if not 0 <= args.trend_months <= 60:
        raise UsageError("--trend-months must be between 0 and 60")
    fmt = args.format
    if fmt is None:
        suffix = Path(args.output).suffix.lower() if args.output else ""
        fmt = "html" if suffix in (".html", ".htm") else "markdown"
    store = ctx.open_store(create=False)
    try:
        paper = build_board_paper(
            store,
            settings=settings,
            since=since,
            plan=args.plan,
            prepared_at=now_utc(),
            prepared_by=ctx.user,
            trend_months=args.trend_months,
            historical=historical,
        )
    finally:
        store.close()
    if not paper.plans:
        raise TrackerError("no plans in the store yet: load one with 'tracker import FILE.toml'")
    text = board_paper_html(paper) if fmt == "html" else board_paper_markdown(paper)
    with _output(args.output, ctx.out) as out:
        out.write(text)
    if args.output and args.output != "-":
        sys.stderr.write(f"wrote the board paper to {args.output} (as at {settings.today})\n")
    return 0


def cmd_import_sheet(ctx: Context) -> int:
    from tracker.plans import _valid_key
    from tracker.sheets import check_plan, describe_mapping, read_sheet_file

    args = ctx.args
    name = args.file
    if not _valid_key(args.plan):
        raise UsageError(
            f"--plan: {args.plan!r} is not a usable plan key: use letters, digits, '-', '_' or '.'"
        )
    result = read_sheet_file(
        Path(name), key=args.plan, authority=args.authority, title=args.title, display=name
    )
    if args.dry_run:
        out = ctx.out
        out.write(f"{name}: dry run, nothing is imported\n")
        for line in describe_mapping(result):
            out.write(line + "\n")
        problems = list(result.problems)
        if not problems:
            try:
                check_plan(result, name)
            except TrackerError as exc:
                problems = [p for p in exc.lines() if p != "nothing was imported"]
        if problems:
            out.write(
                f"{len(problems)} rows or columns cannot be read; nothing would be imported:\n"
            )
            for problem in problems:
                out.write(f"  {problem}\n")
            return 1
        out.write(f"ready: {len(result.rows)} actions would be imported as plan {args.plan}\n")
        return 0
    from tracker.cli import import_and_report

    plan = check_plan(result, name)
    return import_and_report(
        ctx,
        [(name, plan)],
        replace=args.replace,
        detail=lambda p: f" under {len(p.recommendations)} recommendations",
    )


def cmd_calendar(ctx: Context) -> int:
    from tracker.cli import _output
    from tracker.dates import now_utc
    from tracker.ics import write_calendar

    args, settings = ctx.args, ctx.settings
    filters = Filters(plan=args.plan, owner=args.owner, statuses=tuple(sorted(OPEN_STATUSES)))
    store = ctx.open_store(create=False)
    try:
        if args.plan and args.plan not in store.plan_keys():
            raise TrackerError(f"no plan {args.plan!r} in the store")
        rows = store.iter_actions(filters=filters, settings=settings)
        name = "Improvement plan deadlines" + (f": {args.owner}" if args.owner else "")
        with _output(args.output, ctx.out) as out:
            count = write_calendar(rows, settings, out, now=now_utc(), name=name)
    finally:
        store.close()
    if args.output and args.output != "-":
        sys.stderr.write(f"wrote {count} deadlines to {args.output}\n")
    return 0


BOARD_COMMANDS: dict[str, Callable[[Context], int]] = {
    "changes": cmd_changes,
    "report": cmd_report,
    "import-sheet": cmd_import_sheet,
    "calendar": cmd_calendar,
}
