"""The store's tables for measures of impact: measures, their readings and their history.

Kept beside models.py (which imports this module, so `SQLModel.metadata` always holds
them): a store opened for writing gets these tables when it lacks them. A measure is never
deleted (retired is a status); a reading corrected keeps the old value in history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, cast

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Float,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from tracker.storage.guards import append_only

__all__ = [
    "MEASURE",
    "MEASURE_HISTORY",
    "READING",
    "Measure",
    "MeasureHistory",
    "Reading",
]

_SortKey = String().with_variant(String(collation="C"), "postgresql")


class Measure(SQLModel, table=True):
    """One measure of impact of a recommendation: a target, a direction and a tolerance."""

    __tablename__ = "measure"
    __table_args__ = (
        UniqueConstraint("plan_id", "ref", name="uq_measure_ref"),
        CheckConstraint("direction IN ('up', 'down')", name="ck_measure_direction"),
        CheckConstraint("frequency IN ('monthly', 'quarterly')", name="ck_measure_frequency"),
        CheckConstraint("status IN ('active', 'retired')", name="ck_measure_status"),
        Index("ix_measure_order", "order_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True, ondelete="CASCADE")
    recommendation_id: int = Field(foreign_key="recommendation.id", index=True, ondelete="CASCADE")
    ref: str = Field(max_length=100)
    order_key: str = Field(sa_type=_SortKey, nullable=False)
    name: str = Field(sa_type=Text)
    unit: str | None = Field(default=None, sa_type=Text)
    direction: str = Field(max_length=10)
    target: float = Field(sa_type=Float)
    baseline: float | None = Field(default=None, sa_type=Float)
    baseline_period: str | None = Field(default=None, max_length=10)
    tolerance: float = Field(default=10.0, sa_type=Float)
    frequency: str = Field(default="monthly", max_length=10)
    status: str = Field(default="active", max_length=10)
    version: int = 1
    created_at: datetime = Field(sa_type=DateTime(timezone=False))
    updated_at: datetime = Field(sa_type=DateTime(timezone=False))
    updated_by: str = Field(sa_type=Text)


class Reading(SQLModel, table=True):
    """One value of one measure for one period; `numerator` of `denominator` for a percentage."""

    __tablename__ = "reading"
    __table_args__ = (
        UniqueConstraint("measure_id", "period", name="uq_reading_period"),
        Index("ix_reading_measure", "measure_id", "period_index"),
    )

    id: int | None = Field(default=None, primary_key=True)
    measure_id: int = Field(foreign_key="measure.id", ondelete="CASCADE")
    period: str = Field(max_length=10)
    period_index: int
    value: float = Field(sa_type=Float)
    # A percentage's "102 of 120" (files and commands say count and of).
    numerator: float | None = Field(default=None, sa_type=Float)
    denominator: float | None = Field(default=None, sa_type=Float)
    note: str | None = Field(default=None, sa_type=Text)
    version: int = 1
    updated_at: datetime = Field(sa_type=DateTime(timezone=False))
    updated_by: str = Field(sa_type=Text)


class MeasureHistory(SQLModel, table=True):
    """One change to a measure or one of its readings. Never edited, never deleted.

    `field` is a measure's field name, `created`, or `reading YYYY-MM` for a reading's value.
    """

    __tablename__ = "measure_history"
    __table_args__ = (Index("ix_measure_history_measure", "measure_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    measure_id: int = Field(foreign_key="measure.id", ondelete="CASCADE")
    at: datetime = Field(sa_type=DateTime(timezone=False))
    by: str = Field(sa_type=Text)
    field: str = Field(max_length=50)
    old: str | None = Field(default=None, sa_type=Text)
    new: str | None = Field(default=None, sa_type=Text)
    note: str | None = Field(default=None, sa_type=Text)


# measure_history is append-only in the database itself, as history is (engine.py).
append_only(cast(Table, MeasureHistory.__table__), "measure history")  # type: ignore[attr-defined]


class MeasureColumns(Protocol):
    id: Column[int]
    plan_id: Column[int]
    recommendation_id: Column[int]
    ref: Column[str]
    order_key: Column[str]
    name: Column[str]
    unit: Column[str | None]
    direction: Column[str]
    target: Column[float]
    baseline: Column[float | None]
    baseline_period: Column[str | None]
    tolerance: Column[float]
    frequency: Column[str]
    status: Column[str]
    version: Column[int]
    created_at: Column[datetime]
    updated_at: Column[datetime]
    updated_by: Column[str]


class ReadingColumns(Protocol):
    id: Column[int]
    measure_id: Column[int]
    period: Column[str]
    period_index: Column[int]
    value: Column[float]
    numerator: Column[float | None]
    denominator: Column[float | None]
    note: Column[str | None]
    version: Column[int]
    updated_at: Column[datetime]
    updated_by: Column[str]


class MeasureHistoryColumns(Protocol):
    id: Column[int]
    measure_id: Column[int]
    at: Column[datetime]
    by: Column[str]
    field: Column[str]
    old: Column[str | None]
    new: Column[str | None]
    note: Column[str | None]


_tables = SQLModel.metadata.tables
MEASURE = cast(MeasureColumns, _tables["measure"].c)
READING = cast(ReadingColumns, _tables["reading"].c)
MEASURE_HISTORY = cast(MeasureHistoryColumns, _tables["measure_history"].c)
