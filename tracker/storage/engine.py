"""The engine: where the store is, how SQLite is set up, and the schema version.

This is the one place with SQLite-specific settings (WAL, foreign keys, busy timeout,
`BEGIN IMMEDIATE` for writes). Everything above it speaks SQLAlchemy expressions, so a
PostgreSQL URL can take SQLite's place.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    event,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError, SQLAlchemyError
from sqlmodel import SQLModel

from tracker.domain.errors import StoreError
from tracker.storage import location
from tracker.storage.driver_errors import (
    PG_UNIQUE_VIOLATION,
    Failure,
    classify,
    short_message,
    store_error,
)
from tracker.storage.location import (
    damaged,
    default_db_path,
    file_writable,
    read_only_query,
    resolve_db,
    use_unicode_lower,
)
from tracker.storage.models import META, PLAN_IMPORTS, SCHEMA_VERSION, Meta

__all__ = [
    "WRITE_OPTION",
    "can_write",
    "db_error",
    "db_message",
    "default_db_path",
    "ensure_schema",
    "is_busy",
    "is_conflict",
    "make_engine",
    "refresh_statistics",
    "resolve_db",
]

NO_STORE_YET = (
    "no tracker store here yet: start one with 'tracker new-plan KEY --authority NAME "
    "--title TEXT' or load a plan with 'tracker import FILE.toml'"
)

# History is evidence: the database itself refuses to change or delete an entry, so no
# code path (nor a stray SQL session) can rewrite it. Dialect-specific DDL, per engine.
_HISTORY_GUARDS: dict[str, tuple[str, ...]] = {
    "sqlite": (
        "CREATE TRIGGER IF NOT EXISTS history_no_update BEFORE UPDATE ON history "
        "BEGIN SELECT RAISE(ABORT, 'history is append-only: an entry is never changed'); END",
        "CREATE TRIGGER IF NOT EXISTS history_no_delete BEFORE DELETE ON history "
        "BEGIN SELECT RAISE(ABORT, 'history is append-only: an entry is never deleted'); END",
    ),
    "postgresql": (
        "CREATE FUNCTION history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF TG_OP = 'UPDATE' THEN RAISE EXCEPTION 'history is append-only: an entry is never "
        "changed' USING ERRCODE = 'integrity_constraint_violation'; END IF; "
        "RAISE EXCEPTION 'history is append-only: an entry is never deleted' "
        "USING ERRCODE = 'integrity_constraint_violation'; END $$",
        "CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE ON history "
        "FOR EACH ROW EXECUTE FUNCTION history_append_only()",
    ),
}
# Execution option a Store sets on connections that will write: SQLite then takes the
# write lock at BEGIN, so a read-then-write never deadlocks with another writer.
WRITE_OPTION = "tracker_write"
# The tables every tracker store has had since schema 1. One of them missing is damage,
# never a store to upgrade: creating it afresh would hide the loss (of history above all).
CORE_TABLES = frozenset({"meta", "plan", "recommendation", "action", "history"})


def _sqlite_path(url: str) -> Path | None:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def make_engine(url: str, *, read_only: bool = False, create: bool = True) -> Engine:
    """An engine for `url`; checks a SQLite file's folder before anything is created.

    With `create` false a missing SQLite file is an error rather than a new empty file,
    so a mistyped `--db` never leaves a stray store behind.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"{url!r} is not a file path or a database URL") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url, read_only=read_only, create=create)
    if backend != "postgresql":
        raise StoreError(
            f"cannot use the database {parsed!r}: a store is a SQLite file or a PostgreSQL "
            "database (postgresql+psycopg://user@host/dbname)"
        )
    try:
        engine = create_engine(url, pool_pre_ping=True)
    except (ArgumentError, ImportError, SQLAlchemyError) as exc:
        hint = (
            " (tracker uses psycopg 3 with a postgresql+psycopg:// URL; add it in the project"
            " folder with .venv/bin/pip install -e '.[postgres]')"
        )
        raise StoreError(f"cannot use the database {parsed!r}: {exc}{hint}") from None
    if engine.dialect.name == "postgresql":
        _set_up_postgresql(engine, read_only=read_only)
    return engine


def _set_up_postgresql(engine: Engine, *, read_only: bool) -> None:
    """Make PostgreSQL behave as a SQLite store does for readers and writers.

    A read sees one snapshot for all its queries (a tree, a plan for `export-plan`), as in
    a SQLite read transaction; a write reads the latest committed rows, which it locks, and
    gives up on a row another user holds after the busy timeout. Opened read-only, the
    server itself refuses every write.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: object) -> None:
        with dbapi_conn.cursor() as cur:
            cur.execute(f"SET lock_timeout = {int(location.BUSY_TIMEOUT_SECONDS * 1000)}")
            cur.execute(
                "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL REPEATABLE READ"
            )
            if read_only:
                cur.execute("SET default_transaction_read_only = on")
        dbapi_conn.commit()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(WRITE_OPTION, False):
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")


def _driver_text(exc: DBAPIError) -> tuple[str, str | None]:
    """A driver error's message and SQLSTATE (PostgreSQL's; None from SQLite)."""
    text = str(exc.orig) if exc.orig is not None else str(exc)
    return text, getattr(exc.orig, "sqlstate", None)


def is_busy(exc: DBAPIError) -> bool:
    """Whether a driver error means another user holds the store (worth a retry)."""
    return classify(*_driver_text(exc)) is Failure.BUSY


def db_error(exc: DBAPIError, location: str, *, sqlite: bool) -> StoreError:
    """The StoreError a driver error during a read or write is reported as."""
    text, sqlstate = _driver_text(exc)
    return store_error(location, text, sqlstate=sqlstate, sqlite=sqlite)


def refresh_statistics(conn: Connection) -> None:
    """After a bulk load, tell SQLite's query planner the tables' shapes (ANALYZE).

    Without statistics SQLite sorts every open action to show the first page of overdue
    ones; with them it walks the natural-order index and stops at the page. A full scan
    (a sample misjudges the five-valued status index) takes about 0.07 s at 100,000
    actions. PostgreSQL's autovacuum keeps its own statistics.
    """
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("ANALYZE")


def is_conflict(exc: DBAPIError) -> bool:
    """Whether a unique key was taken by another user's transaction at the same moment.

    PostgreSQL runs writers side by side, so two users adding the same plan both pass the
    check and one meets the unique key; SQLite's write lock rules that out.
    """
    return getattr(exc.orig, "sqlstate", None) == PG_UNIQUE_VIOLATION


def can_write(engine: Engine) -> bool:
    """Whether this user may change the store: file permissions, or the role's grants."""
    if engine.dialect.name == "sqlite":
        path = _sqlite_path(engine.url.render_as_string(hide_password=False))
        return path is None or file_writable(path)
    if engine.dialect.name != "postgresql":
        return True
    checks = [
        func.has_table_privilege(table, privilege)
        for table, privilege in (("action", "UPDATE"), ("history", "INSERT"), ("plan", "INSERT"))
    ]
    try:
        with engine.connect() as conn:
            return all(bool(v) for v in conn.execute(select(*checks)).one())
    except DBAPIError:
        return False


def _sqlite_engine(url: str, *, read_only: bool, create: bool) -> Engine:
    path = _sqlite_path(url)
    if path is not None:
        if not path.parent.is_dir():
            raise StoreError(f"{path}: the folder {path.parent} does not exist")
        if path.is_dir():
            raise StoreError(f"{path}: is a folder, not a store file")
        if read_only and not path.exists():
            raise StoreError(f"{path}: no store here to open read-only")
        if not create and not path.exists():
            raise StoreError(f"{path}: {NO_STORE_YET}")
    connect_args: dict[str, Any] = {
        "timeout": location.BUSY_TIMEOUT_SECONDS,
        "check_same_thread": False,
    }
    if read_only and path is not None:
        url = f"sqlite:///file:{path}?{read_only_query(path)}&uri=true"
    engine = create_engine(url, connect_args=connect_args)
    writable = not read_only

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        # Let SQLAlchemy's begin event issue BEGIN itself (pysqlite's own is too late).
        dbapi_conn.isolation_level = None
        use_unicode_lower(dbapi_conn)
        cur = dbapi_conn.cursor()
        try:
            cur.execute("PRAGMA foreign_keys = ON")
            cur.execute(f"PRAGMA busy_timeout = {int(location.BUSY_TIMEOUT_SECONDS * 1000)}")
            if writable:
                # WAL itself is switched on by ensure_schema, once the file has proved to
                # be a tracker store: opening someone else's database must not change it.
                cur.execute("PRAGMA synchronous = NORMAL")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = writable and conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def integrity_problems(conn: Connection) -> list[str]:
    """The database's own checks (SQLite: integrity and foreign keys), one line per problem."""
    if conn.dialect.name != "sqlite":
        return []
    problems = [
        f"integrity check: {row[0]}"
        for row in conn.exec_driver_sql("PRAGMA integrity_check").fetchall()
        if row[0] != "ok"
    ]
    for table, rowid, parent, _ in conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall():
        problems.append(f"{table} {rowid}: names a missing {parent}")
    conn.rollback()
    return problems


def describe(engine: Engine) -> str:
    """The store as a user would name it: a file path or a URL without its password."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database.startswith("file:"):
            database = database[5:].split("?", 1)[0]
        return database or ":memory:"
    return url.render_as_string(hide_password=True)


def ensure_schema(engine: Engine, *, create: bool = True, writable: bool = True) -> None:
    """Create the tables in an empty store; refuse one written by a newer tracker.

    A writable SQLite store is put in WAL mode (readers never wait for a writer); a
    store restored from a backup copy, which is in rollback-journal mode, comes back to it.
    """
    _check_schema(engine, create=create, writable=writable)
    if writable and engine.dialect.name == "sqlite":
        _use_wal(engine)


def _use_wal(engine: Engine) -> None:
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        try:
            mode = cur.execute("PRAGMA journal_mode").fetchone()
            if mode is not None and str(mode[0]).lower() != "wal":
                cur.execute("PRAGMA journal_mode = WAL")
        except sqlite3.Error:
            pass  # another user holds the file: it keeps its mode until the next open
        finally:
            cur.close()
    finally:
        raw.close()


def _check_schema(engine: Engine, *, create: bool, writable: bool = True) -> None:
    where = describe(engine)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            if "meta" in tables:
                row = conn.execute(select(META.value).where(META.key == "schema_version")).first()
                try:
                    version = int(row[0]) if row is not None else 0
                except (TypeError, ValueError):
                    raise StoreError(
                        damaged(where, f"its schema version {row and row[0]!r} is not a number")
                    ) from None
                if version > SCHEMA_VERSION:
                    raise StoreError(
                        f"{where}: written by a newer tracker (schema {version}; this one "
                        f"reads up to {SCHEMA_VERSION}): upgrade tracker to open it"
                    )
                if version < 1:
                    raise StoreError(f"{where}: not a tracker store (no schema version)")
                lost = sorted(CORE_TABLES - tables)
                if lost:
                    # Never recreated empty: that would hide the loss of the plans or history.
                    raise StoreError(damaged(where, f"the {', '.join(lost)} table is missing"))
                missing = set(SQLModel.metadata.tables) - tables
                if writable and (missing or version < SCHEMA_VERSION):
                    conn.rollback()
                    _upgrade(engine)
                return
            if tables:
                raise StoreError(f"{where}: not a tracker store (it has other tables)")
            conn.rollback()
        if not create:
            raise StoreError(f"{where}: {NO_STORE_YET}")
        with engine.connect().execution_options(**{WRITE_OPTION: True}) as conn, conn.begin():
            if conn.dialect.name == "postgresql":
                # SQLite's BEGIN IMMEDIATE already serialises this; PostgreSQL needs a lock.
                conn.execute(select(func.pg_advisory_xact_lock(_SCHEMA_LOCK)))
            # Another process may have created the store while this one waited for the lock.
            if "meta" in inspect(conn).get_table_names():
                return
            SQLModel.metadata.create_all(conn)
            for statement in _HISTORY_GUARDS.get(engine.dialect.name, ()):
                conn.exec_driver_sql(statement)
            conn.execute(
                insert(Meta),
                [
                    {"key": "schema_version", "value": str(SCHEMA_VERSION)},
                    {"key": PLAN_IMPORTS, "value": "0"},
                ],
            )
    except StoreError:
        raise
    except OperationalError as exc:
        raise StoreError(f"{where}: {db_message(exc)}") from None
    except DBAPIError as exc:
        raise StoreError(f"{where}: {db_message(exc)}") from None


# Columns added to existing tables, by the schema version that added them: (version, table,
# column DDL). A store at an older version gets them when it is next opened for writing.
ADDED_COLUMNS: tuple[tuple[int, str, str], ...] = ()


def _upgrade(engine: Engine) -> None:
    """Bring a store written by an older tracker up to this schema, in one transaction.

    New tables are created; columns listed in ADDED_COLUMNS are added; nothing is dropped,
    so an older store's data and history stay as they were.
    """
    with engine.connect().execution_options(**{WRITE_OPTION: True}) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(_SCHEMA_LOCK)))
        row = conn.execute(select(META.value).where(META.key == "schema_version")).first()
        version = int(row[0]) if row is not None else SCHEMA_VERSION
        SQLModel.metadata.create_all(conn)  # only the tables that are missing
        for added_in, table, column in ADDED_COLUMNS:
            if version < added_in:
                conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column}")
        if version < SCHEMA_VERSION:
            conn.execute(
                update(Meta).where(META.key == "schema_version").values(value=str(SCHEMA_VERSION))
            )


# Key of the advisory lock that serialises creating the tables in a new PostgreSQL store.
_SCHEMA_LOCK = 0x7472_6163_6B65_72


def db_message(exc: DBAPIError) -> str:
    """A short, human message for a driver error."""
    return short_message(*_driver_text(exc))
