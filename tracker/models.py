"""The store's tables: plans, judgements, recommendations, actions and their history.

History is append-only: one row per changed field, with who, when (UTC) and a note.
Each action carries a `version` that every write bumps, so a write based on a stale read
can be refused instead of applied over a newer change.
"""

from __future__ import annotations

from datetime import date, datetime

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
from sqlmodel import Field, SQLModel

from tracker.rules import OPEN_STATUSES, STATUSES

__all__ = [
    "SCHEMA_VERSION",
    "Action",
    "History",
    "Judgement",
    "Meta",
    "Plan",
    "Recommendation",
]

SCHEMA_VERSION = 1

# Natural-order keys compare byte by byte on every engine (see rules.sort_key).
SortKeyType = String(300).with_variant(String(300, collation="C"), "postgresql")
# Plan key, recommendation ref and action ref keys joined: the natural order of actions.
OrderKeyType = String(1000).with_variant(String(1000, collation="C"), "postgresql")

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
    sort_key: str = Field(sa_type=SortKeyType, nullable=False, index=True)  # type: ignore[call-overload]
    authority: str = Field(sa_type=Text, nullable=False)  # type: ignore[call-overload]
    title: str = Field(sa_type=Text, nullable=False)  # type: ignore[call-overload]
    inspection_type: str | None = Field(default=None, sa_type=Text)  # type: ignore[call-overload]
    framework: str | None = Field(default=None, sa_type=Text)  # type: ignore[call-overload]
    inspection_start: date | None = None
    inspection_end: date | None = None
    published: date | None = None
    plan_due: date | None = None
    overall_judgement: str | None = Field(default=None, sa_type=Text)  # type: ignore[call-overload]
    source: str | None = Field(default=None, sa_type=Text)  # type: ignore[call-overload]
    imported_at: datetime = Field(sa_type=DateTime(timezone=False))  # type: ignore[call-overload]
    imported_by: str = Field(sa_type=Text)  # type: ignore[call-overload]


class Judgement(SQLModel, table=True):
    """One row of the inspection's judgement table."""

    __tablename__ = "judgement"

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True, ondelete="CASCADE")
    position: int
    area: str = Field(sa_type=Text)  # type: ignore[call-overload]
    grade: str = Field(sa_type=Text)  # type: ignore[call-overload]


class Recommendation(SQLModel, table=True):
    """What the inspectors said must improve."""

    __tablename__ = "recommendation"
    __table_args__ = (UniqueConstraint("plan_id", "ref", name="uq_recommendation_ref"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True, ondelete="CASCADE")
    ref: str = Field(max_length=100)
    sort_key: str = Field(sa_type=SortKeyType, nullable=False)  # type: ignore[call-overload]
    position: int
    title: str = Field(sa_type=Text)  # type: ignore[call-overload]
    text: str | None = Field(default=None, sa_type=Text)  # type: ignore[call-overload]
    area: str | None = Field(default=None, sa_type=Text)  # type: ignore[call-overload]


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
    sort_key: str = Field(sa_type=SortKeyType, nullable=False)  # type: ignore[call-overload]
    rec_sort_key: str = Field(sa_type=SortKeyType, nullable=False)  # type: ignore[call-overload]
    order_key: str = Field(sa_type=OrderKeyType, nullable=False)  # type: ignore[call-overload]
    description: str = Field(sa_type=Text)  # type: ignore[call-overload]
    owner: str = Field(sa_type=Text)  # type: ignore[call-overload]
    partner: str | None = Field(default=None, sa_type=Text)  # type: ignore[call-overload]
    start: date | None = None
    deadline: date
    original_deadline: date | None = None
    status: str = Field(max_length=20)
    progress: int = Field(default=0, sa_type=Integer)  # type: ignore[call-overload]
    measure: str | None = Field(default=None, sa_type=Text)  # type: ignore[call-overload]
    evidence: str | None = Field(default=None, sa_type=Text)  # type: ignore[call-overload]
    notes: str | None = Field(default=None, sa_type=Text)  # type: ignore[call-overload]
    revisions: int = 0
    version: int = 1
    created_at: datetime = Field(sa_type=DateTime(timezone=False))  # type: ignore[call-overload]
    updated_at: datetime = Field(sa_type=DateTime(timezone=False))  # type: ignore[call-overload]
    updated_by: str = Field(sa_type=Text)  # type: ignore[call-overload]


class History(SQLModel, table=True):
    """One change to one field of an action. Never edited, never deleted."""

    __tablename__ = "history"
    __table_args__ = (Index("ix_history_action", "action_id", "id"), Index("ix_history_at", "at"))

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id", ondelete="CASCADE")
    at: datetime = Field(sa_type=DateTime(timezone=False))  # type: ignore[call-overload]
    by: str = Field(sa_type=Text)  # type: ignore[call-overload]
    field: str = Field(max_length=50)
    old: str | None = Field(default=None, sa_type=Text)  # type: ignore[call-overload]
    new: str | None = Field(default=None, sa_type=Text)  # type: ignore[call-overload]
    note: str | None = Field(default=None, sa_type=Text)  # type: ignore[call-overload]
