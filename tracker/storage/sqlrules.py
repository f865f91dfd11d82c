"""The rules and filters as SQL, written once: overdue, due soon, RAG, the RAG sort and the
list filters, and the action row every reader returns.

Every value in these expressions is a named parameter taken from ruleparams.parameters,
so the same expressions serve both readers: the Store runs them through SQLAlchemy on
SQLite or PostgreSQL, and the light reader (fastread.py) runs their SQLite text, compiled
from here into sqlite_sql.py by `python -m tracker.storage.sqlrules` (a test fails when
that file is stale). tests/test_rules.py proves the SQL selects what domain/rules.py does.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    DateTime,
    FromClause,
    Integer,
    String,
    and_,
    bindparam,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import BindParameter

from tracker.domain.filtering import FILTER_KEYS, SORTS, active_filters, ordering, rag_filter
from tracker.domain.records import ActionRow, Filters
from tracker.domain.rules import (
    RAG_RANKS,
    RAG_UNRATED_RANK,
    RAG_UNRATED_RANK_DESCENDING,
    RuleSettings,
)
from tracker.storage.models import ACTION, PLAN, RECOMMENDATION, Action, bytewise
from tracker.storage.ruleparams import LIKE_ESCAPE, parameters

__all__ = [
    "ACTIONS",
    "ROW_COLUMNS",
    "SORT_COLUMNS",
    "count_of",
    "due_soon_clause",
    "filter_clauses",
    "order_by",
    "overdue_clause",
    "rag_case",
    "rag_clause",
    "rag_rank",
    "rows_select",
    "sort_expression",
    "sqlite_module",
    "stale_clause",
]

A = ACTION
P = PLAN
R = RECOMMENDATION

Values = dict[str, Any]

# Actions with their plan and recommendation: what every action read selects from.
ACTIONS: FromClause = Action.__table__.join(PLAN.id.table, P.id == A.plan_id).join(  # type: ignore[attr-defined]
    RECOMMENDATION.id.table, R.id == A.recommendation_id
)

# Where each field of an ActionRow comes from; ROW_COLUMNS follows ActionRow's own order.
_ROW_SOURCES: dict[str, ColumnElement[Any]] = {
    "id": A.id,
    "plan_key": P.key,
    "authority": P.authority,
    "rec_ref": R.ref,
    "rec_title": R.title,
    "ref": A.ref,
    "description": A.description,
    "owner": A.owner,
    "partner": A.partner,
    "start": A.start,
    "deadline": A.deadline,
    "original_deadline": A.original_deadline,
    "status": A.status,
    "progress": A.progress,
    "measure": A.measure,
    "evidence": A.evidence,
    "notes": A.notes,
    "revisions": A.revisions,
    "version": A.version,
    "updated_at": A.updated_at,
    "updated_by": A.updated_by,
}
ROW_COLUMNS: tuple[ColumnElement[Any], ...] = tuple(_ROW_SOURCES[f] for f in ActionRow._fields)

# Sortable view columns. Text sorts byte by byte on every engine; "rag" is worked out from
# the rules (see `rag_rank`), so it has no column here.
SORT_COLUMNS: dict[str, ColumnElement[Any]] = {
    "ref": A.order_key,
    "description": bytewise(A.description),
    "owner": bytewise(A.owner),
    "deadline": A.deadline,
    "status": A.status,
    "progress": A.progress,
}

_TYPES: dict[str, Any] = {
    "today": Date,
    "red_before": Date,
    "due_soon_limit": Date,
    "stale_before": DateTime,
}


def _p(values: Values, name: str) -> BindParameter[Any]:
    """The named parameter `name`, bound to its value (a list expands to an IN list)."""
    value = values[name]
    if isinstance(value, list):
        return bindparam(name, value, type_=String, expanding=True)
    return bindparam(name, value, type_=_TYPES.get(name, String))


# --- the rules --------------------------------------------------------------------------


def _overdue(v: Values) -> ColumnElement[bool]:
    return and_(A.status.in_(_p(v, "s_open")), A.deadline < _p(v, "today"))


def _due_soon(v: Values) -> ColumnElement[bool]:
    return and_(
        A.status.in_(_p(v, "s_open")),
        A.deadline >= _p(v, "today"),
        A.deadline <= _p(v, "due_soon_limit"),
    )


def _stale(v: Values) -> ColumnElement[bool]:
    return and_(A.status.in_(_p(v, "s_open")), A.updated_at < _p(v, "stale_before"))


def _rag(word: str, v: Values) -> ColumnElement[bool]:
    """Actions whose RAG is `word` (or NONE: cancelled), written to agree with rules.rag."""
    working = A.status.in_(_p(v, "s_working"))
    if word == "BLUE":
        return A.status == _p(v, "s_complete")
    if word == "RED":
        return or_(A.status == _p(v, "s_blocked"), and_(working, A.deadline < _p(v, "red_before")))
    if word == "AMBER":
        return and_(
            working,
            or_(
                and_(A.deadline < _p(v, "today"), A.deadline >= _p(v, "red_before")),
                and_(
                    A.status == _p(v, "s_not_started"),
                    A.deadline >= _p(v, "today"),
                    A.deadline <= _p(v, "due_soon_limit"),
                ),
            ),
        )
    if word == "GREEN":
        return and_(
            working,
            A.deadline >= _p(v, "today"),
            or_(A.status == _p(v, "s_in_progress"), A.deadline > _p(v, "due_soon_limit")),
        )
    return A.status == _p(v, "s_cancelled")


def _rag_rank(v: Values, descending: bool) -> ColumnElement[int]:
    unrated = RAG_UNRATED_RANK_DESCENDING if descending else RAG_UNRATED_RANK
    return case(
        *((_rag(word, v), literal_column(str(rank), Integer)) for word, rank in RAG_RANKS.items()),
        else_=literal_column(str(unrated), Integer),
    )


# Each filter's WHERE clause, by the key domain.filtering.active_filters gives it.
_FILTERS: dict[str, Callable[[Values], ColumnElement[bool]]] = {
    "plan": lambda v: P.key == _p(v, "plan"),
    "rec": lambda v: R.ref == _p(v, "rec"),
    "owner": lambda v: A.owner.icontains(_p(v, "owner"), escape=LIKE_ESCAPE),
    "owner_is": lambda v: A.owner == _p(v, "owner_is"),
    "statuses": lambda v: A.status.in_(_p(v, "statuses")),
    **{f"rag:{word}": partial(_rag, word) for word in (*RAG_RANKS, "NONE")},
    "overdue": _overdue,
    "due_soon": _due_soon,
    "stale": _stale,
    "search": lambda v: or_(
        A.ref.icontains(_p(v, "search"), escape=LIKE_ESCAPE),
        A.description.icontains(_p(v, "search"), escape=LIKE_ESCAPE),
        A.owner.icontains(_p(v, "search"), escape=LIKE_ESCAPE),
    ),
}
assert set(_FILTERS) == set(FILTER_KEYS)


def _order_by(sort: str, descending: bool, v: Values) -> list[ColumnElement[Any]]:
    if sort == "ref":
        return [A.order_key.desc() if descending else A.order_key]
    column = _rag_rank(v, descending) if sort == "rag" else SORT_COLUMNS[sort]
    return [column.desc() if descending else column.asc(), A.order_key]


# --- the public expressions ---------------------------------------------------------------


def _rules(settings: RuleSettings) -> Values:
    return parameters(Filters(), settings)


def overdue_clause(settings: RuleSettings) -> ColumnElement[bool]:
    """Open and past the deadline (rules.is_overdue)."""
    return _overdue(_rules(settings))


def due_soon_clause(settings: RuleSettings) -> ColumnElement[bool]:
    """Open, not overdue, due within the due-soon days (rules.is_due_soon)."""
    return _due_soon(_rules(settings))


def stale_clause(settings: RuleSettings) -> ColumnElement[bool]:
    """Open and not touched since `settings.stale_before` (rules.is_stale)."""
    return _stale(_rules(settings))


def rag_clause(value: str, settings: RuleSettings) -> ColumnElement[bool]:
    """Actions whose RAG is `value` (rules.rag); NONE is the cancelled ones."""
    return _rag(rag_filter(value), _rules(settings))


def rag_case(settings: RuleSettings) -> ColumnElement[str | None]:
    """Each action's RAG word as a SQL expression (NULL for cancelled)."""
    v = _rules(settings)
    return case(
        *((_rag(word, v), literal(word)) for word in RAG_RANKS),
        else_=literal(None),
    )


def rag_rank(settings: RuleSettings, *, descending: bool = False) -> ColumnElement[int]:
    """Each action's RAG as a number (rules.RAG_RANKS) for ordering a view by RAG.

    Cancelled actions get a rank below or above every RAG so that they come last in
    either direction.
    """
    return _rag_rank(_rules(settings), descending)


def sort_expression(
    sort: str | None, settings: RuleSettings, *, descending: bool = False
) -> ColumnElement[Any]:
    """What a view sorted by `sort` orders by, before the natural order breaks ties."""
    key, _ = ordering(sort, descending)
    if key == "rag":
        return rag_rank(settings, descending=descending)
    return SORT_COLUMNS[key]


def filter_clauses(filters: Filters, settings: RuleSettings) -> list[ColumnElement[bool]]:
    """The WHERE clauses for a set of filters."""
    keys = active_filters(filters)
    values = parameters(filters, settings)
    return [_FILTERS[key](values) for key in keys]


def order_by(
    sort: str | None, settings: RuleSettings, *, descending: bool = False
) -> list[ColumnElement[Any]]:
    """The ORDER BY of a view: the sort, then the natural order breaking ties."""
    key, desc = ordering(sort, descending)
    return _order_by(key, desc, _rules(settings))


def rows_select(
    filters: Filters,
    settings: RuleSettings,
    *,
    sort: str | None = None,
    descending: bool = False,
) -> Select[Any]:
    """The actions a view shows, as ActionRow columns, in its order."""
    return (
        select(*ROW_COLUMNS)
        .select_from(ACTIONS)
        .where(*filter_clauses(filters, settings))
        .order_by(*order_by(sort, settings, descending=descending))
    )


def count_of(clause: ColumnElement[bool]) -> ColumnElement[int]:
    """How many rows meet `clause` (0 for none), as a SQL aggregate."""
    return func.coalesce(func.sum(case((clause, 1), else_=0)), 0, type_=Integer)


# --- the light reader's SQLite text -------------------------------------------------------


def _sqlite_text(element: Any) -> str:
    from sqlalchemy.dialects import sqlite

    compiled = element.compile(dialect=sqlite.dialect(paramstyle="named"))
    unnamed = set(compiled.params) - set(parameters(Filters(), _TEMPLATE))
    # Every value must be a named parameter, or the light reader would lose it.
    assert not unnamed, f"unnamed SQL parameters {sorted(unnamed)}"
    return " ".join(str(compiled).split())


# Any settings will do: the text holds parameters, not values.
_TEMPLATE = RuleSettings(today=date(2000, 1, 1))


def sqlite_texts() -> dict[str, Any]:
    """The light reader's SQL, compiled from the expressions above for SQLite."""
    v = parameters(Filters(), _TEMPLATE)
    return {
        "ROWS": _sqlite_text(select(*ROW_COLUMNS).select_from(ACTIONS)),
        "COUNTS": _sqlite_text(select(A.status, A.deadline, func.count()).select_from(ACTIONS)),
        "COUNTS_GROUP": " GROUP BY " + ", ".join(_sqlite_text(c) for c in (A.status, A.deadline)),
        "PLAN_KEYS": _sqlite_text(select(P.key).order_by(P.sort_key)),
        "WHERE": {key: _sqlite_text(_FILTERS[key](v)) for key in FILTER_KEYS},
        "ORDER_BY": {
            (sort, desc): ", ".join(_sqlite_text(c) for c in _order_by(sort, desc, v))
            for sort in SORTS
            for desc in (False, True)
        },
    }


def sqlite_module() -> str:
    """The text of sqlite_sql.py."""
    lines = [
        '"""The SQLite text of tracker/storage/sqlrules.py, for the light reader. Generated.',
        "",
        "Do not edit: run `python -m tracker.storage.sqlrules > tracker/storage/sqlite_sql.py`",
        "after changing sqlrules.py (tests/test_sqlrules.py fails while this file is stale).",
        '"""',
        "",
        "# ruff: noqa: E501",
        "# fmt: off",
    ]
    for name, value in sqlite_texts().items():
        if isinstance(value, dict):
            lines.append(
                f"{name}: dict[{'str' if name == 'WHERE' else 'tuple[str, bool]'}, str] = {{"
            )
            lines.extend(f"    {key!r}: {text!r}," for key, text in value.items())
            lines.append("}")
        else:
            lines.append(f"{name} = {value!r}")
    lines.append("# fmt: on")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - the generator
    sys.stdout.write(sqlite_module())
