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
from typing import IO, TYPE_CHECKING, TypeVar, cast, overload

from tracker.domain.dates import DateError, parse_date
from tracker.domain.errors import UsageError, no_plan
from tracker.domain.records import ActionRow, Filters
from tracker.domain.rules import (
    DEFAULT_DUE_SOON_DAYS,
    DEFAULT_TOLERANCE_DAYS,
    DEFAULT_UPDATE_DAYS,
    RuleSettings,
)
from tracker.domain.text import is_blank, truncate, wrap

if TYPE_CHECKING:
    from tracker.storage.fastread import Reader
    from tracker.storage.store import Store


@dataclass(slots=True)
class Context:
    """What every command needs: the parsed arguments, the rules' settings and the user.

    `read_only` is `--read-only` or `TRACKER_READ_ONLY`; `writes` is whether the running
    command declared that it changes the store (see `writes_store`). A command that only
    reads gets a store that refuses every change, whatever its code then tries; under
    read-only the store is opened read-only too, so not even a schema upgrade or WAL
    switch touches its bytes.
    """

    args: argparse.Namespace
    settings: RuleSettings
    user: str
    out: IO[str]
    read_only: bool = False
    writes: bool = True
    command: str = ""

    def open_store(self, *, read_only: bool = False, create: bool = True) -> Store:
        from tracker.storage.store import Store

        if self.read_only:
            read_only, create = True, False
        store = Store.open(self.args.db, read_only=read_only, create=create)
        if not self.writes and not store.read_only:
            store.read_only = True
            store.read_only_reason = f"'{self.command}' only reads the store"
        return store

    def open_reader(self) -> Reader:
        """For list, overdue and export: the light SQLite reader if it can serve, else the Store."""
        from tracker.storage.fastread import FastReader

        reader = FastReader.open(self.args.db)
        return reader if reader is not None else self.open_store(create=False)


# --- which commands change the store ----------------------------------------------------------

READS = "reads"
WRITES = "writes"
_USE = "tracker_store_use"
_UNLESS = "tracker_store_use_unless"
_WHEN = "tracker_store_use_when"

F = TypeVar("F", bound=Callable[..., int])


def reads_store(fn: F) -> F:
    """Declare a command that never changes the store (it runs under `--read-only`)."""
    setattr(fn, _USE, READS)
    return fn


@overload
def writes_store(fn: F, *, unless: None = None, when: None = None) -> F: ...
@overload
def writes_store(
    fn: None = None,
    *,
    unless: str | None = None,
    when: Callable[[argparse.Namespace], bool] | None = None,
) -> Callable[[F], F]: ...
def writes_store(
    fn: F | None = None,
    *,
    unless: str | None = None,
    when: Callable[[argparse.Namespace], bool] | None = None,
) -> F | Callable[[F], F]:
    """Declare a command that changes the store: refused under `--read-only`, untouched.

    `unless` names an option (e.g. "dry_run") that, when given, makes the run a read;
    `when` decides from the arguments (a command whose subcommands read or write, such
    as `owner show` and `owner set`). Every command must declare one or the other: an
    undeclared command is treated as a writer, and tests/test_security.py fails until it
    is declared.
    """

    def mark(f: F) -> F:
        setattr(f, _USE, WRITES)
        setattr(f, _UNLESS, unless)
        setattr(f, _WHEN, when)
        return f

    return mark(fn) if fn is not None else mark


def declared_use(fn: Callable[..., int]) -> str | None:
    """ "reads", "writes", or None for a command that has not declared it."""
    value = getattr(fn, _USE, None)
    return value if value in (READS, WRITES) else None


def command_writes(fn: Callable[..., int], args: argparse.Namespace) -> bool:
    """Whether this run of the command would change the store (undeclared: assume it would)."""
    if declared_use(fn) == READS:
        return False
    unless = getattr(fn, _UNLESS, None)
    if unless and getattr(args, unless, False):
        return False
    when = getattr(fn, _WHEN, None)
    return bool(when(args)) if when is not None else True


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


def read_only_from(args: argparse.Namespace) -> str | None:
    """What asks for read-only (`--read-only` or `TRACKER_READ_ONLY=1`), or None."""
    if getattr(args, "read_only", False):
        return "--read-only"
    raw = os.environ.get("TRACKER_READ_ONLY", "").strip().lower()
    if raw in _TRUE:
        return f"TRACKER_READ_ONLY={os.environ['TRACKER_READ_ONLY'].strip()}"
    if raw not in _FALSE:
        raise UsageError(f"TRACKER_READ_ONLY must be 1 or 0, not {raw!r}")
    return None


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
    """Who makes the change: `--user`, else `TRACKER_USER`, else the login name.

    A `--user` (or `TRACKER_USER`) given but blank, zero-width characters included, is
    a slip to point out: history must never record a change by nobody.
    """
    given = getattr(args, "user", None)
    if given is not None and is_blank(given):
        raise UsageError("--user is blank: give a name, or leave --user out")
    env = os.environ.get("TRACKER_USER", "")
    if given is None and env and is_blank(env):
        if env.strip():
            raise UsageError("TRACKER_USER is blank: give a name, or unset it")
        env = ""
    name = (given or env).strip()
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


def terminal_width(out: IO[str]) -> int | None:
    """The width to fit text to when `out` is a terminal (`COLUMNS` if set), else None:
    what goes to a file or a pipe is never cut to a width."""
    try:
        if not out.isatty():
            return None
    except (ValueError, AttributeError):
        return None
    raw = os.environ.get("COLUMNS", "").strip()
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    try:
        return os.get_terminal_size(out.fileno()).columns
    except (OSError, ValueError, io.UnsupportedOperation):
        return 80


# The narrowest a table is fitted to: on a narrower terminal it wraps rather than hiding more.
MIN_TABLE_WIDTH = 80
INDENT = "    "


def _need(widths: Sequence[int], shown: Iterable[int]) -> int:
    cols = [widths[i] for i in shown]
    return sum(cols) + 2 * (len(cols) - 1)


@dataclass(slots=True)
class Layout:
    """How a table fits a width: each column's width, which are shown on the row's line,
    and which go on lines of their own beneath it."""

    widths: list[int]
    inline: list[int]
    below: list[int]


def fit_table(
    widths: Sequence[int],
    total: int | None,
    *,
    flex: int,
    squeeze: dict[int, int],
    drop: Sequence[int],
    below: Sequence[int],
) -> Layout:
    """Fit columns of these natural widths to `total` characters (None: no limit).

    In order: the table as it is; else the `squeeze` columns cut down to their minimum
    widths (the `flex` column first, so it gives up its slack first) after leaving out the
    `drop` columns one by one as needed; else, when even that does not fit, the `below`
    columns move beneath each row, wrapped between words, and the `drop` columns are left
    out as needed. Columns not named in `squeeze` are never cut.
    """
    n = len(widths)
    natural = list(widths)
    every = list(range(n))
    if total is None or _need(natural, every) <= total:
        return Layout(natural, every, [])
    floor = [min(w, squeeze[i]) if i in squeeze else w for i, w in enumerate(natural)]
    shown = list(every)
    for column in drop:
        if _need(floor, shown) <= total:
            break
        shown.remove(column)
    if _need(floor, shown) <= total or not below:
        fitted = list(natural)
        over = _need(fitted, shown) - total
        for column in [flex, *(i for i in squeeze if i != flex)]:
            if over <= 0:
                break
            cut = min(over, max(fitted[column] - floor[column], 0))
            fitted[column] -= cut
            over -= cut
        return Layout(fitted, shown, [])
    shown = [i for i in every if i not in below]
    for column in drop:
        if _need(natural, shown) <= total:
            break
        if column in shown:
            shown.remove(column)
    return Layout(natural, shown, list(below))


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    out: IO[str],
    *,
    flex: int = -1,
    squeeze: dict[int, int] | None = None,
    drop: Sequence[int] = (),
    below: Sequence[int] = (),
    below_join: str = " · ",
) -> int:
    """A plain text table. On a terminal it is fitted to the width (`fit_table`; 80 at
    least) and the `flex` column takes the slack; to a file or a pipe nothing is cut."""
    body = [list(r) for r in rows]
    n = len(headers)
    widths = [len(h) for h in headers]
    for r in body:
        for i, cell in enumerate(r):
            widths[i] = max(widths[i], len(cell))
    total = terminal_width(out)
    if total is not None:
        total = max(total, MIN_TABLE_WIDTH)
    cuts = {i % n: w for i, w in (squeeze or {}).items()}
    cuts.setdefault(flex % n, 12)
    layout = fit_table(
        widths,
        total,
        flex=flex % n,
        squeeze=cuts,
        drop=[i % n for i in drop],
        below=[i % n for i in below],
    )

    def line(cells: Sequence[str]) -> str:
        parts = [
            truncate(cells[i], layout.widths[i]).ljust(layout.widths[i]) for i in layout.inline
        ]
        return "  ".join(parts).rstrip()

    def under(cells: Sequence[str]) -> list[str]:
        text = below_join.join(cells[i] for i in layout.below if cells[i])
        return [INDENT + part for part in wrap(text, (total or 0) - len(INDENT))] if text else []

    out.write(line(headers) + "\n")
    for text in under(headers):
        out.write(text + "\n")
    for r in body:
        out.write(line(r) + "\n")
        for text in under(r):
            out.write(text + "\n")
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
        raise no_plan(key, hint="tracker plans lists them")


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
