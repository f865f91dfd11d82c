"""The store's tables: plans, judgements, recommendations, actions and their history.

History is append-only: one row per changed field, with who, when (UTC) and a note.
Each action carries a `version` that every write bumps, so a write based on a stale read
can be refused instead of applied over a newer change.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Protocol, cast

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Field, SQLModel

from tracker.domain.rules import OPEN_STATUSES, STATUSES

__all__ = [
    "ACTION",
    "HISTORY",
    "JUDGEMENT",
    "META",
    "PLAN",
    "PLAN_IMPORTS",
    "RECOMMENDATION",
    "SCHEMA_VERSION",
    "Action",
    "History",
    "Judgement",
    "Meta",
    "Plan",
    "Recommendation",
    "bytewise",
]

SCHEMA_VERSION = 1
# The meta key counting imports: a plan's own fields, its judgements and its
# recommendations' titles change only by import, and open screens watch the count.
PLAN_IMPORTS = "plan_imports"

# Natural-order keys compare byte by byte on every engine (see rules.sort_key). They have
# no length limit: a key can be a few times longer than its ref (digits gain markers, case
# folding can lengthen a letter), and a limit would refuse on PostgreSQL what SQLite took.
SortKeyType = String().with_variant(String(collation="C"), "postgresql")
# Plan key, recommendation ref and action ref keys joined: the natural order of actions.
OrderKeyType = SortKeyType


class bytewise(FunctionElement[str]):
    """A text expression that sorts and compares byte by byte, as SQLite's default does.

    PostgreSQL's default collation sorts by language rules ("ada" next to "Ada"); views
    sorted by owner or description must list rows in the same order on both engines.
    """

    type = String()
    inherit_cache = True


@compiles(bytewise)
def _bytewise_default(element: bytewise, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(bytewise, "postgresql")
def _bytewise_postgresql(element: bytewise, compiler: SQLCompiler, **kw: Any) -> str:
    return f'({compiler.process(element.clauses, **kw)}) COLLATE "C"'


_status_list = ", ".join(f"'{s}'" for s in STATUSES)


class Meta(SQLModel, table=True):
    """Facts about the store itself, such as its schema version."""

    __tablename__ = "meta"

    key: str = Field(primary_key=True, max_length=100)
    value: str = Field(max_length=1000)


class Plan(SQLModel, table=True):
    """One inspection's improvement plan."""

    __tablename__ = "plan"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, sa_column_kwargs={"unique": True}, nullable=False)
    sort_key: str = Field(sa_type=SortKeyType, nullable=False, index=True)
    authority: str = Field(sa_type=Text, nullable=False)
    title: str = Field(sa_type=Text, nullable=False)
    inspection_type: str | None = Field(default=None, sa_type=Text)
    framework: str | None = Field(default=None, sa_type=Text)
    inspection_start: date | None = None
    inspection_end: date | None = None
    published: date | None = None
    plan_due: date | None = None
    overall_judgement: str | None = Field(default=None, sa_type=Text)
    source: str | None = Field(default=None, sa_type=Text)
    imported_at: datetime = Field(sa_type=DateTime(timezone=False))
    imported_by: str = Field(sa_type=Text)


class Judgement(SQLModel, table=True):
    """One row of the inspection's judgement table."""

    __tablename__ = "judgement"

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True, ondelete="CASCADE")
    position: int
    area: str = Field(sa_type=Text)
    grade: str = Field(sa_type=Text)


class Recommendation(SQLModel, table=True):
    """What the inspectors said must improve."""

    __tablename__ = "recommendation"
    __table_args__ = (UniqueConstraint("plan_id", "ref", name="uq_recommendation_ref"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True, ondelete="CASCADE")
    ref: str = Field(max_length=100)
    sort_key: str = Field(sa_type=SortKeyType, nullable=False)
    position: int
    title: str = Field(sa_type=Text)
    text: str | None = Field(default=None, sa_type=Text)
    area: str | None = Field(default=None, sa_type=Text)


class Action(SQLModel, table=True):
    """One thing someone will do about a recommendation. Its id never changes."""

    __tablename__ = "action"
    __table_args__ = (
        UniqueConstraint("plan_id", "ref", name="uq_action_ref"),
        CheckConstraint(f"status IN ({_status_list})", name="ck_action_status"),
        CheckConstraint("progress >= 0 AND progress <= 100", name="ck_action_progress"),
        Index("ix_action_order", "order_key"),
        Index(
            "ix_action_open_deadline",
            "deadline",
            sqlite_where=Column("status").in_(sorted(OPEN_STATUSES)),
            postgresql_where=Column("status").in_(sorted(OPEN_STATUSES)),
        ),
        Index("ix_action_status", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True, ondelete="CASCADE")
    recommendation_id: int = Field(foreign_key="recommendation.id", index=True, ondelete="CASCADE")
    ref: str = Field(max_length=100)
    sort_key: str = Field(sa_type=SortKeyType, nullable=False)
    rec_sort_key: str = Field(sa_type=SortKeyType, nullable=False)
    order_key: str = Field(sa_type=OrderKeyType, nullable=False)
    description: str = Field(sa_type=Text)
    owner: str = Field(sa_type=Text)
    partner: str | None = Field(default=None, sa_type=Text)
    start: date | None = None
    deadline: date
    original_deadline: date | None = None
    status: str = Field(max_length=20)
    progress: int = Field(default=0, sa_type=Integer)
    measure: str | None = Field(default=None, sa_type=Text)
    evidence: str | None = Field(default=None, sa_type=Text)
    notes: str | None = Field(default=None, sa_type=Text)
    revisions: int = 0
    version: int = 1
    created_at: datetime = Field(sa_type=DateTime(timezone=False))
    updated_at: datetime = Field(sa_type=DateTime(timezone=False))
    updated_by: str = Field(sa_type=Text)


class History(SQLModel, table=True):
    """One change to one field of an action. Never edited, never deleted."""

    __tablename__ = "history"
    __table_args__ = (Index("ix_history_action", "action_id", "id"), Index("ix_history_at", "at"))

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id", ondelete="CASCADE")
    at: datetime = Field(sa_type=DateTime(timezone=False))
    by: str = Field(sa_type=Text)
    field: str = Field(max_length=50)
    old: str | None = Field(default=None, sa_type=Text)
    new: str | None = Field(default=None, sa_type=Text)
    note: str | None = Field(default=None, sa_type=Text)


# --- typed column views for Core queries ---------------------------------------------------
# SQLModel types a class attribute as its Python value (Plan.key is a `str`), so Core
# queries use the tables' columns instead. These protocols give those columns their types,
# which lets mypy check every row a query returns.


class PlanColumns(Protocol):
    id: Column[int]
    key: Column[str]
    sort_key: Column[str]
    authority: Column[str]
    title: Column[str]
    inspection_type: Column[str | None]
    framework: Column[str | None]
    inspection_start: Column[date | None]
    inspection_end: Column[date | None]
    published: Column[date | None]
    plan_due: Column[date | None]
    overall_judgement: Column[str | None]
    source: Column[str | None]
    imported_at: Column[datetime]
    imported_by: Column[str]


class JudgementColumns(Protocol):
    id: Column[int]
    plan_id: Column[int]
    position: Column[int]
    area: Column[str]
    grade: Column[str]


class RecommendationColumns(Protocol):
    id: Column[int]
    plan_id: Column[int]
    ref: Column[str]
    sort_key: Column[str]
    position: Column[int]
    title: Column[str]
    text: Column[str | None]
    area: Column[str | None]


class ActionColumns(Protocol):
    id: Column[int]
    plan_id: Column[int]
    recommendation_id: Column[int]
    ref: Column[str]
    sort_key: Column[str]
    rec_sort_key: Column[str]
    order_key: Column[str]
    description: Column[str]
    owner: Column[str]
    partner: Column[str | None]
    start: Column[date | None]
    deadline: Column[date]
    original_deadline: Column[date | None]
    status: Column[str]
    progress: Column[int]
    measure: Column[str | None]
    evidence: Column[str | None]
    notes: Column[str | None]
    revisions: Column[int]
    version: Column[int]
    created_at: Column[datetime]
    updated_at: Column[datetime]
    updated_by: Column[str]

    def __getitem__(self, name: str) -> Column[object]: ...


class HistoryColumns(Protocol):
    id: Column[int]
    action_id: Column[int]
    at: Column[datetime]
    by: Column[str]
    field: Column[str]
    old: Column[str | None]
    new: Column[str | None]
    note: Column[str | None]


class MetaColumns(Protocol):
    key: Column[str]
    value: Column[str]


_tables = SQLModel.metadata.tables
PLAN = cast(PlanColumns, _tables["plan"].c)
JUDGEMENT = cast(JudgementColumns, _tables["judgement"].c)
RECOMMENDATION = cast(RecommendationColumns, _tables["recommendation"].c)
ACTION = cast(ActionColumns, _tables["action"].c)
HISTORY = cast(HistoryColumns, _tables["history"].c)
META = cast(MetaColumns, _tables["meta"].c)

# Owners' addresses and reminders, and measures of impact with their readings, are tables
# of their own (see owner_tables, measure_tables), as are change groups (undo) and
# the plan's own history (change_tables); importing them here registers them with
# the metadata every store's schema is made from.
from tracker.storage import change_tables as _change_tables  # noqa: E402, F401
from tracker.storage import measure_tables as _measure_tables  # noqa: E402, F401
from tracker.storage import owner_tables as _owner_tables  # noqa: E402, F401
