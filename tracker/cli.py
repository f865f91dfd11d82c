"""The command line: every non-interactive command, and the door to the terminal UI.

Exit status 0 when done, 1 when the data or the store said no, 2 when the command line
was wrong. Problems go to stderr, one line each, beginning `tracker: error:`. No
traceback ever reaches a user: an unexpected failure is written to a log file and
reported in one line. Heavy modules (SQLAlchemy, Textual) are imported only by the
commands that need them.
"""

from __future__ import annotations

import argparse
import errno
import io
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn, cast

from tracker import __version__
from tracker.cli_board import BOARD_COMMANDS, add_board_commands, snapshot_source
from tracker.dates import DateError, format_date, format_utc, parse_date
from tracker.errors import NotFoundError, TrackerError, UsageError
from tracker.records import ActionChanges, ActionRow, Filters
from tracker.rules import (
    DEFAULT_DUE_SOON_DAYS,
    DEFAULT_TOLERANCE_DAYS,
    STATUSES,
    RuleSettings,
)
from tracker.text import json_text, one_line, printable, truncate

if TYPE_CHECKING:
    from tracker.fastread import Reader
    from tracker.plans import PlanData
    from tracker.store import Store

__all__ = ["main"]

PROG = "tracker"


# --- arguments ----------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad command line as one `tracker: error:` line, exit 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _int_arg(name: str, low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name} must be a whole number, not {text!r}"
            ) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{name} must be between {low} and {high}, not {value}"
            )
        return value

    return parse


def _status_arg(text: str) -> str:
    value = text.strip().lower().replace(" ", "_").replace("-", "_")
    if value not in STATUSES:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a status: use one of {', '.join(STATUSES)}"
        )
    return value


def _rag_arg(text: str) -> str:
    value = text.strip().upper()
    if value not in ("RED", "AMBER", "GREEN", "BLUE"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a RAG: use RED, AMBER, GREEN or BLUE")
    return value


def _text_arg(name: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if "\x00" in text:
            raise argparse.ArgumentTypeError(f"{name} must not contain a NUL character")
        return text

    return parse


def _add_globals(parser: argparse.ArgumentParser, *, top: bool) -> None:
    # On subcommands the defaults are SUPPRESSed so they never overwrite a value given
    # before the command name (`tracker --db x list` and `tracker list --db x` both work).
    default: Any = None if top else argparse.SUPPRESS
    group = parser.add_argument_group("store and clock")
    group.add_argument(
        "--db", metavar="PATH|URL", default=default, help="the store (else TRACKER_DB)"
    )
    group.add_argument("--today", metavar="DATE", default=default, help="judge dates as at DATE")
    group.add_argument("--user", metavar="NAME", default=default, help="who makes the change")
    group.add_argument(
        "--due-soon-days",
        type=_int_arg("--due-soon-days", 0, 3650),
        metavar="N",
        default=default,
        help=f"days ahead that count as due soon (default {DEFAULT_DUE_SOON_DAYS})",
    )
    group.add_argument(
        "--tolerance-days",
        type=_int_arg("--tolerance-days", 0, 3650),
        metavar="N",
        default=default,
        help=f"days overdue before an action turns RED (default {DEFAULT_TOLERANCE_DAYS})",
    )


def _add_filters(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("filters")
    group.add_argument("--plan", metavar="KEY", help="only this plan")
    group.add_argument("--rec", metavar="REF", help="only this recommendation")
    group.add_argument("--owner", metavar="TEXT", help="owner contains TEXT (any case)")
    group.add_argument(
        "--status", type=_status_arg, action="append", metavar="S", help="status S (repeatable)"
    )
    group.add_argument("--rag", type=_rag_arg, metavar="R", help="RED, AMBER, GREEN or BLUE")
    group.add_argument("--overdue", action="store_true", help="only overdue actions")
    group.add_argument("--due-soon", action="store_true", help="only actions due soon")
    group.add_argument("--search", metavar="TEXT", help="ref, description or owner contains TEXT")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Track an Ofsted improvement plan: recommendations, actions, owners, "
        "deadlines, RAG and history. With no command, opens the terminal UI.",
    )
    parser.add_argument("--version", action="version", version=f"tracker {__version__}")
    parser.add_argument("--read-only", action="store_true", help="open the UI without changes")
    _add_globals(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        _add_globals(p, top=False)
        return p

    p = command("demo", "open the UI on a demo store made from sample_plans/")
    p.add_argument("--read-only", action="store_true", default=argparse.SUPPRESS)

    p = command("import", "load plan files (all of them or none)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--replace", action="store_true", help="update plans already in the store")

    p = command("plans", "one row per plan with counts by RAG and overdue")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")

    for name, text in (("list", "list actions"), ("overdue", "list overdue actions")):
        p = command(name, text)
        _add_filters(p)
        p.add_argument("--format", choices=("table", "csv", "json"), default="table")
        _add_snapshot_options(p)

    p = command("show", "every field and the history of one action")
    p.add_argument("action", metavar="ACTION", help="PLAN-KEY:REF")
    p.add_argument("--format", choices=("text", "json"), default="text")

    p = command("update", "change an action; each change is recorded in its history")
    p.add_argument("action", metavar="ACTION", help="PLAN-KEY:REF")
    p.add_argument("--status", type=_status_arg, metavar="S")
    p.add_argument("--progress", type=_int_arg("--progress", 0, 100), metavar="N")
    p.add_argument("--owner", type=_text_arg("--owner"), metavar="TEXT")
    p.add_argument("--deadline", metavar="DATE")
    p.add_argument(
        "--reason", type=_text_arg("--reason"), metavar="TEXT", help="why the deadline moved"
    )
    p.add_argument("--evidence", type=_text_arg("--evidence"), metavar="TEXT")
    p.add_argument("--note", type=_text_arg("--note"), metavar="TEXT")
    p.add_argument(
        "--expect-version",
        type=_int_arg("--expect-version", 1, 2**31),
        metavar="N",
        help="refuse the change unless the action is still at version N",
    )

    p = command("export", "CSV status snapshot")
    _add_filters(p)
    _add_snapshot_options(p)
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE (else standard output)")

    p = command("export-plan", "the plan as TOML")
    p.add_argument("key", metavar="KEY")
    p.add_argument("--output", "-o", metavar="FILE")

    p = command("backup", "a consistent copy of the store, safe while others use it")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    add_board_commands(command)
    return parser


def _add_snapshot_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as-of", metavar="DATE", help="the actions as they stood at the end of DATE"
    )
    parser.add_argument(
        "--slippage",
        action="store_true",
        help="CSV/JSON: add slippage_days and revisions after the snapshot's columns",
    )


# --- context --------------------------------------------------------------------------------


@dataclass(slots=True)
class Context:
    """What every command needs: the parsed arguments, the rules' settings and the user."""

    args: argparse.Namespace
    settings: RuleSettings
    user: str
    out: IO[str]

    def open_store(self, *, read_only: bool = False, create: bool = True) -> Store:
        from tracker.store import Store

        return Store.open(self.args.db, read_only=read_only, create=create)

    def open_reader(self) -> Reader:
        """For list, overdue and export: the light SQLite reader if it can serve, else the Store."""
        from tracker.fastread import FastReader

        reader = FastReader.open(self.args.db)
        return reader if reader is not None else self.open_store(create=False)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise UsageError(f"{name} must be a whole number, not {raw!r}") from None
    if not 0 <= value <= 3650:
        raise UsageError(f"{name} must be between 0 and 3650, not {value}")
    return value


def _settings(args: argparse.Namespace) -> RuleSettings:
    try:
        if args.today:
            today = parse_date(args.today, today_=date.today())
        else:
            from tracker.dates import today as local_today

            today = local_today()
    except DateError as exc:
        source = "--today" if args.today else "TRACKER_TODAY"
        raise UsageError(f"{source}: {exc}") from None
    try:
        from tracker.dates import now_utc

        now_utc()  # a bad TRACKER_NOW is a usage error now, not a failure mid-write
    except DateError as exc:
        raise UsageError(f"TRACKER_NOW: {exc}") from None
    due_soon = args.due_soon_days
    if due_soon is None:
        due_soon = _env_int("TRACKER_DUE_SOON_DAYS", DEFAULT_DUE_SOON_DAYS)
    tolerance = args.tolerance_days
    if tolerance is None:
        tolerance = _env_int("TRACKER_TOLERANCE_DAYS", DEFAULT_TOLERANCE_DAYS)
    return RuleSettings(today=today, due_soon_days=due_soon, tolerance_days=tolerance)


def _user(args: argparse.Namespace) -> str:
    name = (args.user or os.environ.get("TRACKER_USER", "")).strip()
    if not name:
        try:
            import getpass

            name = getpass.getuser()
        except Exception:  # no login name (some containers)
            name = "unknown"
    if len(name) > 200 or any(ord(c) < 32 for c in name):
        raise UsageError("--user must be a short name without control characters")
    return name


def _filters(args: argparse.Namespace, *, overdue: bool = False) -> Filters:
    return Filters(
        plan=args.plan,
        rec=args.rec,
        owner=args.owner,
        statuses=tuple(args.status or ()),
        rag=args.rag,
        overdue=overdue or args.overdue,
        due_soon=args.due_soon,
        search=args.search,
    )


class _ForTerminal(io.TextIOBase):
    """Writes text with escape sequences and control characters taken out.

    CSV and TOML carry plan text exactly, for files and pipes; when they are printed on a
    terminal, the terminal must not act on an escape sequence hidden in a description.
    """

    def __init__(self, stream: IO[str]) -> None:
        super().__init__()
        self._stream = stream

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._stream.write(printable(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()


@contextmanager
def _output(path: str | None, fallback: IO[str]) -> Iterator[IO[str]]:
    """A text stream for CSV/JSON/TOML: a file written atomically, or standard output."""
    if not path or path == "-":
        buffer = getattr(fallback, "buffer", None)
        if buffer is None:
            yield fallback
            return
        stream = io.TextIOWrapper(buffer, encoding="utf-8", newline="", write_through=False)
        try:
            if fallback.isatty():
                yield cast(IO[str], _ForTerminal(stream))
            else:
                yield stream
            stream.flush()
        finally:
            stream.detach()
        return
    from tracker.outfile import open_output

    with open_output(path) as handle:
        yield handle


# --- commands ---------------------------------------------------------------------------


def cmd_import(ctx: Context) -> int:
    from tracker.plans import check_unique_keys, load_plan_file

    loaded = []
    problems: list[str] = []
    from tracker.errors import PlanFileError

    for name in ctx.args.files:
        try:
            loaded.append((name, load_plan_file(Path(name), display=name)))
        except PlanFileError as exc:
            problems.extend(exc.problems)
    if problems:
        raise PlanFileError([*problems, "nothing was imported"])
    check_unique_keys(loaded)
    return import_and_report(ctx, loaded, replace=ctx.args.replace)


def import_and_report(
    ctx: Context,
    plans: Sequence[tuple[str, PlanData]],
    *,
    replace: bool,
    detail: Callable[[PlanData], str] | None = None,
) -> int:
    """Load checked plans in one transaction and say, per file, what was added or replaced.

    `detail` may add to the line of a newly imported plan (e.g. how many recommendations).
    """
    store = ctx.open_store()
    try:
        results = store.import_plans(plans, replace=replace, user=ctx.user)
    finally:
        store.close()
    by_source = dict(plans)
    for result in results:
        if result.replaced:
            ctx.out.write(
                f"{result.source}: replaced plan {result.plan_key}: {result.added} added, "
                f"{result.updated} updated, {result.cancelled} cancelled\n"
            )
        else:
            extra = detail(by_source[result.source]) if detail else ""
            ctx.out.write(
                f"{result.source}: imported plan {result.plan_key}: {result.added} actions{extra}\n"
            )
    return 0


def _table(
    headers: Sequence[str], rows: Iterable[Sequence[str]], out: IO[str], *, flex: int = -1
) -> int:
    """A plain text table fitted to the terminal width; the `flex` column takes the slack."""
    body = [list(r) for r in rows]
    widths = [len(h) for h in headers]
    for r in body:
        for i, cell in enumerate(r):
            widths[i] = max(widths[i], len(cell))
    try:
        total = os.get_terminal_size(out.fileno()).columns if out.isatty() else 160
    except (OSError, ValueError, io.UnsupportedOperation):
        total = 160
    flex_index = flex % len(headers)
    fixed = sum(w for i, w in enumerate(widths) if i != flex_index) + 2 * (len(headers) - 1)
    widths[flex_index] = max(min(widths[flex_index], total - fixed), 12)

    def line(cells: Sequence[str]) -> str:
        parts = [truncate(c, widths[i]).ljust(widths[i]) for i, c in enumerate(cells)]
        return "  ".join(parts).rstrip()

    out.write(line(headers) + "\n")
    for r in body:
        out.write(line(r) + "\n")
    return len(body)


def _flag(row: ActionRow, settings: RuleSettings) -> str:
    late = row.days_overdue(settings.today)
    if late:
        return f"OVERDUE {late}d"
    if row.due_soon(settings):
        return "due soon"
    return ""


def _check_plan(reader: Reader, key: str | None) -> None:
    """A `--plan` that names no plan is a slip to point out, not an empty view."""
    if key is not None and key not in reader.plan_keys():
        raise NotFoundError(f"no plan {key!r} in the store (tracker plans lists them)")


def cmd_list(ctx: Context, *, overdue: bool = False) -> int:
    args = ctx.args
    filters = _filters(args, overdue=overdue)
    store, settings = snapshot_source(ctx)
    try:
        _check_plan(store, filters.plan)
        rows = store.iter_actions(filters=filters, settings=settings)
        if args.format == "csv":
            from tracker.export import write_snapshot

            with _output(None, ctx.out) as out:
                write_snapshot(rows, settings, out, slippage=args.slippage)
            return 0
        if args.format == "json":
            from tracker.export import write_json

            with _output(None, ctx.out) as out:
                write_json(rows, settings, out, slippage=args.slippage)
            return 0
        table_rows = (
            (
                row.address,
                (r.value if (r := row.rag(settings)) else ""),
                row.status,
                f"{row.progress}%",
                format_date(row.deadline),
                f"{row.slippage_days:+d}d" if row.revisions or row.slippage_days else "",
                str(row.revisions) if row.revisions else "",
                _flag(row, settings),
                one_line(row.owner),
                one_line(row.description),
            )
            for row in rows
        )
        headers = (
            "ACTION",
            "RAG",
            "STATUS",
            "PROG",
            "DEADLINE",
            "SLIP",
            "REV",
            "FLAG",
            "OWNER",
            "DESCRIPTION",
        )
        count = _table(headers, table_rows, ctx.out)
        counts = store.view_counts(filters=filters, settings=settings)
    finally:
        store.close()
    if count == 0:
        ctx.out.write("no actions match\n")
    ctx.out.write(
        f"{counts.total} actions, {counts.overdue} overdue, {counts.due_soon} due soon, "
        f"{counts.blocked} blocked, {counts.complete} complete (as at {settings.today})\n"
    )
    return 0


def cmd_plans(ctx: Context) -> int:
    settings = ctx.settings
    store = ctx.open_store(create=False)
    try:
        summaries = store.plan_summaries(settings=settings)
    finally:
        store.close()
    records = [
        {
            "plan": s.key,
            "authority": s.authority,
            "title": s.title,
            "actions": s.actions,
            "red": s.counts.rag.get("RED", 0),
            "amber": s.counts.rag.get("AMBER", 0),
            "green": s.counts.rag.get("GREEN", 0),
            "blue": s.counts.rag.get("BLUE", 0),
            "overdue": s.counts.overdue,
            "due_soon": s.counts.due_soon,
            "progress": round(s.progress) if s.progress is not None else None,
            "rag": s.rag.value if s.rag else None,
        }
        for s in summaries
    ]
    fmt = ctx.args.format
    if fmt == "json":
        ctx.out.write(json_text(records, indent=1) + "\n")
        return 0
    if fmt == "csv":
        import csv

        from tracker.export import neutralise

        with _output(None, ctx.out) as out:
            out.write("\ufeff")
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(records[0].keys() if records else ["plan"])
            for rec in records:
                writer.writerow(
                    neutralise(str(v)) if isinstance(v, str) else ("" if v is None else v)
                    for v in rec.values()
                )
        return 0
    if not records:
        ctx.out.write("no plans in the store yet: load one with 'tracker import FILE.toml'\n")
        return 0
    headers = (
        "PLAN",
        "RAG",
        "ACTIONS",
        "RED",
        "AMBER",
        "GREEN",
        "BLUE",
        "OVERDUE",
        "PROGRESS",
        "AUTHORITY",
    )
    rows = (
        (
            str(r["plan"]),
            str(r["rag"] or ""),
            str(r["actions"]),
            str(r["red"]),
            str(r["amber"]),
            str(r["green"]),
            str(r["blue"]),
            str(r["overdue"]),
            f"{r['progress']}%" if r["progress"] is not None else "",
            one_line(str(r["authority"])),
        )
        for r in records
    )
    _table(headers, rows, ctx.out)
    return 0


def cmd_show(ctx: Context) -> int:
    settings = ctx.settings
    store = ctx.open_store(create=False)
    try:
        row = store.get_action(ctx.args.action, settings=settings)
        history = store.history(row.id)
    finally:
        store.close()
    if ctx.args.format == "json":
        from tracker.export import snapshot_dicts

        obj = next(snapshot_dicts([row], settings))
        obj["history"] = [
            {
                "at": format_utc(h.at),
                "by": h.by,
                "field": h.field,
                "old": h.old,
                "new": h.new,
                "note": h.note,
            }
            for h in history
        ]
        ctx.out.write(json_text(obj, indent=1) + "\n")
        return 0
    rating = row.rag(settings)
    late = row.days_overdue(settings.today)
    fields = [
        ("Action", row.address),
        ("Plan", f"{row.plan_key} ({row.authority})"),
        ("Recommendation", f"{row.rec_ref}: {row.rec_title}"),
        ("Description", row.description),
        ("Owner", row.owner),
        ("Partner", row.partner or ""),
        ("Start", format_date(row.start)),
        ("Deadline", format_date(row.deadline)),
        ("Original deadline", format_date(row.original_deadline)),
        (
            "Slippage",
            f"{row.slippage_days} days, {row.revisions} revision(s)" if row.revisions else "",
        ),
        ("Status", row.status),
        ("Progress", f"{row.progress}%"),
        ("RAG", rating.value if rating else "(cancelled: no RAG)"),
        ("Overdue", f"OVERDUE {late}d" if late else "no"),
        ("Due soon", "yes" if row.due_soon(settings) else "no"),
        ("Success measure", row.measure or ""),
        ("Evidence", row.evidence or ""),
        ("Notes", row.notes or ""),
        (
            "Last updated",
            f"{format_utc(row.updated_at)} by {row.updated_by} (version {row.version})",
        ),
    ]
    width = max(len(k) for k, _ in fields)
    out = ctx.out
    for key, value in fields:
        text = printable(value)
        lines = text.split("\n") if text else [""]
        out.write(f"{key + ':':<{width + 1}} {lines[0]}".rstrip() + "\n")
        for extra in lines[1:]:
            out.write(f"{'':<{width + 1}} {extra}".rstrip() + "\n")
    out.write(f"\nHistory (as at {settings.today}):\n")
    if not history:
        out.write("  no changes since it was imported\n")
    for h in history:
        change = (
            "note"
            if h.field == "note"
            else f"{h.field}: {one_line(h.old) or '(empty)'} -> {one_line(h.new) or '(empty)'}"
        )
        note = (
            f"  ({one_line(h.note)})"
            if h.note and h.field != "note"
            else (f" {one_line(h.note)}" if h.note else "")
        )
        out.write(f"  {format_utc(h.at)}  {one_line(h.by)}  {change}{note}\n")
    return 0


def cmd_update(ctx: Context) -> int:
    args = ctx.args
    deadline = None
    if args.deadline is not None:
        try:
            deadline = parse_date(args.deadline, today_=ctx.settings.today)
        except DateError as exc:
            raise UsageError(f"--deadline: {exc}") from None
    if args.reason is not None and deadline is None:
        raise UsageError("--reason goes with --deadline (it says why the deadline moved)")
    if deadline is not None and not (args.reason or "").strip():
        raise UsageError("--deadline needs --reason: say why the deadline moved")
    changes = ActionChanges(
        status=args.status,
        progress=args.progress,
        owner=args.owner,
        deadline=deadline,
        reason=args.reason,
        evidence=args.evidence,
        note=args.note,
    )
    if changes.is_empty():
        raise UsageError(
            "say what to change: --status, --progress, --owner, --deadline with --reason, "
            "--evidence or --note"
        )
    store = ctx.open_store(create=False)
    try:
        result = store.update_action(
            args.action,
            changes,
            user=ctx.user,
            expected_version=args.expect_version,
            settings=ctx.settings,
        )
    finally:
        store.close()
    address = result.row.address
    if not result.changed:
        ctx.out.write(f"{address}: no change\n")
        return 0
    parts = []
    for entry in result.entries:
        if entry.field == "note":
            parts.append("note added")
        else:
            old = one_line(entry.old) or "(empty)"
            new = one_line(entry.new) or "(empty)"
            parts.append(f"{entry.field} {old} -> {new}")
    ctx.out.write(f"{address}: {'; '.join(parts)} (by {ctx.user})\n")
    return 0


def cmd_export(ctx: Context) -> int:
    from tracker.export import write_snapshot

    store, settings = snapshot_source(ctx)
    try:
        filters = _filters(ctx.args)
        _check_plan(store, filters.plan)
        rows = store.iter_actions(filters=filters, settings=settings)
        with _output(ctx.args.output, ctx.out) as out:
            count = write_snapshot(rows, settings, out, slippage=ctx.args.slippage)
    finally:
        store.close()
    if ctx.args.output and ctx.args.output != "-":
        sys.stderr.write(f"wrote {count} actions to {ctx.args.output} (as at {settings.today})\n")
    return 0


def cmd_export_plan(ctx: Context) -> int:
    from tracker.plans import dump_plan

    store = ctx.open_store(create=False)
    try:
        plan = store.plan_data(ctx.args.key)
    finally:
        store.close()
    with _output(ctx.args.output, ctx.out) as out:
        out.write(dump_plan(plan))
    return 0


def cmd_backup(ctx: Context) -> int:
    from tracker.backup import backup_store

    store = ctx.open_store(create=False)
    try:
        target = backup_store(store, Path(ctx.args.file), force=ctx.args.force)
    finally:
        store.close()
    ctx.out.write(f"backed up {store.location} to {target}\n")
    return 0


def cmd_tui(ctx: Context, *, demo: bool = False) -> int:
    read_only = bool(getattr(ctx.args, "read_only", False))
    if demo:
        from tracker.demo import build_demo_store

        db = build_demo_store(user=ctx.user)
    else:
        db = ctx.args.db
    try:
        from tracker.tui.app import run_app
    except ImportError as exc:
        raise TrackerError(f"the terminal UI is not available: {exc}") from None
    return run_app(db=db, settings=ctx.settings, user=ctx.user, read_only=read_only, demo=demo)


COMMANDS: dict[str, Callable[[Context], int]] = {
    "import": cmd_import,
    "plans": cmd_plans,
    "list": cmd_list,
    "overdue": lambda ctx: cmd_list(ctx, overdue=True),
    "show": cmd_show,
    "update": cmd_update,
    "export": cmd_export,
    "export-plan": cmd_export_plan,
    "backup": cmd_backup,
    "demo": lambda ctx: cmd_tui(ctx, demo=True),
    **BOARD_COMMANDS,
}


# --- entry point ------------------------------------------------------------------------------


def _report_crash(exc: BaseException) -> str:
    """Write the full report of an unexpected failure to the log; return where it went."""
    import traceback

    from tracker.dates import now_utc

    try:
        from platformdirs import user_state_dir

        folder = Path(
            os.environ.get("TRACKER_LOG_DIR") or user_state_dir("tracker", appauthor=False)
        )
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "tracker.log"
        with open(path, "a", encoding="utf-8") as log:
            log.write(f"--- {format_utc(now_utc())} tracker {__version__} argv={sys.argv!r}\n")
            log.write("".join(traceback.format_exception(exc)))
        return str(path)
    except Exception:
        return "(the log could not be written)"


def _error(lines: Iterable[str]) -> None:
    for line in lines:
        sys.stderr.write(f"{PROG}: error: {one_line(line)}\n")


# The disk, not tracker: full, over quota, a file too big, a read-only or failing device.
_WRITE_FAILURES = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO}


def main(argv: Sequence[str] | None = None, *, out: IO[str] | None = None) -> int:
    """Run one command; return its exit status."""
    stream = out if out is not None else sys.stdout
    try:
        args = build_parser().parse_args(list(argv) if argv is not None else None)
        ctx = Context(args=args, settings=_settings(args), user=_user(args), out=stream)
        if args.command is None:
            return cmd_tui(ctx)
        return COMMANDS[args.command](ctx)
    except TrackerError as exc:
        _error(exc.lines())
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `tracker list | head`): not an error for the user.
        with suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return 0
    except OSError as exc:
        if exc.errno not in _WRITE_FAILURES:
            where = _report_crash(exc)
            _error(
                [f"unexpected failure ({type(exc).__name__}: {exc}); the full report is in {where}"]
            )
            return 1
        _error([f"cannot write the output: {exc.strerror or exc}; what was written is incomplete"])
        return 1
    except Exception as exc:  # a bug: report it in one line, the details in the log
        where = _report_crash(exc)
        _error([f"unexpected failure ({type(exc).__name__}: {exc}); the full report is in {where}"])
        return 1
