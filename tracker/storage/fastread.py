"""Reads for `list`, `overdue` and `export` straight from a SQLite store, without the ORM.

Each command is a new process, and importing SQLAlchemy and SQLModel costs more than
answering the query itself at 10,000 actions. This reader runs the query of
`Store.iter_actions` (tracker/storage/sqlrules.py, compiled once to SQLite text in
sqlite_sql.py) on the standard library's sqlite3 and returns the same `ActionRow`
values in the same order, with the same filters and rules; tests/test_fastread.py proves
it against the Store. It serves only a SQLite file at the schema it was written for; for
anything else (PostgreSQL, a missing file, another schema) the caller uses the Store.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from tracker.domain.errors import StoreError
from tracker.domain.filtering import active_filters, ordering
from tracker.domain.records import ActionRow, Filters, ViewCounts
from tracker.domain.rules import RuleSettings, days_overdue, is_due_soon, rag
from tracker.storage import sqlite_sql as sql
from tracker.storage.driver_errors import store_error
from tracker.storage.location import (
    BUSY_TIMEOUT_SECONDS,
    damaged,
    read_only_query,
    store_file,
    use_unicode_lower,
)
from tracker.storage.ruleparams import as_text, parameters

__all__ = [
    "READS_SCHEMA",
    "FastReader",
    "Reader",
]


# The store schema this reader understands (models.SCHEMA_VERSION when it was written).
READS_SCHEMA = 1

# Where the typed fields sit in an ActionRow (and so in a row of sqlite_sql.ROWS).
_START = ActionRow._fields.index("start")
_DEADLINE = ActionRow._fields.index("deadline")
_ORIGINAL = ActionRow._fields.index("original_deadline")
_UPDATED_AT = ActionRow._fields.index("updated_at")
assert (_START, _DEADLINE, _ORIGINAL) == (9, 10, 11)
assert len(ActionRow._fields) - 2 == _UPDATED_AT

_EXPANDING = re.compile(r"__\[POSTCOMPILE_(\w+)\]")


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


def where_clause(filters: Filters, settings: RuleSettings) -> tuple[str, dict[str, Any]]:
    """The WHERE clause of sqlrules.filter_clauses, as SQLite text, and its parameters."""
    keys = active_filters(filters)
    params = as_text(parameters(filters, settings))
    if not keys:
        return "", params
    return " WHERE " + " AND ".join(f"({sql.WHERE[key]})" for key in keys), params


def _order_by(sort: str | None, descending: bool) -> str:
    """The ORDER BY of sqlrules.order_by, as SQLite text."""
    return " ORDER BY " + sql.ORDER_BY[ordering(sort, descending)]


def _expand(text: str, params: dict[str, Any]) -> str:
    """Write out each list parameter as one placeholder per item, as SQLAlchemy does."""
    lists = {k: v for k, v in params.items() if isinstance(v, list)}

    def items(match: re.Match[str]) -> str:
        name = match.group(1)
        names = [f"{name}_{i}" for i in range(1, len(lists[name]) + 1)]
        return ", ".join(f":{n}" for n in names)

    for name, values in lists.items():
        del params[name]
        params.update((f"{name}_{i}", v) for i, v in enumerate(values, start=1))
    return _EXPANDING.sub(items, text)


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
            tables = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                "('meta', 'plan', 'recommendation', 'action', 'history')"
            ).fetchone()
        except sqlite3.Error:
            row = tables = None
        # Anything unusual (another schema, a lost table) is for the Store to judge and say.
        if row is None or row[0] != str(READS_SCHEMA) or tables is None or tables[0] != 5:
            conn.close()
            return None
        return cls(conn, path)

    def close(self) -> None:
        self._conn.close()

    def _execute(self, text: str, params: dict[str, Any]) -> sqlite3.Cursor:
        text = _expand(text, params)
        try:
            return self._conn.execute(text, params)
        except sqlite3.OperationalError as exc:
            raise self._error(exc) from None

    def _error(self, exc: sqlite3.Error | ValueError) -> StoreError:
        if isinstance(exc, ValueError):  # a stored value that cannot be read back
            return StoreError(damaged(self.location, str(exc)))
        return store_error(self.location, str(exc))

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
        cursor = self._execute(sql.ROWS + where + _order_by(sort, descending), params)
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
        text = sql.ROWS + where + _order_by(sort, descending) + " LIMIT :limit OFFSET :offset"
        params.update(limit=limit, offset=offset)
        return list(_rows(self._execute(text, params), self))

    def plan_keys(self) -> list[str]:
        """The plans' keys, as Store.plan_keys gives them."""
        return [key for (key,) in self._execute(sql.PLAN_KEYS, {})]

    def view_counts(self, *, filters: Filters | None = None, settings: RuleSettings) -> ViewCounts:
        """The counts of Store.view_counts, with the rules applied to each status and deadline."""
        where, params = where_clause(filters or Filters(), settings)
        counts = ViewCounts()
        today = settings.today
        for status, deadline_text, n in self._execute(
            sql.COUNTS + where + sql.COUNTS_GROUP, params
        ):
            try:
                deadline = date.fromisoformat(deadline_text)
            except (TypeError, ValueError) as exc:
                raise self._error(ValueError(f"deadline {deadline_text!r}: {exc}")) from None
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
            start, deadline, original = row[_START], row[_DEADLINE], row[_ORIGINAL]
            if start is not None:
                start = days.get(start) or days.setdefault(start, day(start))
            deadline = days.get(deadline) or days.setdefault(deadline, day(deadline))
            if original is not None:
                original = days.get(original) or days.setdefault(original, day(original))
            yield make(
                (
                    *row[:_START],
                    start,
                    deadline,
                    original,
                    *row[_ORIGINAL + 1 : _UPDATED_AT],
                    stamp(row[_UPDATED_AT]),
                    *row[_UPDATED_AT + 1 :],
                )
            )
    except (sqlite3.OperationalError, ValueError, TypeError) as exc:
        raise reader._error(
            exc if not isinstance(exc, TypeError) else ValueError(str(exc))
        ) from None
    finally:
        # A reader that stops early (`tracker list | head`) may have closed the
        # connection already; the cursor went with it.
        with contextlib.suppress(sqlite3.ProgrammingError):
            cursor.close()
