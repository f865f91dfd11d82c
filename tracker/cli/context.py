"""What every command shares: the parsed context, the rules' settings and user from the
command line and environment, and the ways output is written (streams, tables, flags).
"""

from __future__ import annotations

import argparse
import io
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from typing import IO, TYPE_CHECKING, cast

from tracker.domain.dates import DateError, parse_date
from tracker.domain.errors import NotFoundError, UsageError
from tracker.domain.records import ActionRow, Filters
from tracker.domain.rules import (
    DEFAULT_DUE_SOON_DAYS,
    DEFAULT_TOLERANCE_DAYS,
    DEFAULT_UPDATE_DAYS,
    RuleSettings,
)
from tracker.domain.text import truncate

if TYPE_CHECKING:
    from tracker.storage.fastread import Reader
    from tracker.storage.store import Store


@dataclass(slots=True)
class Context:
    """What every command needs: the parsed arguments, the rules' settings and the user."""

    args: argparse.Namespace
    settings: RuleSettings
    user: str
    out: IO[str]

    def open_store(self, *, read_only: bool = False, create: bool = True) -> Store:
        from tracker.storage.store import Store

        return Store.open(self.args.db, read_only=read_only, create=create)

    def open_reader(self) -> Reader:
        """For list, overdue and export: the light SQLite reader if it can serve, else the Store."""
        from tracker.storage.fastread import FastReader

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


def settings_from_args(args: argparse.Namespace) -> RuleSettings:
    try:
        if args.today:
            today = parse_date(args.today, today_=date.today())
        else:
            from tracker.domain.dates import today as local_today

            today = local_today()
    except DateError as exc:
        source = "--today" if args.today else "TRACKER_TODAY"
        raise UsageError(f"{source}: {exc}") from None
    try:
        from tracker.domain.dates import now_utc

        now_utc()  # a bad TRACKER_NOW is a usage error now, not a failure mid-write
    except DateError as exc:
        raise UsageError(f"TRACKER_NOW: {exc}") from None
    due_soon = args.due_soon_days
    if due_soon is None:
        due_soon = _env_int("TRACKER_DUE_SOON_DAYS", DEFAULT_DUE_SOON_DAYS)
    tolerance = args.tolerance_days
    if tolerance is None:
        tolerance = _env_int("TRACKER_TOLERANCE_DAYS", DEFAULT_TOLERANCE_DAYS)
    update_days = getattr(args, "update_days", None)
    if update_days is None:
        update_days = _env_int("TRACKER_UPDATE_DAYS", DEFAULT_UPDATE_DAYS)
    return RuleSettings(
        today=today, due_soon_days=due_soon, tolerance_days=tolerance, update_days=update_days
    )


def user_from_args(args: argparse.Namespace) -> str:
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


def filters_from_args(args: argparse.Namespace, *, overdue: bool = False) -> Filters:
    return Filters(
        plan=args.plan,
        rec=args.rec,
        owner=args.owner,
        statuses=tuple(args.status or ()),
        rag=args.rag,
        overdue=overdue or args.overdue,
        due_soon=args.due_soon,
        search=args.search,
        stale=bool(getattr(args, "stale", False)),
    )


@contextmanager
def output(path: str | None, fallback: IO[str]) -> Iterator[IO[str]]:
    """A text stream for CSV/JSON/TOML: a file written atomically, or standard output."""
    if not path or path == "-":
        buffer = getattr(fallback, "buffer", None)
        if buffer is None:
            yield fallback
            return
        stream = io.TextIOWrapper(buffer, encoding="utf-8", newline="", write_through=False)
        try:
            if fallback.isatty():
                from tracker.formats.outfile import ForTerminal

                yield cast(IO[str], ForTerminal(stream))
            else:
                yield stream
            stream.flush()
        finally:
            stream.detach()
        return
    from tracker.formats.outfile import open_output

    with open_output(path) as handle:
        yield handle


def table(
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


def flag(row: ActionRow, settings: RuleSettings) -> str:
    late = row.days_overdue(settings.today)
    if late:
        return f"OVERDUE {late}d"
    if row.due_soon(settings):
        return "due soon"
    if row.stale(settings):
        return f"no update {row.days_since_update(settings.today)}d"
    return ""


def check_plan(reader: Reader, key: str | None) -> None:
    """A `--plan` that names no plan is a slip to point out, not an empty view."""
    if key is not None and key not in reader.plan_keys():
        raise NotFoundError(f"no plan {key!r} in the store (tracker plans lists them)")


def option_date(option: str, text: str, today: date) -> date:
    try:
        return parse_date(text, today_=today)
    except DateError as exc:
        raise UsageError(f"{option}: {exc}") from None


def as_at(settings: RuleSettings, day: date) -> RuleSettings:
    return replace(settings, today=day)


def snapshot_source(ctx: Context) -> tuple[Reader, RuleSettings]:
    """The reader and settings for list/overdue/export: as at `--as-of` if given, else now."""
    text = getattr(ctx.args, "as_of", None)
    if not text:
        return ctx.open_reader(), ctx.settings
    day = option_date("--as-of", text, ctx.settings.today)
    if day > ctx.settings.today:
        raise UsageError(f"--as-of {day} is after today ({ctx.settings.today})")
    from tracker.storage.timeline import AsOfReader

    return AsOfReader(ctx.open_store(create=False), day), as_at(ctx.settings, day)


Command = Callable[[Context], int]
"""What runs one subcommand: takes the context, returns the exit status."""
