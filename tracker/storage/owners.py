"""Owners in the store: their counts, their addresses with history, renames, and the record
of reminders sent.

Every change is one transaction with its history entries (who, when UTC, field, old,
new, note) and is refused when it was based on a stale read, as for actions. Only
SQLAlchemy expressions: the same code runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, and_, insert, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from tracker.domain import dates
from tracker.domain.errors import NotFoundError, StaleWriteError, ValidationError
from tracker.domain.owners import OwnerSummary, check_email, check_owner_name
from tracker.domain.records import Filters
from tracker.domain.rules import OPEN_STATUSES, RuleSettings
from tracker.storage.authoring import Recorder
from tracker.storage.models import (
    ACTION,
    PLAN,
    RECOMMENDATION,
    Action,
    Plan,
    Recommendation,
)
from tracker.storage.owner_tables import (
    OWNER,
    OWNER_HISTORY,
    REMINDER,
    REMINDER_ACTION,
    Owner,
    OwnerHistory,
    Reminder,
    ReminderAction,
)
from tracker.storage.sqlrules import count_of as _count
from tracker.storage.sqlrules import (
    due_soon_clause,
    filter_clauses,
    overdue_clause,
    stale_clause,
)
from tracker.storage.store import Store

__all__ = [
    "EmailChange",
    "OwnerEntry",
    "RenameResult",
    "claim_reminder",
    "finish_reminder",
    "owner_emails",
    "owner_history",
    "owner_summaries",
    "rename_owner",
    "set_email",
]

A = ACTION
O = OWNER  # noqa: E741
OH = OWNER_HISTORY
_OPEN = sorted(OPEN_STATUSES)


@dataclass(frozen=True, slots=True)
class EmailChange:
    """What `set_email` did: the old and new address (equal: no change) and the version."""

    name: str
    old: str | None
    new: str | None
    version: int

    @property
    def changed(self) -> bool:
        return self.old != self.new


@dataclass(frozen=True, slots=True)
class RenameResult:
    """What `rename_owner` did: actions moved to the new name, and the address kept."""

    old: str
    new: str
    actions: int
    email: str | None
    dropped_email: str | None = None  # the old name's address when the new one had its own


@dataclass(frozen=True, slots=True)
class OwnerEntry:
    """One change to one owner."""

    at: datetime
    by: str
    owner: str
    field: str
    old: str | None
    new: str | None
    note: str | None


# --- reading --------------------------------------------------------------------------------


def owner_summaries(
    store: Store, *, settings: RuleSettings, filters: Filters | None = None
) -> list[OwnerSummary]:
    """Every owner with their counts and address, by owner in byte order.

    With filters, only the actions they select are counted and only owners with such
    actions are listed; without, an owner with an address but no actions is listed too.
    """
    wanted = filters or Filters()
    clauses = filter_clauses(wanted, settings)
    stmt = (
        select(
            A.owner,
            _count(A.id.is_not(None)),
            _count(A.status.in_(_OPEN)),
            _count(overdue_clause(settings)),
            _count(due_soon_clause(settings)),
            _count(stale_clause(settings)),
        )
        .select_from(Action)
        .join(Plan, PLAN.id == A.plan_id)
        .join(Recommendation, RECOMMENDATION.id == A.recommendation_id)
        .where(*clauses)
        .group_by(A.owner)
    )
    found: dict[str, OwnerSummary] = {}
    with store.reading() as session:
        for owner, n, live, overdue, due_soon, stale in session.execute(stmt):
            found[owner] = OwnerSummary(
                name=owner,
                actions=int(n),
                open=int(live),
                overdue=int(overdue),
                due_soon=int(due_soon),
                stale=int(stale),
            )
        for name, email, version in session.execute(select(O.name, O.email, O.version)):
            summary = found.get(name)
            if summary is None:
                if wanted != Filters():
                    continue
                summary = found[name] = OwnerSummary(name=name)
            summary.email = email
            summary.version = int(version)
    return [found[k] for k in sorted(found, key=lambda s: s.encode("utf-8"))]


def owner_email(store: Store, name: str) -> tuple[str | None, int]:
    """An owner's address (None if none) and their record's version (0 if no record)."""
    with store.reading() as session:
        row = session.execute(select(O.email, O.version).where(O.name == name)).first()
    return (row[0], int(row[1])) if row is not None else (None, 0)


def owner_emails(store: Store) -> dict[str, str | None]:
    """Every recorded owner's address (None where it was cleared)."""
    with store.reading() as session:
        found: dict[str, str | None] = {}
        for name, email in session.execute(select(O.name, O.email)):
            found[name] = email
        return found


def owner_history(store: Store, name: str) -> list[OwnerEntry]:
    """Every change to the owner now called `name`, oldest first."""
    stmt = (
        select(OH.at, OH.by, O.name, OH.field, OH.old, OH.new, OH.note)
        .select_from(OwnerHistory)
        .join(Owner, O.id == OH.owner_id)
        .where(O.name == name)
        .order_by(OH.id)
    )
    with store.reading() as session:
        return [OwnerEntry(*row) for row in session.execute(stmt)]


def _owns_actions(session: Session, name: str) -> int:
    return int(
        session.execute(
            select(_count(A.id.is_not(None))).select_from(Action).where(A.owner == name)
        ).scalar_one()
    )


def _unknown_owner(name: str) -> NotFoundError:
    return NotFoundError(
        f"no action is owned by {name!r}: an owner is the exact owner text of actions "
        "('tracker owners' lists them)"
    )


# --- writing --------------------------------------------------------------------------------


def set_email(
    store: Store,
    name: str,
    email: str | None,
    *,
    user: str,
    expected_version: int | None = None,
    note: str | None = None,
) -> EmailChange:
    """Record (or, with None, clear) an owner's address, with an owner history entry.

    `name` must be the exact owner text of some action, or an owner already recorded.
    With `expected_version` (the version the user saw; 0 for no record yet), a change
    made by someone else since is refused.
    """
    address = check_email(email) if email is not None else None
    now = dates.now_utc()

    def work(session: Session) -> EmailChange:
        current = session.execute(
            select(O.id, O.email, O.version).where(O.name == name).with_for_update()
        ).first()
        version = int(current[2]) if current is not None else 0
        if expected_version is not None and version != expected_version:
            raise StaleWriteError(
                f"owner {name!r}: someone else changed this owner since you read it "
                f"(version {version}, you had {expected_version}); nothing was saved",
                current_version=version,
            )
        if current is None:
            if not _owns_actions(session, name):
                raise _unknown_owner(name)
            if address is None:
                return EmailChange(name, None, None, 0)
            owner_id = session.execute(
                insert(Owner)
                .values(name=name, email=address, version=1, updated_at=now, updated_by=user)
                .returning(O.id)
            ).scalar_one()
            _owner_entry(session, owner_id, now, user, "email", None, address, note)
            return EmailChange(name, None, address, 1)
        owner_id, old = int(current[0]), current[1]
        if old == address:
            return EmailChange(name, old, address, version)
        _bump(session, owner_id, version, now, user, email=address)
        _owner_entry(session, owner_id, now, user, "email", old, address, note)
        return EmailChange(name, old, address, version + 1)

    return store.write(work)


def rename_owner(
    store: Store, old: str, new: str, *, user: str, note: str | None = None
) -> RenameResult:
    """Give every action owned by `old` the owner `new`, in one transaction.

    Each action gets an owner history entry and a new version; an action changed by
    someone else while the rename ran is never overwritten (the rename is refused and
    nothing is changed). The owner's address follows the name; when `new` already has
    an address of its own, that one is kept and the old one is recorded as dropped.
    """
    target = check_owner_name(new)
    if target == old:
        raise ValidationError(f"{old!r} already has that name: nothing to rename", field="owner")
    now = dates.now_utc()
    why = note.strip() if note and note.strip() else f"owner renamed from {old!r}"

    def work(session: Session) -> RenameResult:
        owned = list(
            session.execute(
                select(A.id, A.version).where(A.owner == old).order_by(A.id).with_for_update()
            )
        )
        records = {
            name: (int(oid), email, int(version))
            for oid, name, email, version in session.execute(
                select(O.id, O.name, O.email, O.version)
                .where(O.name.in_((old, target)))
                .with_for_update()
            )
        }
        if not owned and old not in records:
            raise _unknown_owner(old)
        for action_id, version in owned:
            written = cast(
                "CursorResult[Any]",
                session.execute(
                    update(Action)
                    .where(A.id == action_id, A.version == version)
                    .values(owner=target, version=version + 1, updated_at=now, updated_by=user)
                ),
            )
            if written.rowcount != 1:
                raise StaleWriteError(
                    f"owner {old!r}: an action changed while it was being renamed; "
                    "nothing was changed, try again"
                )
        # One change group, as every command that changes actions writes: `tracker undo`
        # gives the actions back to the old name (the address stays with the new one).
        recorder = Recorder(session, user=user, now=now, command="owner rename")
        for action_id, _ in owned:
            recorder.action(action_id, "owner", old, target, why)
        recorder.finish()
        email, dropped = _move_record(session, records, old, target, now, user, why)
        return RenameResult(old, target, len(owned), email, dropped)

    return store.write(work)


def _move_record(
    session: Session,
    records: dict[str, tuple[int, str | None, int]],
    old: str,
    new: str,
    now: datetime,
    user: str,
    note: str,
) -> tuple[str | None, str | None]:
    """Carry the old name's owner record to the new name; return (address kept, dropped)."""
    source = records.get(old)
    target = records.get(new)
    if source is None:
        return (target[1] if target else None), None
    source_id, source_email, source_version = source
    if target is None:
        _bump(session, source_id, source_version, now, user, name=new)
        _owner_entry(session, source_id, now, user, "name", old, new, note)
        return source_email, None
    target_id, target_email, target_version = target
    # Both names have a record: the new name's stays, and the old one is left without an
    # address, so nothing is mailed under a name no action has any more.
    if source_email is not None:
        _bump(session, source_id, source_version, now, user, email=None)
        _owner_entry(session, source_id, now, user, "email", source_email, None, note)
    if target_email is None and source_email is not None:
        _bump(session, target_id, target_version, now, user, email=source_email)
        _owner_entry(session, target_id, now, user, "email", None, source_email, note)
        return source_email, None
    dropped = source_email if source_email not in (None, target_email) else None
    return target_email, dropped


def _bump(
    session: Session, owner_id: int, version: int, now: datetime, user: str, **values: Any
) -> None:
    written = cast(
        "CursorResult[Any]",
        session.execute(
            update(Owner)
            .where(O.id == owner_id, O.version == version)
            .values(**values, version=version + 1, updated_at=now, updated_by=user)
        ),
    )
    if written.rowcount != 1:
        raise StaleWriteError("someone else changed this owner at the same moment; nothing saved")


def _owner_entry(
    session: Session,
    owner_id: int,
    at: datetime,
    by: str,
    field: str,
    old: str | None,
    new: str | None,
    note: str | None,
) -> None:
    session.execute(
        insert(OwnerHistory).values(
            owner_id=owner_id, at=at, by=by, field=field, old=old, new=new, note=note
        )
    )


# --- reminders ------------------------------------------------------------------------------

SENDING, SENT, FAILED = "sending", "sent", "failed"


def _taken_today(owner: str, day: date) -> ColumnElement[bool]:
    return and_(REMINDER.owner == owner, REMINDER.day == day, REMINDER.status.in_((SENDING, SENT)))


def reminded_on(store: Store, day: date) -> set[str]:
    """The owners who were sent a reminder (or have one on its way) on `day`."""
    stmt = select(REMINDER.owner).where(REMINDER.day == day, REMINDER.status.in_((SENDING, SENT)))
    with store.reading() as session:
        return {owner for (owner,) in session.execute(stmt)}


def claim_reminder(
    store: Store,
    *,
    owner: str,
    email: str,
    day: date,
    subject: str,
    actions: Sequence[tuple[int, str]],
    user: str,
    again: bool = False,
) -> int | None:
    """Record a reminder as on its way, with the actions it lists, in one transaction.

    Returns its id, or None when the owner already has one sent (or on its way) on
    `day` and not `again`: two `remind` runs at once never both send. The caller sends
    the message and then calls `finish_reminder`.
    """
    now = dates.now_utc()

    def work(session: Session) -> int | None:
        if not again:
            # Serialise claims for one owner: lock their record (if any) first.
            session.execute(select(O.id).where(O.name == owner).with_for_update()).first()
            taken = session.execute(select(REMINDER.id).where(_taken_today(owner, day))).first()
            if taken is not None:
                return None
        reminder_id = session.execute(
            insert(Reminder)
            .values(
                owner=owner,
                email=email,
                day=day,
                at=now,
                by=user,
                subject=subject,
                status=SENDING,
                detail=None,
            )
            .returning(REMINDER.id)
        ).scalar_one()
        if actions:
            session.execute(
                insert(ReminderAction),
                [
                    {"reminder_id": reminder_id, "action_id": action_id, "flag": flag}
                    for action_id, flag in actions
                ],
            )
        return int(reminder_id)

    return store.write(work)


def finish_reminder(store: Store, reminder_id: int, *, sent: bool, detail: str | None) -> None:
    """Mark a claimed reminder sent, or failed with the reason (then it counts for nothing)."""
    now = dates.now_utc()

    def work(session: Session) -> None:
        session.execute(
            update(Reminder)
            .where(REMINDER.id == reminder_id)
            .values(status=SENT if sent else FAILED, detail=detail, at=now)
        )

    store.write(work)


@dataclass(frozen=True, slots=True)
class ReminderRecord:
    """One reminder as recorded: to whom, when, by whom, its state, and its actions."""

    id: int
    owner: str
    email: str
    day: date
    at: datetime
    by: str
    subject: str
    status: str
    detail: str | None
    actions: tuple[str, ...]


def reminders(store: Store, *, day: date | None = None) -> list[ReminderRecord]:
    """The reminders recorded (on `day`, or all), oldest first, with their actions' addresses."""
    stmt = select(
        REMINDER.id,
        REMINDER.owner,
        REMINDER.email,
        REMINDER.day,
        REMINDER.at,
        REMINDER.by,
        REMINDER.subject,
        REMINDER.status,
        REMINDER.detail,
    ).order_by(REMINDER.id)
    if day is not None:
        stmt = stmt.where(REMINDER.day == day)
    listed = (
        select(REMINDER_ACTION.reminder_id, PLAN.key, A.ref)
        .select_from(ReminderAction)
        .join(Action, A.id == REMINDER_ACTION.action_id)
        .join(Plan, PLAN.id == A.plan_id)
        .order_by(REMINDER_ACTION.reminder_id, A.order_key)
    )
    with store.reading() as session:
        rows = list(session.execute(stmt))
        by_reminder: dict[int, list[str]] = {}
        for reminder_id, key, ref in session.execute(listed):
            by_reminder.setdefault(reminder_id, []).append(f"{key}:{ref}")
    return [ReminderRecord(*row, actions=tuple(by_reminder.get(row[0], ()))) for row in rows]
