"""The command line: the parser, the entry point and the door to the terminal UI.

Exit status 0 when done, 1 when the data or the store said no, 2 when the command line
was wrong. Problems go to stderr, one line each, beginning `tracker: error:`. No
traceback ever reaches a user: an unexpected failure is written to a log file and
reported in one line. Heavy modules (SQLAlchemy, Textual) are imported only by the
commands that need them.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Iterable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import IO, TYPE_CHECKING

from tracker import __version__
from tracker.cli import actions, authoring, board, check, files, measures, owners
from tracker.cli.args import Parser, add_globals
from tracker.cli.context import (
    Command,
    Context,
    command_writes,
    read_only_from,
    reads_store,
    settings_from_args,
    user_from_args,
)
from tracker.domain.dates import format_utc
from tracker.domain.errors import ReadOnlyError, StoreError, TrackerError
from tracker.domain.text import one_line

if TYPE_CHECKING:
    pass


PROG = "tracker"


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, Command]]:
    """The parser, and the function that runs each command name."""
    parser = Parser(
        prog=PROG,
        # `move --to` and `carry-forward --to` must not read as a short `--today`.
        allow_abbrev=False,
        description="Track an Ofsted improvement plan: recommendations, actions, owners, "
        "deadlines, RAG and history. With no command, opens the terminal UI.",
    )
    parser.add_argument("--version", action="version", version=f"tracker {__version__}")
    add_globals(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        add_globals(p, top=False)
        return p

    p = command("demo", "open the UI on the demo store (made from sample_plans/ and kept)")
    p.add_argument(
        "--reset", action="store_true", help="make the demo store afresh from sample_plans/"
    )
    # The demo writes only its own demo store, never the user's.
    commands: dict[str, Command] = {"demo": reads_store(lambda ctx: cmd_tui(ctx, demo=True))}
    for group in (files, actions, board, owners, measures, authoring, check):
        commands.update(group.add_commands(command))
    return parser, commands


def cmd_tui(ctx: Context, *, demo: bool = False) -> int:
    read_only = ctx.read_only
    if demo:
        from tracker.cli.demo import open_demo_store

        db, made = open_demo_store(user=ctx.user, reset=bool(getattr(ctx.args, "reset", False)))
        sys.stderr.write(_demo_note(db, made))
    else:
        db = ctx.args.db
        _named_store_exists(db)
    try:
        from tracker.tui.app import run_app
    except ImportError as exc:
        raise TrackerError(f"the terminal UI is not available: {exc}") from None
    code = run_app(db=db, settings=ctx.settings, user=ctx.user, read_only=read_only, demo=demo)
    if demo:
        sys.stderr.write(_demo_note(db, False))
    return code


def _named_store_exists(db: str | None) -> None:
    """A store named by --db or TRACKER_DB must be there: a slip never makes an empty one.

    Only the default store (no --db, no TRACKER_DB) is made on first use, as the CLI does.
    """
    from tracker.storage.engine import NO_STORE_YET
    from tracker.storage.location import store_file

    if not (db or os.environ.get("TRACKER_DB", "").strip()):
        return
    path = store_file(db)
    if path is None:
        return
    if not path.parent.is_dir():
        raise StoreError(f"{path}: the folder {path.parent} does not exist")
    if not path.exists():
        raise StoreError(f"{path}: {NO_STORE_YET}")


def _demo_note(path: str, made: bool) -> str:
    """Where the demo store is and that changes to it are kept, before and after the UI."""
    first = "made a new demo store" if made else "the demo store"
    return (
        f"tracker: {first} at {path}; your changes to it are kept until "
        "'tracker demo --reset' makes it afresh from sample_plans/\n"
    )


def _report_crash(exc: BaseException) -> str:
    """Write the full report of an unexpected failure to the log; return where it went."""
    import traceback
    from datetime import UTC, datetime

    try:
        from platformdirs import user_state_dir

        folder = Path(
            os.environ.get("TRACKER_LOG_DIR") or user_state_dir("tracker", appauthor=False)
        )
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "tracker.log"
        with open(path, "a", encoding="utf-8") as log:
            # The real clock: a pinned TRACKER_NOW may be the very thing that failed.
            stamp = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
            log.write(f"--- {format_utc(stamp)} tracker {__version__} argv={sys.argv!r}\n")
            log.write("".join(traceback.format_exception(exc)))
        return str(path)
    except Exception:
        return "(the log could not be written)"


def _error(lines: Iterable[str]) -> None:
    for line in lines:
        sys.stderr.write(f"{PROG}: error: {one_line(line)}\n")


def _streams_that_never_fail() -> None:
    """Output degrades, never fails: a closed stream (`tracker list >&-`) writes nowhere,
    and a character the encoding lacks (PYTHONIOENCODING=ascii, a latin-1 terminal) is
    replaced rather than raising. CSV, JSON and TOML go out as UTF-8 bytes regardless.
    """
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115
            continue
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with suppress(Exception):
                reconfigure(errors="replace")


_WRITE_FAILURES = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO}


def main(argv: Sequence[str] | None = None, *, out: IO[str] | None = None) -> int:
    """Run one command; return its exit status."""
    _streams_that_never_fail()
    stream = out if out is not None else sys.stdout
    try:
        parser, commands = build_parser()
        args = parser.parse_args(list(argv) if argv is not None else None)
        read_only = read_only_from(args)
        run = commands[args.command] if args.command is not None else None
        writes = run is not None and command_writes(run, args)
        if read_only and writes:
            # Refused before the store is opened or any file read: nothing can change.
            raise ReadOnlyError(
                f"{read_only}: '{args.command}' would change the store; nothing was changed"
            )
        ctx = Context(
            args=args,
            settings=settings_from_args(args),
            user=user_from_args(args),
            out=stream,
            read_only=read_only is not None,
            writes=writes,
            command=args.command or "",
        )
        if run is None:
            return cmd_tui(ctx)
        return run(ctx)
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
