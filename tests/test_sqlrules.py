"""The rules' SQL has one home: sqlrules.py, and the light reader's text is compiled from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker.domain.errors import ValidationError
from tracker.domain.filtering import FILTER_KEYS, active_filters, ordering
from tracker.domain.records import ActionRow, Filters
from tracker.storage import sqlite_sql, sqlrules


def test_the_light_readers_sql_is_compiled_from_the_rules_and_is_current() -> None:
    written = Path(sqlite_sql.__file__).read_text(encoding="utf-8")
    assert written == sqlrules.sqlite_module(), (
        "tracker/storage/sqlite_sql.py is stale: run "
        "`python -m tracker.storage.sqlrules > tracker/storage/sqlite_sql.py`"
    )
    assert set(sqlite_sql.WHERE) == set(FILTER_KEYS)


def test_the_row_columns_follow_the_action_row() -> None:
    assert [c.name for c in sqlrules.ROW_COLUMNS] == [
        "id", "key", "authority", "ref", "title", "ref", "description", "owner", "partner",
        "start", "deadline", "original_deadline", "status", "progress", "measure", "evidence",
        "notes", "revisions", "version", "updated_at", "updated_by",
    ]  # fmt: skip
    assert len(sqlrules.ROW_COLUMNS) == len(ActionRow._fields)


def test_filters_turn_on_their_clauses_in_one_order_and_bad_values_are_refused() -> None:
    everything = Filters(
        plan="p", rec="R1", owner="o", statuses=("blocked",), rag="amber",
        overdue=True, due_soon=True, search="s", stale=True,
    )  # fmt: skip
    assert active_filters(everything) == [
        "plan", "rec", "owner", "statuses", "rag:AMBER", "overdue", "due_soon", "stale",
        "search",
    ]  # fmt: skip
    with pytest.raises(ValidationError, match="'done' is not a status"):
        active_filters(Filters(statuses=("done",)))
    with pytest.raises(ValidationError, match="'PINK' is not a RAG"):
        active_filters(Filters(rag="PINK"))
    with pytest.raises(ValidationError, match="cannot sort by 'colour'"):
        ordering("colour", False)
    assert ordering(None, True) == ("ref", False)
