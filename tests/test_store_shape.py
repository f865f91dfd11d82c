"""The store's seams: one classifier for driver errors, one 'no plan' message, no clock in
get_action, and an older store brought up to the schema when opened for writing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import inspect

from tracker.domain import dates
from tracker.domain.errors import NotFoundError, ReadOnlyError, StoreBusyError, StoreError, no_plan
from tracker.domain.rules import RuleSettings
from tracker.storage import store as store_module
from tracker.storage.driver_errors import Failure, classify, short_message, store_error
from tracker.storage.models import SCHEMA_VERSION
from tracker.storage.store import Store


@pytest.mark.parametrize(
    ("text", "sqlstate", "kind"),
    [
        ("database is locked", None, Failure.BUSY),
        ("database table is locked", None, Failure.BUSY),
        ("could not serialize access due to concurrent update", "40001", Failure.BUSY),
        ("canceling statement due to lock timeout", "55P03", Failure.BUSY),
        ("permission denied for table action", "42501", Failure.DENIED),
        ("attempt to write a readonly database", None, Failure.READ_ONLY),
        ("file is not a database", None, Failure.NOT_A_DATABASE),
        ("unable to open database file", None, Failure.CANNOT_OPEN),
        ("no such table: action", None, Failure.OTHER),
    ],
)
def test_one_classifier_names_each_driver_error(
    text: str, sqlstate: str | None, kind: Failure
) -> None:
    assert classify(text, sqlstate) is kind


def test_each_kind_of_driver_error_is_told_the_same_way_by_every_reader() -> None:
    where = "/x/tracker.db"
    busy = store_error(where, "database is locked")
    assert isinstance(busy, StoreBusyError)
    assert str(busy) == f"{where}: the store is busy: another user is writing; try again"
    file_ro = store_error(where, "attempt to write a readonly database")
    assert isinstance(file_ro, ReadOnlyError)
    assert "the store file is read-only: nothing was changed" in str(file_ro)
    role = store_error("pg", "permission denied for table action\nDETAIL", sqlite=False)
    assert isinstance(role, ReadOnlyError)
    assert str(role) == (
        "pg: your database role may not do this: nothing was changed "
        "(ask the store's owner for access; permission denied for table action)"
    )
    other = store_error(where, "file is not a database")
    assert type(other) is StoreError
    assert str(other) == f"{where}: not a tracker store (the file is not a SQLite database)"
    assert short_message("") == "the database failed"


def test_no_plan_is_said_one_way(sample_store: Store) -> None:
    assert str(no_plan("nope")) == "no plan 'nope' in the store"
    assert str(no_plan("nope", hint="tracker plans lists them")) == (
        "no plan 'nope' in the store (tracker plans lists them)"
    )
    for call in (lambda: sample_store.plan_data("nope"), lambda: sample_store.resolve("nope:R1")):
        with pytest.raises(NotFoundError) as caught:
            call()
        assert str(caught.value) == str(no_plan("nope"))


def test_get_action_reads_no_clock(
    sample_store: Store, settings: RuleSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    address = sample_store.plan_data(sample_store.plan_keys()[0])
    ref = f"{address.key}:{address.recommendations[0].actions[0].ref}"
    with_settings = sample_store.get_action(ref, settings=settings)

    class NoClock:
        @staticmethod
        def today() -> None:
            raise AssertionError("get_action read the clock")

    # Neither the real clock nor the TRACKER_TODAY seam: an action's row has no today in it.
    monkeypatch.setattr(store_module, "date", NoClock, raising=False)
    monkeypatch.setattr(dates, "today", NoClock.today)
    assert sample_store.get_action(ref) == with_settings


def test_a_store_at_an_older_schema_gets_the_missing_table_when_opened_for_writing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    Store.open(str(path)).close()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DROP TABLE judgement")
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    conn.close()

    reader = Store.open(str(path), read_only=True)
    try:
        # Opened read-only, nothing is changed.
        assert "judgement" not in inspect(reader.engine).get_table_names()
    finally:
        reader.close()

    store = Store.open(str(path))
    try:
        assert "judgement" in inspect(store.engine).get_table_names()
        assert store.plan_keys() == []
    finally:
        store.close()
    conn = sqlite3.connect(path)
    try:
        (version,) = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    finally:
        conn.close()
    assert version == str(SCHEMA_VERSION)


def test_plan_history_is_append_only(one_plan_store: Store) -> None:
    """A change to a plan's recommendations is evidence too: the database refuses to rewrite it."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    empty_store = one_plan_store
    empty_store.add_recommendation(
        "staffordshire-2024-ilacs", title="Placement sufficiency", user="secretary"
    )
    with empty_store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM plan_history")).scalar_one() >= 1
    for statement in ("UPDATE plan_history SET new = 'x'", "DELETE FROM plan_history"):
        with (
            pytest.raises(DBAPIError, match="plan history is append-only"),
            empty_store.engine.begin() as conn,
        ):
            conn.execute(text(statement))
