"""The list filters and view orders as plain rules: which are valid, and a row's match.

Both store readers turn a `Filters` into SQL (tracker/storage/sqlrules.py), and rows
rebuilt from history as at a date are filtered here in Python. The checks of what a user
may ask for (a status, a RAG word, a sort) live here once, so every door refuses the same
input with the same words.
"""

from __future__ import annotations

from tracker.domain.errors import ValidationError
from tracker.domain.records import ActionRow, Filters
from tracker.domain.rules import (
    RAG_RANKS,
    STATUSES,
    RuleSettings,
    is_due_soon,
    is_overdue,
    is_stale,
    rag,
)

__all__ = [
    "FILTER_KEYS",
    "RAG_FILTERS",
    "SORTS",
    "active_filters",
    "check_statuses",
    "matches",
    "ordering",
    "rag_filter",
]

# What a view may be sorted by; "ref" is the natural order.
SORTS: tuple[str, ...] = ("ref", "description", "owner", "deadline", "status", "progress", "rag")
# The RAG a filter may ask for: a word, or NONE for the cancelled actions that have none.
RAG_FILTERS: tuple[str, ...] = (*RAG_RANKS, "NONE")
# One key per WHERE clause a set of filters can add (rag:WORD for each RAG filter).
FILTER_KEYS: tuple[str, ...] = (
    "plan",
    "rec",
    "owner",
    "owner_is",
    "statuses",
    *(f"rag:{word}" for word in RAG_FILTERS),
    "overdue",
    "due_soon",
    "stale",
    "search",
)


def check_statuses(statuses: tuple[str, ...]) -> None:
    """Refuse a status filter that names no status."""
    for status in statuses:
        if status not in STATUSES:
            raise ValidationError(
                f"{status!r} is not a status: use one of {', '.join(STATUSES)}", field="status"
            )


def rag_filter(value: str) -> str:
    """The RAG word a filter asks for (RED, AMBER, GREEN, BLUE or NONE), checked."""
    word = value.upper() or "NONE"
    if word not in RAG_FILTERS:
        raise ValidationError(f"{value!r} is not a RAG: use RED, AMBER, GREEN or BLUE", field="rag")
    return word


def active_filters(filters: Filters) -> list[str]:
    """The FILTER_KEYS a set of filters turns on, in a fixed order; bad values are refused."""
    keys: list[str] = []
    if filters.plan:
        keys.append("plan")
    if filters.rec:
        keys.append("rec")
    if filters.owner:
        keys.append("owner")
    if filters.owner_is is not None:
        keys.append("owner_is")
    if filters.statuses:
        check_statuses(filters.statuses)
        keys.append("statuses")
    if filters.rag:
        keys.append(f"rag:{rag_filter(filters.rag)}")
    if filters.overdue:
        keys.append("overdue")
    if filters.due_soon:
        keys.append("due_soon")
    if filters.stale:
        keys.append("stale")
    if filters.search:
        keys.append("search")
    return keys


def ordering(sort: str | None, descending: bool) -> tuple[str, bool]:
    """The (sort, descending) a view is ordered by; no sort is the natural order, ascending."""
    if not sort:
        return "ref", False
    if sort not in SORTS:
        raise ValidationError(f"cannot sort by {sort!r}", field="sort")
    return sort, descending


def matches(row: ActionRow, filters: Filters, settings: RuleSettings) -> bool:
    """The filters applied in Python (to rows rebuilt as at a date), as the SQL applies them."""
    if filters.plan and row.plan_key != filters.plan:
        return False
    if filters.rec and row.rec_ref != filters.rec:
        return False
    if filters.owner and filters.owner.casefold() not in row.owner.casefold():
        return False
    if filters.owner_is is not None and row.owner != filters.owner_is:
        return False
    if filters.statuses and row.status not in filters.statuses:
        return False
    if filters.rag:
        rating = rag(row.status, row.deadline, settings)
        if (rating.value if rating else "NONE") != rag_filter(filters.rag):
            return False
    if filters.overdue and not is_overdue(row.status, row.deadline, settings.today):
        return False
    if filters.due_soon and not is_due_soon(row.status, row.deadline, settings):
        return False
    if filters.stale and not is_stale(row.status, row.updated_at, settings):
        return False
    if filters.search:
        term = filters.search.casefold()
        if not any(term in v.casefold() for v in (row.ref, row.description, row.owner)):
            return False
    return True
