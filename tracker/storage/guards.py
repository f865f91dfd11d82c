"""Append-only tables: the database itself refuses to change or delete an entry.

History of every kind is evidence. `append_only(table, "owner history")` attaches
triggers, per dialect, that are created with the table, whether by a new store or by an
upgrade, so no code path (nor a stray SQL session) can rewrite an entry.
"""

from __future__ import annotations

from sqlalchemy import DDL, Table, event

__all__ = ["append_only"]


def _ddl(statement: str, dialect: str) -> DDL:
    return DDL(statement).execute_if(dialect=dialect)  # type: ignore[no-untyped-call]


def append_only(table: Table, label: str) -> None:
    """Make `table` append-only; `label` names it in the database's refusal."""
    name = table.name
    for ddl in (
        _ddl(
            f"CREATE TRIGGER IF NOT EXISTS {name}_no_update BEFORE UPDATE ON {name} "
            f"BEGIN SELECT RAISE(ABORT, '{label} is append-only: an entry is never changed'); "
            "END",
            "sqlite",
        ),
        _ddl(
            f"CREATE TRIGGER IF NOT EXISTS {name}_no_delete BEFORE DELETE ON {name} "
            f"BEGIN SELECT RAISE(ABORT, '{label} is append-only: an entry is never deleted'); "
            "END",
            "sqlite",
        ),
        _ddl(
            f"CREATE OR REPLACE FUNCTION {name}_append_only() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{label} is append-only: an "
            "entry is never changed or deleted' USING ERRCODE = 'integrity_constraint_violation'; "
            "END $$",
            "postgresql",
        ),
        _ddl(
            f"CREATE TRIGGER {name}_append_only BEFORE UPDATE OR DELETE ON {name} "
            f"FOR EACH ROW EXECUTE FUNCTION {name}_append_only()",
            "postgresql",
        ),
    ):
        event.listen(table, "after_create", ddl)
