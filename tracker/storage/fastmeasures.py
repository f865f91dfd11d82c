"""The measures scorecard straight from a SQLite store, without the ORM.

`tracker measures` is a new process each time, and importing SQLAlchemy costs more than
the scorecard's two queries. This runs their SQLite text (measures_sql.py, generated from
storage/measures.py) on the light reader's connection and builds the same rows with the
same pure rules (domain/measures.py); tests/test_measures.py proves it against the Store.
For anything the light reader cannot serve, the caller uses the Store.
"""

from __future__ import annotations

from tracker.domain.errors import StoreError
from tracker.domain.measures import MeasureRow, measure_rows
from tracker.storage import measures_sql
from tracker.storage.fastread import FastReader

__all__ = ["fast_scorecard", "scorecard_key"]


def scorecard_key(
    *, plan: bool, rec: bool, include_retired: bool, narrow: bool, first: bool = False
) -> str:
    """The name of one pair of queries in measures_sql.py (as storage/measures.py names it)."""
    key = f"plan={int(plan)} rec={int(rec)} retired={int(include_retired)} narrow={int(narrow)}"
    return key + " first=1" if first else key


def fast_scorecard(
    reader: FastReader,
    *,
    plan: str | None = None,
    rec: str | None = None,
    include_retired: bool = False,
    recent: int = 12,
    first: int | None = None,
) -> list[MeasureRow]:
    """The scorecard rows, as MeasureStore.scorecard returns them."""
    key = scorecard_key(
        plan=plan is not None,
        rec=rec is not None,
        include_retired=include_retired,
        narrow=recent == 0,
        first=first is not None,
    )
    measures, readings = measures_sql.SCORECARD[key]
    params = {**measures_sql.PARAMS, "plan": plan, "rec": rec, "first": first}
    try:
        rows = reader._execute(measures, params).fetchall()
        points = reader._execute(readings, params).fetchall()
    except StoreError as exc:
        if "no such table" in str(exc):
            return []  # a store from before measures, never opened for writing since
        raise
    return measure_rows(rows, points, recent)
