"""Argument types and the option groups shared by the commands.

A bad value is a usage error: one `tracker: error:` line and exit 2.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, NoReturn

from tracker.domain.errors import UsageError
from tracker.domain.rules import (
    DEFAULT_DUE_SOON_DAYS,
    DEFAULT_TOLERANCE_DAYS,
    DEFAULT_UPDATE_DAYS,
    STATUSES,
)


class Parser(argparse.ArgumentParser):
    """argparse that reports a bad command line as one `tracker: error:` line, exit 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def int_arg(name: str, low: int, high: int) -> Callable[[str], int]:
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


def status_arg(text: str) -> str:
    value = text.strip().lower().replace(" ", "_").replace("-", "_")
    if value not in STATUSES:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a status: use one of {', '.join(STATUSES)}"
        )
    return value


def rag_arg(text: str) -> str:
    value = text.strip().upper()
    if value not in ("RED", "AMBER", "GREEN", "BLUE"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a RAG: use RED, AMBER, GREEN or BLUE")
    return value


def text_arg(name: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if "\x00" in text:
            raise argparse.ArgumentTypeError(f"{name} must not contain a NUL character")
        return text

    return parse


def add_globals(parser: argparse.ArgumentParser, *, top: bool) -> None:
    # On subcommands the defaults are SUPPRESSed so they never overwrite a value given
    # before the command name (`tracker --db x list` and `tracker list --db x` both work).
    default: Any = None if top else argparse.SUPPRESS
    group = parser.add_argument_group("store and clock")
    group.add_argument(
        "--read-only",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="change nothing: reads work, a command that would write refuses "
        "(else TRACKER_READ_ONLY=1)",
    )
    group.add_argument(
        "--db", metavar="PATH|URL", default=default, help="the store (else TRACKER_DB)"
    )
    group.add_argument("--today", metavar="DATE", default=default, help="judge dates as at DATE")
    group.add_argument("--user", metavar="NAME", default=default, help="who makes the change")
    group.add_argument(
        "--due-soon-days",
        type=int_arg("--due-soon-days", 0, 3650),
        metavar="N",
        default=default,
        help=f"days ahead that count as due soon (default {DEFAULT_DUE_SOON_DAYS})",
    )
    group.add_argument(
        "--tolerance-days",
        type=int_arg("--tolerance-days", 0, 3650),
        metavar="N",
        default=default,
        help=f"days overdue before an action turns RED (default {DEFAULT_TOLERANCE_DAYS})",
    )
    group.add_argument(
        "--update-days",
        type=int_arg("--update-days", 0, 3650),
        metavar="N",
        default=default,
        help=f"days without an update before an open action is stale (default "
        f"{DEFAULT_UPDATE_DAYS})",
    )


def add_filters(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("filters")
    group.add_argument("--plan", metavar="KEY", help="only this plan")
    group.add_argument("--rec", metavar="REF", help="only this recommendation")
    group.add_argument("--owner", metavar="TEXT", help="owner contains TEXT (any case)")
    group.add_argument(
        "--status", type=status_arg, action="append", metavar="S", help="status S (repeatable)"
    )
    group.add_argument("--rag", type=rag_arg, metavar="R", help="RED, AMBER, GREEN or BLUE")
    group.add_argument("--overdue", action="store_true", help="only overdue actions")
    group.add_argument("--due-soon", action="store_true", help="only actions due soon")
    group.add_argument("--search", metavar="TEXT", help="ref, description or owner contains TEXT")
    group.add_argument(
        "--stale", action="store_true", help="only open actions not updated within --update-days"
    )


def add_snapshot_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as-of", metavar="DATE", help="the actions as they stood at the end of DATE"
    )
    parser.add_argument(
        "--slippage",
        action="store_true",
        help="CSV/JSON: add slippage_days and revisions after the snapshot's columns",
    )


CommandAdder = Callable[[str, str], argparse.ArgumentParser]
"""`command(name, help)`: adds a subcommand with the global options and returns its parser."""
