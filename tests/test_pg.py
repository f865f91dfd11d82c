"""What only PostgreSQL needs: roles that may only read, row locks held by another
user, tables created by two users at once, and a live-refresh stamp that sees commits
arriving out of id order.
"""

from __future__ import annotations

import io
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr

import pytest
from conftest import SAMPLES
from pg_support import PgServer
from sqlalchemy import event, insert, select, text
from sqlalchemy.exc import DBAPIError

from tracker.cli import main
from tracker.domain.errors import ReadOnlyError, StoreBusyError, StoreError, TrackerError
from tracker.domain.records import ActionChanges
from tracker.formats.plan_toml import load_plan_file
from tracker.storage import engine as db
from tracker.storage import location
from tracker.storage.models import Action, History
from tracker.storage.store import Store

pytestmark = pytest.mark.postgres

PLAN = SAMPLES / "staffordshire-2024-ilacs.toml"
ADDRESS = "staffordshire-2024-ilacs:R1.3"


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    with pg_server.schema() as url:
        yield url


@pytest.fixture
def loaded(pg_url: str) -> Iterator[Store]:
    store = Store.open(pg_url)
    store.import_plans([(PLAN.name, load_plan_file(PLAN))], user="seed")
    yield store
    store.close()


# The grants the README gives reviewers and writers ({schema} is `public` there).
READER_GRANTS = (
    "GRANT USAGE ON SCHEMA {schema} TO {role}",
    "GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}",
)
WRITER_GRANTS = (
    *READER_GRANTS,
    "GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA {schema} TO {role}",
    (
        "GRANT DELETE ON {schema}.judgement, {schema}.reading, {schema}.recommendation, "
        "{schema}.plan TO {role}"
    ),
    "GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
)


@contextmanager
def role_url(pg_server: PgServer, store: Store, grants: tuple[str, ...]) -> Iterator[str]:
    """The store's URL as a new login role given `grants`; the role is dropped afterwards."""
    role = f'"role_{uuid.uuid4().hex[:10]}"'
    options = store.engine.url.query["options"]
    assert isinstance(options, str)
    schema = '"' + options.rsplit("search_path=", 1)[1].split()[0] + '"'
    pg_server.execute(f"CREATE ROLE {role} LOGIN")
    try:
        for grant in grants:
            pg_server.execute(grant.format(schema=schema, role=role))
        url = store.engine.url.render_as_string(hide_password=False)
        yield pg_server.role_url(url, role.strip('"'))
    finally:
        pg_server.execute(f"DROP OWNED BY {role}")
        pg_server.execute(f"DROP ROLE {role}")


@pytest.fixture
def reviewer_url(pg_server: PgServer, loaded: Store) -> Iterator[str]:
    """The store's URL as a reviewer whose role was granted only SELECT."""
    with role_url(pg_server, loaded, READER_GRANTS) as url:
        yield url


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stderr(err):
        status = main(list(argv), out=out)
    return status, out.getvalue(), err.getvalue()


def test_a_select_only_role_reads_but_cannot_write(reviewer_url: str, settings: object) -> None:
    store = Store.open(reviewer_url)
    try:
        assert store.read_only
        assert not store.can_write()
        assert store.get_action(ADDRESS).status == "in_progress"
        with pytest.raises(ReadOnlyError, match="your database role may only read this store"):
            store.update_action(ADDRESS, ActionChanges(progress=65), user="reviewer")
    finally:
        store.close()

    status, out, err = run("--db", reviewer_url, "update", ADDRESS, "--progress", "65")
    assert status == 1
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("tracker: error: ")
    assert "only read" in err
    status, out, _ = run("--db", reviewer_url, "show", ADDRESS)
    assert status == 0
    assert "R1.3" in out


def test_the_database_refusing_a_write_is_a_clear_read_only_error(reviewer_url: str) -> None:
    # Even a store that did not notice the role on opening gets a one-line refusal.
    engine = db.make_engine(reviewer_url)
    store = Store(engine)
    try:
        with pytest.raises(ReadOnlyError) as caught:
            store.update_action(ADDRESS, ActionChanges(progress=65), user="reviewer")
        message = str(caught.value)
        assert "your database role may not do this: nothing was changed" in message
        assert "\n" not in message
    finally:
        store.close()


def test_a_writer_role_can_write(loaded: Store) -> None:
    assert not loaded.read_only
    assert loaded.can_write()


def test_the_readme_grants_let_a_writer_do_everything(pg_server: PgServer, loaded: Store) -> None:
    with role_url(pg_server, loaded, WRITER_GRANTS) as url:
        status, _, err = run("--db", url, "update", ADDRESS, "--progress", "65", "--note", "x")
        assert (status, err) == (0, "")
        status, _, err = run("--db", url, "import", "--replace", str(PLAN))
        assert (status, err) == (0, "")
        other = SAMPLES / "stoke-on-trent-2022-ilacs.toml"
        status, _, err = run("--db", url, "import", str(other))
        assert (status, err) == (0, "")
        # Undo of an added reading takes the reading away.
        measure = "staffordshire-2024-ilacs:M1.1"
        status, _, err = run("--db", url, "reading", "add", measure, "--period", "2026-11",
                             "--value", "88")  # fmt: skip
        assert (status, err) == (0, "")
        status, out, err = run("--db", url, "undo")
        assert (status, err) == (0, ""), err
        assert "reading 2026-11 88 taken away again" in out
        # Undo of a recommendation added by mistake takes it away again.
        key = "staffordshire-2024-ilacs"
        status, _, err = run("--db", url, "add-rec", key, "--title", "Added by mistake")
        assert (status, err) == (0, "")
        status, out, err = run("--db", url, "undo")
        assert (status, err) == (0, ""), err
        assert "taken away again (it is empty)" in out
        store = Store.open(url)
        try:
            assert store.can_write()
            assert len(store.plan_keys()) == 2
        finally:
            store.close()


def test_a_row_held_by_another_user_is_reported_busy(
    loaded: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(location, "BUSY_TIMEOUT_SECONDS", 0.2)
    store = Store.open(loaded.engine.url.render_as_string(hide_password=False))
    action_id = store.resolve(ADDRESS)
    try:
        with loaded.engine.connect() as holder:
            holder.execute(select(Action.id).where(Action.id == action_id).with_for_update())
            with pytest.raises(StoreBusyError, match="busy"):
                store.update_action(ADDRESS, ActionChanges(progress=65), user="second")
            holder.rollback()
        assert store.busy_retries == 0  # held past the whole timeout: said after one wait
        # Once the row is free the same change goes through.
        store.update_action(ADDRESS, ActionChanges(progress=65), user="second")
        assert store.get_action(ADDRESS).progress == 65
    finally:
        store.close()


def test_two_users_opening_a_new_store_at_once_both_succeed(pg_url: str) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def open_store() -> None:
        try:
            barrier.wait()
            Store.open(pg_url).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    store = Store.open(pg_url)
    try:
        assert store.plan_keys() == []
    finally:
        store.close()


def test_data_stamp_sees_a_commit_that_arrives_out_of_id_order(loaded: Store) -> None:
    other = loaded.resolve("staffordshire-2024-ilacs:R1.4")
    with loaded.engine.connect() as slow:
        # A writer takes the next history id and is slow to commit ...
        slow.execute(
            insert(History).values(
                action_id=other, at=loaded.get_action(other).updated_at, by="slow", field="note"
            )
        )
        # ... while another user's change (with higher ids) commits first.
        loaded.update_action(ADDRESS, ActionChanges(progress=65), user="quick")
        before = loaded.data_stamp()
        slow.commit()
    assert loaded.data_stamp() != before


def test_no_server_is_one_clear_line(pg_server: PgServer, tmp_path: object) -> None:
    url = f"postgresql+psycopg://nobody@/tracker?host={tmp_path}"
    with pytest.raises(StoreError) as caught:
        Store.open(url)
    assert "\n" not in str(caught.value)
    status, _, err = run("--db", url, "plans")
    assert status == 1
    assert err.startswith("tracker: error: ")
    assert err.count("\n") == 1


def test_schema_version_check_on_postgresql(loaded: Store, pg_url: str) -> None:
    with loaded.engine.begin() as conn:
        conn.execute(text("UPDATE meta SET value = '999' WHERE key = 'schema_version'"))
    with pytest.raises(StoreError, match="newer tracker"):
        Store.open(pg_url)


def test_two_users_importing_the_same_new_plan_at_once(pg_url: str) -> None:
    # One import wins; the others are told the plan is there, as one at a time would be.
    Store.open(pg_url).close()
    plan = load_plan_file(PLAN)
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def import_plan() -> None:
        store = Store.open(pg_url)
        try:
            barrier.wait()
            store.import_plans([(PLAN.name, plan)], user="racer")
            outcomes.append("imported")
        except TrackerError as exc:
            outcomes.append(str(exc))
        finally:
            store.close()

    threads = [threading.Thread(target=import_plan) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("imported") == 1
    refusals = [o for o in outcomes if o != "imported"]
    assert all("already has a plan" in o for o in refusals), refusals


def test_a_read_sees_one_snapshot_as_on_sqlite(loaded: Store) -> None:
    # export-plan reads the plan, then its recommendations and actions. A change committed
    # between those queries must not show up in half of them.
    other = db.make_engine(loaded.engine.url.render_as_string(hide_password=False))
    fired: list[str] = []

    def change_meanwhile(*args: object) -> None:
        if fired:
            return
        fired.append("yes")
        with other.begin() as conn:
            conn.execute(text("UPDATE recommendation SET title = 'Renamed' WHERE ref = 'R1'"))
            conn.execute(text("UPDATE action SET description = 'Renamed' WHERE ref = 'R1.1'"))

    event.listen(loaded.engine, "after_cursor_execute", change_meanwhile)
    try:
        plan = loaded.plan_data("staffordshire-2024-ilacs")
    finally:
        event.remove(loaded.engine, "after_cursor_execute", change_meanwhile)
        other.dispose()
    assert fired
    r1 = plan.recommendations[0]
    assert r1.title != "Renamed"
    assert r1.actions[0].description != "Renamed"
    # The next read sees the change whole.
    again = loaded.plan_data("staffordshire-2024-ilacs")
    assert again.recommendations[0].title == "Renamed"
    assert again.recommendations[0].actions[0].description == "Renamed"


def test_read_only_is_enforced_by_the_server_too(loaded: Store, pg_url: str) -> None:
    store = Store.open(pg_url, read_only=True)
    try:
        assert not store.can_write()
        with pytest.raises(ReadOnlyError, match="read-only"):
            store.update_action(ADDRESS, ActionChanges(progress=65), user="x")
        # Even SQL that went round the store could not change anything.
        with pytest.raises(DBAPIError, match="read-only transaction"), store.engine.begin() as c:
            c.execute(text("UPDATE action SET progress = 1"))
    finally:
        store.close()
    assert loaded.get_action(ADDRESS).progress == 60
