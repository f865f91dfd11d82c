"""The board secretary's commands: `changes` and `report` (the board paper)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tracker.cli.args import CommandAdder
from tracker.cli.context import Command, Context, as_at, option_date, output, reads_store
from tracker.domain.errors import TrackerError, UsageError, no_plan

if TYPE_CHECKING:
    pass


@reads_store
def cmd_changes(ctx: Context) -> int:
    from tracker.reports.paper import write_changes
    from tracker.storage.timeline import changes_between

    args, settings = ctx.args, ctx.settings
    since = option_date("--since", args.since, settings.today)
    until = option_date("--until", args.until, settings.today) if args.until else settings.today
    store = ctx.open_store(create=False)
    try:
        log = changes_between(store, since=since, until=until, plan=args.plan, settings=settings)
        if args.plan and args.plan not in store.plan_keys():
            raise no_plan(args.plan)
    finally:
        store.close()
    with output(args.output, ctx.out) as out:
        write_changes(log, args.format, out)
    return 0


@reads_store
def cmd_report(ctx: Context) -> int:
    from dateutil.relativedelta import relativedelta

    from tracker.domain.dates import now_utc
    from tracker.reports.html import board_paper_html
    from tracker.reports.paper import board_paper_markdown, build_board_paper

    args, settings = ctx.args, ctx.settings
    historical = bool(args.as_of)
    if args.as_of:
        day = option_date("--as-of", args.as_of, settings.today)
        if day > settings.today:
            raise UsageError(f"--as-of {day} is after today ({settings.today})")
        settings = as_at(settings, day)
    if args.since:
        since = option_date("--since", args.since, settings.today)
    else:
        since = settings.today - relativedelta(months=1)
    if since > settings.today:
        raise UsageError(f"--since {since} is after today ({settings.today})")
    if not 0 <= args.trend_months <= 60:
        raise UsageError("--trend-months must be between 0 and 60")
    fmt = args.format
    if fmt is None:
        suffix = Path(args.output).suffix.lower() if args.output else ""
        fmt = "html" if suffix in (".html", ".htm") else "pdf" if suffix == ".pdf" else "markdown"
    if fmt == "pdf":
        from tracker.cli.workbooks import check_binary_target
        from tracker.reports.pdf import missing_pdf_support

        check_binary_target(args.output, ctx.out, "pdf", "board.pdf")
        problem = missing_pdf_support()
        if problem is not None:
            raise TrackerError(problem)  # before the store is read: nothing else to do
    from tracker.cli.progress import Progress
    from tracker.reports.paper import PAPER_STEPS

    store = ctx.open_store(create=False)
    try:
        with Progress("board paper: reading the plans", PAPER_STEPS, unit="parts") as progress:
            paper = build_board_paper(
                store,
                settings=settings,
                since=since,
                plan=args.plan,
                prepared_at=now_utc(),
                prepared_by=ctx.user,
                trend_months=args.trend_months,
                historical=historical,
                progress=lambda done, part: progress.done(done, what=f"board paper: {part}"),
            )
    finally:
        store.close()
    if not paper.plans:
        raise TrackerError("no plans in the store yet: load one with 'tracker import FILE.toml'")
    if fmt == "pdf":
        from tracker.cli.workbooks import binary
        from tracker.reports.pdf import board_paper_pdf

        with output(args.output, ctx.out) as out:
            board_paper_pdf(paper, binary(out))
        if args.output and args.output != "-":
            sys.stderr.write(f"wrote the board paper to {args.output} (as at {settings.today})\n")
        return 0
    text = board_paper_html(paper) if fmt == "html" else board_paper_markdown(paper)
    with output(args.output, ctx.out) as out:
        out.write(text)
    if args.output and args.output != "-":
        sys.stderr.write(f"wrote the board paper to {args.output} (as at {settings.today})\n")
    return 0


def add_commands(command: CommandAdder) -> dict[str, Command]:
    """Add this group's subcommands; return what runs each."""
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
        choices=("markdown", "html", "pdf"),
        help="default: html or pdf when --output ends in .html or .pdf, else markdown",
    )
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE (else standard output)")
    p.add_argument(
        "--trend-months",
        type=int,
        default=6,
        metavar="N",
        help="months in the trend chart (0 leaves it out; default 6)",
    )
    return {"changes": cmd_changes, "report": cmd_report}
