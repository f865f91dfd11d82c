"""`tracker check`: is this store whole, and as tracker wrote it?

The checks, each problem one line:

- the database's own integrity check and foreign keys (SQLite);
- the schema: a known version, every table and column this tracker uses;
- every stored value readable: text that is valid UTF-8, dates and times that parse and
  fall in the years 1900 to 2199;
- history and versions consistent: an action at version N has at least N - 1 history
  entries (each change writes one or more), and every entry names an action that exists;
- measures of impact and their readings (measure_check.py): periods, counts, versions
  against history, and where each measure belongs.

It reads only: it opens the store read-only and changes nothing, whatever it finds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import (
    Connection,
    Date,
    DateTime,
    Engine,
    LargeBinary,
    String,
    Table,
    Text,
    cast,
    func,
    inspect,
    select,
)
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

from tracker.domain.dates import FIRST_YEAR, LAST_YEAR
from tracker.storage.engine import CORE_TABLES, describe, integrity_problems
from tracker.storage.measure_check import MEASURE_CHECK_TABLES, measure_problems
from tracker.storage.models import ACTION, HISTORY, META, SCHEMA_VERSION

__all__ = ["CheckReport", "check_store"]

_MOST = 50  # problems listed per kind before the rest are counted


@dataclass(slots=True)
class CheckReport:
    """What `check_store` found: the problems, one line each, and what was looked at."""

    where: str
    problems: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_store(engine: Engine) -> CheckReport:
    """Run every check on the store behind `engine`; never changes it."""
    report = CheckReport(where=describe(engine))
    try:
        with engine.connect() as conn:
            report.problems.extend(integrity_problems(conn))
            tables = set(inspect(conn).get_table_names())
            lost = sorted(CORE_TABLES - tables)
            for name in lost:
                report.problems.append(f"the {name} table is missing")
            if "meta" in tables:
                row = conn.execute(select(META.value).where(META.key == "schema_version")).first()
                raw = row[0] if row is not None else None
                if raw is None or not str(raw).strip().isdigit():
                    report.problems.append(f"the schema version {raw!r} is not a number")
                elif int(raw) > SCHEMA_VERSION:
                    report.problems.append(
                        f"written by a newer tracker (schema {raw}; this one reads up to "
                        f"{SCHEMA_VERSION})"
                    )
            for table in SQLModel.metadata.sorted_tables:
                if table.name not in tables:
                    if table.name not in lost:
                        report.problems.append(
                            f"the {table.name} table is missing (a write would add it)"
                        )
                    continue
                have = {c["name"] for c in inspect(conn).get_columns(table.name)}
                gone = [c.name for c in table.columns if c.name not in have]
                if gone:
                    report.problems.append(
                        f"the {table.name} table lacks the column(s) {', '.join(gone)}"
                    )
                    continue
                report.counts[table.name] = _check_values(conn, table, report)
            if not lost:
                _check_history(conn, report)
            if report.counts.keys() >= MEASURE_CHECK_TABLES:
                report.problems.extend(measure_problems(conn, _MOST))
    except DBAPIError as exc:
        first = str(exc.orig or exc).strip().splitlines()
        report.problems.append(f"cannot be read: {first[0] if first else 'the database failed'}")
    return report


def _check_values(conn: Connection, table: Table, report: CheckReport) -> int:
    """Every text, date and time value of one table readable and in range; the row count."""
    keys = list(table.primary_key.columns)
    texts = [c for c in table.columns if isinstance(c.type, String | Text)]
    days = [c for c in table.columns if isinstance(c.type, Date)]
    stamps = [c for c in table.columns if isinstance(c.type, DateTime)]
    sqlite = conn.dialect.name == "sqlite"
    columns = [
        *keys,
        *((cast(c, LargeBinary) if sqlite else c) for c in texts),
        *(cast(c, String) for c in days),
        *(cast(c, String) for c in stamps),
    ]
    found = 0
    rows = 0
    for row in conn.execute(select(*columns)):
        rows += 1
        if found >= _MOST:
            continue
        key = ", ".join(str(v) for v in row[: len(keys)])
        place = f"{table.name} {key}"
        values = row[len(keys) :]
        for col, value in zip(texts, values[: len(texts)], strict=True):
            if isinstance(value, bytes | bytearray | memoryview):
                try:
                    bytes(value).decode("utf-8")
                except UnicodeDecodeError:
                    report.problems.append(f"{place}: {col.name} is not valid UTF-8 text")
                    found += 1
        rest = values[len(texts) :]
        for col, value in zip([*days, *stamps], rest, strict=True):
            if value is None:
                continue
            problem = _bad_moment(str(value), is_date=col in days)
            if problem:
                report.problems.append(f"{place}: {col.name} {str(value)[:40]!r} {problem}")
                found += 1
    if found >= _MOST:
        report.problems.append(f"{table.name}: more problems not listed (the first {_MOST} are)")
    return rows


def _bad_moment(text: str, *, is_date: bool) -> str | None:
    try:
        if is_date:
            value: date = date.fromisoformat(text.strip())
        else:
            value = datetime.fromisoformat(text.strip())
    except ValueError:
        return "is not a date" if is_date else "is not a date and time"
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        return f"is outside the years {FIRST_YEAR} to {LAST_YEAR}"
    return None


def _check_history(conn: Connection, report: CheckReport) -> None:
    entries = (
        select(HISTORY.action_id, func.count().label("n")).group_by(HISTORY.action_id).subquery()
    )
    stmt = select(ACTION.id, ACTION.version, func.coalesce(entries.c.n, 0)).outerjoin(
        entries, entries.c.action_id == ACTION.id
    )
    listed = 0
    for action_id, raw_version, raw_n in conn.execute(stmt):
        if listed >= _MOST:
            break
        version = raw_version if isinstance(raw_version, int) else None
        n = raw_n if isinstance(raw_n, int) else 0
        if version is None or version < 1:
            report.problems.append(f"action {action_id}: version {version!r} is not 1 or more")
            listed += 1
        elif n < version - 1:
            report.problems.append(
                f"action {action_id}: at version {version} but only {n} history entries "
                "(history was lost)"
            )
            listed += 1
    orphans = conn.execute(
        select(func.count())
        .select_from(SQLModel.metadata.tables["history"])
        .where(~HISTORY.action_id.in_(select(ACTION.id)))
    ).scalar_one()
    if orphans:
        report.problems.append(f"{orphans} history entries name no action in the store")
