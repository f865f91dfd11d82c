"""The values the SQL rules are bound to, worked out once for both readers (stdlib only).

tracker/storage/sqlrules.py writes the rules and filters as SQLAlchemy expressions whose
every value is a named parameter; the Store binds them from `parameters`, and the light
reader (fastread.py) runs the same expressions compiled to SQLite text with the same
dictionary. So a threshold, a status list or the escaping of a search term is decided
here and nowhere else.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from tracker.domain.records import Filters
from tracker.domain.rules import OPEN_STATUSES, RuleSettings

__all__ = ["CONSTANTS", "LIKE_ESCAPE", "like_term", "parameters"]

# The statuses the rules name, as parameters (never inlined, so both readers send them
# alike and the store's query plans stay as they were measured).
CONSTANTS: dict[str, Any] = {
    "s_open": sorted(OPEN_STATUSES),
    "s_working": ["not_started", "in_progress"],
    "s_not_started": "not_started",
    "s_in_progress": "in_progress",
    "s_blocked": "blocked",
    "s_complete": "complete",
    "s_cancelled": "cancelled",
}
LIKE_ESCAPE = "/"


def like_term(term: str) -> str:
    """A LIKE pattern body matching `term` literally, with `/` as the escape character."""
    return term.replace("/", "//").replace("%", "/%").replace("_", "/_")


def parameters(filters: Filters, settings: RuleSettings) -> dict[str, Any]:
    """Every named parameter of the rules and of `filters`, by name."""
    values: dict[str, Any] = dict(CONSTANTS)
    values["today"] = settings.today
    values["red_before"] = settings.red_before
    values["due_soon_limit"] = settings.due_soon_limit
    values["stale_before"] = settings.stale_before
    values["plan"] = filters.plan
    values["rec"] = filters.rec
    values["owner"] = like_term(filters.owner) if filters.owner else None
    values["owner_is"] = filters.owner_is
    values["statuses"] = list(filters.statuses)
    values["search"] = like_term(filters.search) if filters.search else None
    return values


def as_text(values: dict[str, Any]) -> dict[str, Any]:
    """The parameters as SQLAlchemy stores them in SQLite: days and times as text that
    compares as they do."""
    return {k: _text(v) for k, v in values.items()}


def _text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value
