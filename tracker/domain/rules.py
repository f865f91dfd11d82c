"""The product's rules as pure functions of an action's status and deadline and `today`.

Overdue, days overdue, due soon, RAG, roll-ups and the natural order of refs. Nothing here
touches the store, so the same rules serve the CLI, the CSV snapshot, the TUI and tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

__all__ = [
    "DEFAULT_DUE_SOON_DAYS",
    "DEFAULT_TOLERANCE_DAYS",
    "DEFAULT_UPDATE_DAYS",
    "OPEN_STATUSES",
    "RAG_RANKS",
    "RAG_UNRATED_RANK",
    "RAG_UNRATED_RANK_DESCENDING",
    "STATUSES",
    "Rag",
    "RuleSettings",
    "Status",
    "days_overdue",
    "days_since_update",
    "is_due_soon",
    "is_open",
    "is_overdue",
    "is_stale",
    "natural_key",
    "rag",
    "roll_up",
    "sort_key",
]

DEFAULT_DUE_SOON_DAYS = 14
DEFAULT_TOLERANCE_DAYS = 30
DEFAULT_UPDATE_DAYS = 31

# A view sorted by RAG: worst first. An action with no RAG (cancelled) comes after every
# rated action whichever way the view is ordered, so it ranks 5 going up and 0 going down.
RAG_RANKS: dict[str, int] = {"RED": 1, "AMBER": 2, "GREEN": 3, "BLUE": 4}
RAG_UNRATED_RANK = 5
RAG_UNRATED_RANK_DESCENDING = 0


class Status(StrEnum):
    """An action's status; the first three are open."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    COMPLETE = "complete"
    CANCELLED = "cancelled"


class Rag(StrEnum):
    """Red, amber, green or blue: always shown as the word as well as a colour."""

    RED = "RED"
    AMBER = "AMBER"
    GREEN = "GREEN"
    BLUE = "BLUE"


STATUSES: tuple[str, ...] = tuple(s.value for s in Status)
OPEN_STATUSES: frozenset[str] = frozenset({"not_started", "in_progress", "blocked"})


@dataclass(frozen=True, slots=True)
class RuleSettings:
    """The date the rules are judged at and the thresholds users may change."""

    today: date
    due_soon_days: int = DEFAULT_DUE_SOON_DAYS
    tolerance_days: int = DEFAULT_TOLERANCE_DAYS
    update_days: int = DEFAULT_UPDATE_DAYS

    @property
    def due_soon_limit(self) -> date:
        """The last deadline that still counts as due soon."""
        try:
            return self.today + timedelta(days=self.due_soon_days)
        except OverflowError:  # a today near the end of the calendar
            return date.max

    @property
    def red_before(self) -> date:
        """Open actions whose deadline is before this date are overdue beyond tolerance."""
        try:
            return self.today - timedelta(days=self.tolerance_days)
        except OverflowError:  # a today near the start of the calendar
            return date.min

    @property
    def stale_before(self) -> datetime:
        """Open actions last touched before this moment (naive UTC) are stale.

        Days are whole days in UTC, the clock history is kept in: an action last touched
        on any time of the day `update_days` before today is exactly `update_days` old and
        not yet stale; one touched the day before that is.
        """
        try:
            return datetime.combine(self.today - timedelta(days=self.update_days), time())
        except OverflowError:  # a today near the start of the calendar
            return datetime.min


def is_open(status: str) -> bool:
    """Not started, in progress or blocked."""
    return status in OPEN_STATUSES


def is_overdue(status: str, deadline: date, today: date) -> bool:
    """Open and past its deadline; an action is due at the end of its deadline day."""
    return status in OPEN_STATUSES and deadline < today


def days_overdue(status: str, deadline: date, today: date) -> int:
    """Whole days past the deadline for an overdue action, else 0."""
    if status in OPEN_STATUSES and deadline < today:
        return (today - deadline).days
    return 0


def days_since_update(last_touched: datetime, today: date) -> int:
    """Whole days from the day an action was last touched (UTC) to `today`; never negative."""
    return max((today - last_touched.date()).days, 0)


def is_stale(status: str, last_touched: datetime, settings: RuleSettings) -> bool:
    """Open and not touched (no history entry of any kind) for more than `update_days`.

    `last_touched` is the time of the action's latest history entry, or of its creation
    or import: the action's `updated_at`, which every write sets with its entries.
    """
    return status in OPEN_STATUSES and last_touched < settings.stale_before


def is_due_soon(status: str, deadline: date, settings: RuleSettings) -> bool:
    """Open, not overdue, and due within `due_soon_days` of today."""
    return status in OPEN_STATUSES and settings.today <= deadline <= settings.due_soon_limit


def rag(status: str, deadline: date, settings: RuleSettings) -> Rag | None:
    """The RAG rating of one action; None for a cancelled action."""
    if status == "complete":
        return Rag.BLUE
    if status == "cancelled":
        return None
    if status == "blocked":
        return Rag.RED
    late = days_overdue(status, deadline, settings.today)
    if late > settings.tolerance_days:
        return Rag.RED
    if late > 0:
        return Rag.AMBER
    if status == "not_started" and deadline <= settings.due_soon_limit:
        return Rag.AMBER
    return Rag.GREEN


_ROLL_ORDER = (Rag.RED, Rag.AMBER, Rag.GREEN)


def roll_up(ratings: Iterable[Rag | None]) -> Rag | None:
    """A recommendation's or plan's RAG from its actions' RAGs (None for cancelled ones).

    RED if any open action is RED, else AMBER, else GREEN if any is open, else BLUE: with
    nothing left open (every action complete or cancelled) the work is done. None only
    when there are no actions at all.
    """
    seen = set(ratings)
    if not seen:
        return None
    for level in _ROLL_ORDER:
        if level in seen:
            return level
    return Rag.BLUE


_PARTS = re.compile(r"(\d+)")


def natural_key(ref: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key that compares numbers as numbers: R1.2 before R1.10."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part.casefold())
        for part in _PARTS.split(ref)
        if part
    )


def sort_key(ref: str) -> str:
    """A string that sorts under plain code-point comparison exactly as `natural_key` does.

    Stored in an indexed column (compared byte by byte, collation "C" on PostgreSQL) so
    the store can order 100,000 actions in SQL. A run of digits becomes a low marker, a
    letter giving its length, and the digits without leading zeros, so numbers compare as
    numbers and sort before text; text is folded to lower case. A lower marker and the ref
    itself end the key, so a shorter ref sorts first and refs that differ only in case or
    leading zeros still sort stably. Refs and plan keys never hold control characters, so
    the markers sort below any text.
    """
    parts = []
    for part in _PARTS.split(ref):
        if not part:
            continue
        if part.isdigit():
            digits = part.lstrip("0") or "0"
            parts.append("\x02" + chr(0x40 + len(digits)) + digits)
        else:
            parts.append(part.casefold())
    return "".join(parts) + "\x01" + ref
