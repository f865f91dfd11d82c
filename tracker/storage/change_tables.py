"""The tables that make changes to the plan undoable and keep the plan's own history.

- `change_group`: everything one command or one save wrote, by one user at one time.
  `undo` reverts a user's latest group; the group that reverted it names it in `undoes`.
- `history_group`: which group wrote each action history entry, and what an undo needs
  beyond the entry's old and new value (a move's recommendation, in JSON).
- `measure_history_group`: which group wrote each measure history entry (a measure's
  field, its creation, a reading), and what an undo needs to set a reading back (JSON).
- `plan_history`: changes to a plan itself, its judgements and its recommendations (an
  action's own changes stay in `history`). Append-only, like `history`; it names the plan
  by id and key without a foreign key, so it outlives an empty plan taken back by undo.

New tables, not new columns: a store written by an older tracker gets them when it is
next opened for writing (engine `_upgrade`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, cast

from sqlalchemy import Column, DateTime, Index, Table, Text
from sqlmodel import Field, SQLModel

from tracker.storage.guards import append_only

__all__ = [
    "CHANGE_GROUP",
    "HISTORY_GROUP",
    "MEASURE_HISTORY_GROUP",
    "PLAN_HISTORY",
    "ChangeGroup",
    "HistoryGroup",
    "MeasureHistoryGroup",
    "PlanHistory",
]


class ChangeGroup(SQLModel, table=True):
    """Everything one command or one save wrote: what `undo` takes back as one."""

    __tablename__ = "change_group"
    __table_args__ = (Index("ix_change_group_by", "by", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=DateTime(timezone=False))
    by: str = Field(sa_type=Text)
    command: str = Field(max_length=50)
    undoes: int | None = Field(default=None, foreign_key="change_group.id", index=True)


class HistoryGroup(SQLModel, table=True):
    """The group that wrote one action history entry."""

    __tablename__ = "history_group"

    history_id: int = Field(primary_key=True, foreign_key="history.id", ondelete="CASCADE")
    group_id: int = Field(foreign_key="change_group.id", index=True)
    detail: str | None = Field(default=None, sa_type=Text)


class MeasureHistoryGroup(SQLModel, table=True):
    """The group that wrote one measure history entry.

    `detail` is, for a reading, its period and its values before and after the write (value,
    count, of, note) with the version written, so undo can set it back exactly.
    """

    __tablename__ = "measure_history_group"

    measure_history_id: int = Field(
        primary_key=True, foreign_key="measure_history.id", ondelete="CASCADE"
    )
    group_id: int = Field(foreign_key="change_group.id", index=True)
    detail: str | None = Field(default=None, sa_type=Text)


class PlanHistory(SQLModel, table=True):
    """One change to a plan's own fields, a judgement or a recommendation."""

    __tablename__ = "plan_history"
    __table_args__ = (Index("ix_plan_history_plan", "plan_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int
    plan_key: str = Field(sa_type=Text)
    # What changed: "plan" (its own fields), "recommendation" or "judgement"; `item` is
    # the recommendation's ref or the judgement's area (None for the plan itself).
    kind: str = Field(max_length=20)
    item: str | None = Field(default=None, sa_type=Text)
    group_id: int | None = Field(default=None, foreign_key="change_group.id", index=True)
    at: datetime = Field(sa_type=DateTime(timezone=False))
    by: str = Field(sa_type=Text)
    field: str = Field(max_length=50)
    old: str | None = Field(default=None, sa_type=Text)
    new: str | None = Field(default=None, sa_type=Text)
    note: str | None = Field(default=None, sa_type=Text)


# plan_history is append-only in the database itself, as history is (engine.py).
append_only(cast(Table, PlanHistory.__table__), "plan history")  # type: ignore[attr-defined]


class ChangeGroupColumns(Protocol):
    id: Column[int]
    at: Column[datetime]
    by: Column[str]
    command: Column[str]
    undoes: Column[int | None]


class HistoryGroupColumns(Protocol):
    history_id: Column[int]
    group_id: Column[int]
    detail: Column[str | None]


class MeasureHistoryGroupColumns(Protocol):
    measure_history_id: Column[int]
    group_id: Column[int]
    detail: Column[str | None]


class PlanHistoryColumns(Protocol):
    id: Column[int]
    plan_id: Column[int]
    plan_key: Column[str]
    kind: Column[str]
    item: Column[str | None]
    group_id: Column[int | None]
    at: Column[datetime]
    by: Column[str]
    field: Column[str]
    old: Column[str | None]
    new: Column[str | None]
    note: Column[str | None]


_tables = SQLModel.metadata.tables
CHANGE_GROUP = cast(ChangeGroupColumns, _tables["change_group"].c)
HISTORY_GROUP = cast(HistoryGroupColumns, _tables["history_group"].c)
MEASURE_HISTORY_GROUP = cast(MeasureHistoryGroupColumns, _tables["measure_history_group"].c)
PLAN_HISTORY = cast(PlanHistoryColumns, _tables["plan_history"].c)
