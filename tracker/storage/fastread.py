"""Reads for `list`, `overdue` and `export` straight from a SQLite store, without the ORM.

Each command is a new process, and importing SQLAlchemy and SQLModel costs more than
answering the query itself at 10,000 actions. This reader runs the query of
`Store.iter_actions` on the standard library's sqlite3 and returns the same `ActionRow`
values in the same order, with the same filters and rules; tests/test_fastread.py proves
it against the Store. It serves only a SQLite file at the schema it was written for; for
anything else (PostgreSQL, a missing file, another schema) the caller uses the Store.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from tracker.domain.errors import StoreBusyError, StoreError, ValidationError
from tracker.domain.records import ActionRow, Filters, ViewCounts
from tracker.domain.rules import (
    RAG_RANKS,
    RAG_UNRATED_RANK,
    RAG_UNRATED_RANK_DESCENDING,
    STATUSES,
    RuleSettings,
    days_overdue,
    is_due_soon,
    rag,
)
from tracker.storage.location import (
    BUSY_TIMEOUT_SECONDS,
    read_only_query,
    store_file,
    use_unicode_lower,
)

__all__ = [
    "READS_SCHEMA",
    "FastReader",
    "Reader",
]


# The store schema this reader understands (models.SCHEMA_VERSION when it was written).
READS_SCHEMA = 1

_OPEN = ("blocked", "in_progress", "not_started")
_WORKING = ("not_started", "in_progress")

_SELECT = (
    "SELECT a.id, p.key, p.authority, r.ref, r.title, a.ref, a.description, a.owner,"
    " a.partner, a.start, a.deadline, a.original_deadline, a.status, a.progress, a.measure,"
    " a.evidence, a.notes, a.revisions, a.version, a.updated_at, a.updated_by"
    ' FROM action AS a JOIN "plan" AS p ON p.id = a.plan_id'
    " JOIN recommendation AS r ON r.id = a.recommendation_id"
)
_COUNTS = (
    "SELECT a.status, a.deadline, count(*)"
    ' FROM action AS a JOIN "plan" AS p ON p.id = a.plan_id'
    " JOIN recommendation AS r ON r.id = a.recommendation_id"
)
# Sortable view columns, as in store.SORT_COLUMNS ("rag" is worked out: see `_rag_rank`).
_SORT_COLUMNS = {
    "ref": "a.order_key",
    "description": "a.description",
    "owner": "a.owner",
    "deadline": "a.deadline",
    "status": "a.status",
    "progress": "a.progress",
}


class Reader(Protocol):
    """What `list`, `overdue` and `export` need from a store: the Store or a FastReader."""

    def iter_actions(
        self,
        *,
        filters: Filters | None = None,
        settings: RuleSettings,
        sort: str | None = None,
        descending: bool = False,
    ) -> Iterator[ActionRow]: ...

    def view_counts(
        self, *, filters: Filters | None = None, settings: RuleSettings
    ) -> ViewCounts: ...

    def plan_keys(self) -> list[str]: ...

    def close(self) -> None: ...


def _like(term: str) -> str:
    """A LIKE pattern body with `/` as escape, as SQLAlchemy's autoescape writes it."""
    return term.replace("/", "//").replace("%", "/%").replace("_", "/_")


def _contains(column: str) -> str:
    return f"(lower({column}) LIKE '%' || lower(?) || '%' ESCAPE '/')"


def _marks(values: tuple[str, ...]) -> str:
    return ", ".join("?" * len(values))


def _rag_where(value: str, settings: RuleSettings) -> tuple[str, list[Any]]:
    """The clause for one RAG, as store.rag_clause writes it."""
    today = settings.today.isoformat()
    red_before = settings.red_before.isoformat()
    limit = settings.due_soon_limit.isoformat()
    working = "a.status IN (?, ?)"
    rag_value = value.upper()
    if rag_value == "BLUE":
        return "a.status = 'complete'", []
    if rag_value == "RED":
        return f"(a.status = 'blocked' OR ({working} AND a.deadline < ?))", [*_WORKING, red_before]
    if rag_value == "AMBER":
        return (
            f"({working} AND ((a.deadline < ? AND a.deadline >= ?) OR"
            " (a.status = 'not_started' AND a.deadline >= ? AND a.deadline <= ?)))",
            [*_WORKING, today, red_before, today, limit],
        )
    if rag_value == "GREEN":
        return (
            f"({working} AND a.deadline >= ? AND (a.status = 'in_progress' OR a.deadline > ?))",
            [*_WORKING, today, limit],
        )
    if rag_value in ("NONE", ""):
        return "a.status = 'cancelled'", []
    raise ValidationError(f"{value!r} is not a RAG: use RED, AMBER, GREEN or BLUE", field="rag")


def where_clause(filters: Filters, settings: RuleSettings) -> tuple[str, list[Any]]:
    """The WHERE clause and its parameters for a set of filters (store.filter_clauses)."""
    parts: list[str] = []
    params: list[Any] = []
    if filters.plan:
        parts.append("p.key = ?")
        params.append(filters.plan)
    if filters.rec:
        parts.append("r.ref = ?")
        params.append(filters.rec)
    if filters.owner:
        parts.append(_contains("a.owner"))
        params.append(_like(filters.owner))
    if filters.statuses:
        for status in filters.statuses:
            if status not in STATUSES:
                raise ValidationError(
                    f"{status!r} is not a status: use one of {', '.join(STATUSES)}",
                    field="status",
                )
        parts.append(f"a.status IN ({_marks(filters.statuses)})")
        params.extend(filters.statuses)
    if filters.rag:
        clause, values = _rag_where(filters.rag, settings)
        parts.append(clause)
        params.extend(values)
    if filters.overdue:
        parts.append(f"a.status IN ({_marks(_OPEN)}) AND a.deadline < ?")
        params.extend((*_OPEN, settings.today.isoformat()))
    if filters.due_soon:
        parts.append(f"a.status IN ({_marks(_OPEN)}) AND a.deadline >= ? AND a.deadline <= ?")
        params.extend((*_OPEN, settings.today.isoformat(), settings.due_soon_limit.isoformat()))
    if filters.stale:
        parts.append(f"a.status IN ({_marks(_OPEN)}) AND a.updated_at < ?")
        params.extend((*_OPEN, _stamp(settings.stale_before)))
    if filters.search:
        term = _like(filters.search)
        parts.append(
            f"({_contains('a.ref')} OR {_contains('a.description')} OR {_contains('a.owner')})"
        )
        params.extend((term, term, term))
    if not parts:
        return "", params
    return " WHERE " + " AND ".join(parts), params


def _stamp(moment: datetime) -> str:
    """A naive UTC time as SQLAlchemy stores a DateTime in SQLite, so text compares as time."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _rag_rank(settings: RuleSettings, descending: bool) -> tuple[str, list[Any]]:
    """The RAG rank (rules.RAG_RANKS) as store.rag_rank orders by it, with its parameters."""
    whens: list[str] = []
    params: list[Any] = []
    for word, rank in RAG_RANKS.items():
        clause, values = _rag_where(word, settings)
        whens.append(f"WHEN {clause} THEN {rank}")
        params.extend(values)
    unrated = RAG_UNRATED_RANK_DESCENDING if descending else RAG_UNRATED_RANK
    return f"(CASE {' '.join(whens)} ELSE {unrated} END)", params


def _order_by(sort: str | None, descending: bool, settings: RuleSettings) -> tuple[str, list[Any]]:
    """The ORDER BY clause and its parameters, as Store._rows_select orders rows."""
    keys = []
    params: list[Any] = []
    if sort and sort != "ref":
        if sort == "rag":
            column, params = _rag_rank(settings, descending)
        else:
            found = _SORT_COLUMNS.get(sort)
            if found is None:
                raise ValidationError(f"cannot sort by {sort!r}", field="sort")
            column = found
        keys.append(f"{column} DESC" if descending else f"{column} ASC")
    keys.append("a.order_key DESC" if descending and sort == "ref" else "a.order_key")
    return " ORDER BY " + ", ".join(keys), params


class FastReader:
    """Read-only access to one SQLite store file through the standard library."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.location = str(path)

    @classmethod
    def open(cls, db: str | None, *, any_thread: bool = False) -> FastReader | None:
        """A reader for the store `db` names, or None when the Store must serve it.

        With `any_thread` the reader may be used from a thread other than the one that
        opened it (one thread at a time), as a screen's background loads need.
        """
        path = store_file(db)
        if path is None or not path.is_file():
            return None
        try:
            conn = sqlite3.connect(
                f"{path.as_uri()}?{read_only_query(path)}",
                uri=True,
                timeout=BUSY_TIMEOUT_SECONDS,
                check_same_thread=not any_thread,
            )
        except sqlite3.Error:
            return None
        use_unicode_lower(conn)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except sqlite3.Error:
            row = None
        if row is None or row[0] != str(READS_SCHEMA):
            conn.close()
            return None
        return cls(conn, path)

    def close(self) -> None:
        self._conn.close()

    def _execute(self, sql: str, params: list[Any]) -> sqlite3.Cursor:
        try:
            return self._conn.execute(sql, params)
        except sqlite3.OperationalError as exc:
            raise self._error(exc) from None

    def _error(self, exc: sqlite3.Error) -> StoreError:
        text = str(exc)
        if "locked" in text or "busy" in text:
            return StoreBusyError(
                f"{self.location}: the store is busy: another user is writing; try again"
            )
        return StoreError(f"{self.location}: {text}")

    def iter_actions(
        self,
        *,
        filters: Filters | None = None,
        settings: RuleSettings,
        sort: str | None = None,
        descending: bool = False,
    ) -> Iterator[ActionRow]:
        """Actions matching `filters`, in natural order (or by `sort`), streamed."""
        where, params = where_clause(filters or Filters(), settings)
        order, order_params = _order_by(sort, descending, settings)
        cursor = self._execute(_SELECT + where + order, [*params, *order_params])
        return _rows(cursor, self)

    def page_actions(
        self,
        *,
        filters: Filters | None = None,
        settings: RuleSettings,
        offset: int = 0,
        limit: int = 200,
        sort: str | None = None,
        descending: bool = False,
    ) -> list[ActionRow]:
        """One page of a view, as Store.page_actions returns it."""
        where, params = where_clause(filters or Filters(), settings)
        order, order_params = _order_by(sort, descending, settings)
        sql = _SELECT + where + order + " LIMIT ? OFFSET ?"
        return list(_rows(self._execute(sql, [*params, *order_params, limit, offset]), self))

    def plan_keys(self) -> list[str]:
        """The plans' keys, as Store.plan_keys gives them."""
        return [key for (key,) in self._execute("SELECT key FROM plan ORDER BY sort_key", [])]

    def view_counts(self, *, filters: Filters | None = None, settings: RuleSettings) -> ViewCounts:
        """The counts of Store.view_counts, with the rules applied to each status and deadline."""
        where, params = where_clause(filters or Filters(), settings)
        sql = _COUNTS + where + " GROUP BY a.status, a.deadline"
        counts = ViewCounts()
        today = settings.today
        for status, deadline_text, n in self._execute(sql, params):
            deadline = date.fromisoformat(deadline_text)
            counts.total += n
            if days_overdue(status, deadline, today):
                counts.overdue += n
            if is_due_soon(status, deadline, settings):
                counts.due_soon += n
            if status == "blocked":
                counts.blocked += n
            elif status == "complete":
                counts.complete += n
            rating = rag(status, deadline, settings)
            if rating is not None:
                counts.rag[rating.value] = counts.rag.get(rating.value, 0) + n
        return counts


def _rows(cursor: sqlite3.Cursor, reader: FastReader) -> Iterator[ActionRow]:
    """Rows as ActionRow, dates and times typed as the Store returns them."""
    days: dict[str, date] = {}
    day = date.fromisoformat
    stamp = datetime.fromisoformat
    make = ActionRow._make
    try:
        for row in cursor:
            start, deadline, original = row[9], row[10], row[11]
            if start is not None:
                start = days.get(start) or days.setdefault(start, day(start))
            deadline = days.get(deadline) or days.setdefault(deadline, day(deadline))
            if original is not None:
                original = days.get(original) or days.setdefault(original, day(original))
            yield make(
                (
                    *row[:9],
                    start,
                    deadline,
                    original,
                    *row[12:19],
                    stamp(row[19]),
                    row[20],
                )
            )
    except sqlite3.OperationalError as exc:
        raise reader._error(exc) from None
    finally:
        # A reader that stops early (`tracker list | head`) may have closed the
        # connection already; the cursor went with it.
        with contextlib.suppress(sqlite3.ProgrammingError):
            cursor.close()
