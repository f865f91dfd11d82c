"""The tables about owners: their addresses, the history of those, and reminders sent.

- `owner`: one row per owner that has an address (an owner is the exact owner text of
  actions). `version` is bumped by every change, so a change based on a stale read is
  refused.
- `owner_history`: every change to an owner (its address, its name), append-only like
  an action's history; the database itself refuses to change or delete an entry.
- `reminder`: one row per reminder `tracker remind --smtp` tried to send: to whom, when,
  by whom, and whether it went (`sending` while on its way, then `sent` or `failed`
  with the reason). `reminder_action` says which actions each one listed.

New tables, not new columns: a store written by an older tracker gets them when it is
next opened for writing (engine `_upgrade` creates the tables it lacks).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Protocol, cast

from sqlalchemy import Column, DateTime, Index, Table, Text
from sqlmodel import Field, SQLModel

from tracker.storage.guards import append_only

__all__ = [
    "OWNER",
    "OWNER_HISTORY",
    "REMINDER",
    "REMINDER_ACTION",
    "Owner",
    "OwnerHistory",
    "Reminder",
    "ReminderAction",
]


class Owner(SQLModel, table=True):
    """An owner's address, keyed by the exact owner text of their actions."""

    __tablename__ = "owner"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=Text, sa_column_kwargs={"unique": True}, nullable=False)
    email: str | None = Field(default=None, sa_type=Text)
    version: int = 1
    updated_at: datetime = Field(sa_type=DateTime(timezone=False))
    updated_by: str = Field(sa_type=Text)


class OwnerHistory(SQLModel, table=True):
    """One change to one owner: its address or its name. Never edited, never deleted."""

    __tablename__ = "owner_history"
    __table_args__ = (Index("ix_owner_history_owner", "owner_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="owner.id")
    at: datetime = Field(sa_type=DateTime(timezone=False))
    by: str = Field(sa_type=Text)
    field: str = Field(max_length=50)
    old: str | None = Field(default=None, sa_type=Text)
    new: str | None = Field(default=None, sa_type=Text)
    note: str | None = Field(default=None, sa_type=Text)


class Reminder(SQLModel, table=True):
    """One reminder to one owner, as sent (or tried) by `tracker remind --smtp`."""

    __tablename__ = "reminder"
    __table_args__ = (Index("ix_reminder_owner_day", "owner", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    owner: str = Field(sa_type=Text)
    email: str = Field(sa_type=Text)
    day: date  # the sender's today: one reminder an owner a day unless --again
    at: datetime = Field(sa_type=DateTime(timezone=False))
    by: str = Field(sa_type=Text)
    subject: str = Field(sa_type=Text)
    status: str = Field(max_length=20)  # sending, sent, failed
    detail: str | None = Field(default=None, sa_type=Text)


class ReminderAction(SQLModel, table=True):
    """One action a reminder listed, with the flag it was listed under."""

    __tablename__ = "reminder_action"

    reminder_id: int = Field(primary_key=True, foreign_key="reminder.id", ondelete="CASCADE")
    action_id: int = Field(primary_key=True, foreign_key="action.id", ondelete="CASCADE")
    flag: str = Field(sa_type=Text)


# owner_history is append-only in the database itself, as history is (engine.py).
append_only(cast(Table, OwnerHistory.__table__), "owner history")  # type: ignore[attr-defined]


# --- typed column views for Core queries (see models.py) -----------------------------------


class OwnerColumns(Protocol):
    id: Column[int]
    name: Column[str]
    email: Column[str | None]
    version: Column[int]
    updated_at: Column[datetime]
    updated_by: Column[str]


class OwnerHistoryColumns(Protocol):
    id: Column[int]
    owner_id: Column[int]
    at: Column[datetime]
    by: Column[str]
    field: Column[str]
    old: Column[str | None]
    new: Column[str | None]
    note: Column[str | None]


class ReminderColumns(Protocol):
    id: Column[int]
    owner: Column[str]
    email: Column[str]
    day: Column[date]
    at: Column[datetime]
    by: Column[str]
    subject: Column[str]
    status: Column[str]
    detail: Column[str | None]


class ReminderActionColumns(Protocol):
    reminder_id: Column[int]
    action_id: Column[int]
    flag: Column[str]


_tables: Any = SQLModel.metadata.tables
OWNER = cast(OwnerColumns, _tables["owner"].c)
OWNER_HISTORY = cast(OwnerHistoryColumns, _tables["owner_history"].c)
REMINDER = cast(ReminderColumns, _tables["reminder"].c)
REMINDER_ACTION = cast(ReminderActionColumns, _tables["reminder_action"].c)
