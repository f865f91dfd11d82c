"""Plain shapes that cross the store's boundary: rows, filters, changes, history entries.

Nothing here imports SQLAlchemy, so the CSV writer, the CLI's formatting and the TUI can
use them without paying for the ORM.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from tracker.domain.rules import (
    Rag,
    RuleSettings,
    days_overdue,
    days_since_update,
    is_due_soon,
    is_overdue,
    is_stale,
    rag,
)

__all__ = [
    "ActionChanges",
    "ActionRow",
    "Filters",
    "HistoryEntry",
    "PlanSummary",
    "TreeNode",
    "UpdateResult",
    "ViewCounts",
]


class ActionRow(NamedTuple):
    """One action with its plan and recommendation, as the store returns it."""

    id: int
    plan_key: str
    authority: str
    rec_ref: str
    rec_title: str
    ref: str
    description: str
    owner: str
    partner: str | None
    start: date | None
    deadline: date
    original_deadline: date | None
    status: str
    progress: int
    measure: str | None
    evidence: str | None
    notes: str | None
    revisions: int
    version: int
    updated_at: datetime
    updated_by: str

    @property
    def address(self) -> str:
        """`PLAN-KEY:REF`, the way users name an action."""
        return f"{self.plan_key}:{self.ref}"

    def rag(self, settings: RuleSettings) -> Rag | None:
        return rag(self.status, self.deadline, settings)

    def overdue(self, today: date) -> bool:
        return is_overdue(self.status, self.deadline, today)

    def days_overdue(self, today: date) -> int:
        return days_overdue(self.status, self.deadline, today)

    def due_soon(self, settings: RuleSettings) -> bool:
        return is_due_soon(self.status, self.deadline, settings)

    def stale(self, settings: RuleSettings) -> bool:
        """Open with no update for more than `update_days` (see rules.is_stale)."""
        return is_stale(self.status, self.updated_at, settings)

    def days_since_update(self, today: date) -> int:
        return days_since_update(self.updated_at, today)

    @property
    def slippage_days(self) -> int:
        """Days the deadline has moved from its original date (0 if never revised)."""
        if self.original_deadline is None:
            return 0
        return (self.deadline - self.original_deadline).days


@dataclass(frozen=True, slots=True)
class Filters:
    """Which actions a list, export or view shows. Empty means no restriction."""

    plan: str | None = None
    rec: str | None = None
    owner: str | None = None
    statuses: tuple[str, ...] = ()
    rag: str | None = None
    overdue: bool = False
    due_soon: bool = False
    search: str | None = None
    stale: bool = False
    # Exactly this owner text (one owner's own list, from the owners screen); `owner` is
    # the any-case substring a user types.
    owner_is: str | None = None


@dataclass(frozen=True, slots=True)
class ActionChanges:
    """What a user asked to change on one action; None leaves a field as it is."""

    status: str | None = None
    progress: int | None = None
    owner: str | None = None
    deadline: date | None = None
    reason: str | None = None
    evidence: str | None = None
    note: str | None = None
    description: str | None = None
    measure: str | None = None
    partner: str | None = None
    start: date | None = None
    notes: str | None = None
    # Empty text clears partner, measure, evidence or notes; a start is cleared by this flag.
    clear_start: bool = False

    def is_empty(self) -> bool:
        return not self.clear_start and all(
            v is None
            for v in (
                self.status,
                self.progress,
                self.owner,
                self.deadline,
                self.evidence,
                self.note,
                self.description,
                self.measure,
                self.partner,
                self.start,
                self.notes,
            )
        )


class HistoryEntry(NamedTuple):
    """One change to one field of an action."""

    id: int
    action_id: int
    at: datetime
    by: str
    field: str
    old: str | None
    new: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class UpdateResult:
    """What an update wrote: the history entries (none means no change) and the new row."""

    entries: list[HistoryEntry]
    row: ActionRow

    @property
    def changed(self) -> bool:
        return bool(self.entries)


@dataclass(slots=True)
class ViewCounts:
    """The summary line of a view: how many actions, and how many of each kind."""

    total: int = 0
    overdue: int = 0
    due_soon: int = 0
    blocked: int = 0
    complete: int = 0
    rag: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class PlanSummary:
    """One plan with its counts by RAG and overdue, for `tracker plans`."""

    key: str
    authority: str
    title: str
    actions: int
    counts: ViewCounts
    progress: float | None
    rag: Rag | None


@dataclass(slots=True)
class TreeNode:
    """A plan or recommendation in the navigation tree, with its roll-up."""

    kind: str  # "plan" or "recommendation"
    plan_key: str
    ref: str | None
    title: str
    rag: Rag | None
    progress: float | None
    actions: int
    overdue: int
    children: list[TreeNode] = field(default_factory=list)
