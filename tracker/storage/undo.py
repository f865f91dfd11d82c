"""Undo: revert a user's latest change group by writing new changes that set each field back.

A change group is everything one command or one save wrote (`authoring.Recorder`). Undo
takes the user's latest group that is neither undone nor an undo itself, so undoing again
walks further back; it never redoes. Each field goes back to its old value with a new
history entry noted `undo`; nothing in history is edited or deleted. A created action is
set cancelled (nothing is deleted); a created recommendation or plan that is still empty
is taken away again. Measures and readings are set back too (`undo_measures`). If anyone
has changed one of those fields since (or a created action, or moved the action on), the
whole undo is refused, naming that change.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from tracker.domain.dates import format_utc
from tracker.domain.errors import NotFoundError, StaleWriteError
from tracker.domain.text import one_line
from tracker.storage import undo_measures
from tracker.storage.authoring import Recorder, check_version, find_rec
from tracker.storage.authoring import _order as order_values
from tracker.storage.change_tables import (
    CHANGE_GROUP,
    HISTORY_GROUP,
    PLAN_HISTORY,
    ChangeGroup,
    HistoryGroup,
)
from tracker.storage.models import (
    ACTION,
    HISTORY,
    JUDGEMENT,
    PLAN,
    RECOMMENDATION,
    Action,
    History,
    Judgement,
    Plan,
    Recommendation,
)

__all__ = ["NOTE", "UndoResult", "undo_latest"]

A = ACTION
H = HISTORY
P = PLAN
R = RECOMMENDATION
J = JUDGEMENT
G = CHANGE_GROUP
HG = HISTORY_GROUP
PH = PLAN_HISTORY

NOTE = "undo"
_FIELDS = frozenset(
    {
        "status",
        "progress",
        "owner",
        "description",
        "partner",
        "start",
        "measure",
        "evidence",
        "notes",
        "deadline",
    }
)
_DATES = frozenset({"start", "deadline"})
_PLAN_DATES = frozenset({"inspection_start", "inspection_end", "published", "plan_due"})


@dataclass(frozen=True, slots=True)
class UndoResult:
    """What undo reverted (or, in a dry run, would revert): one line per change."""

    group_id: int
    command: str
    at: datetime
    lines: list[str]
    dry_run: bool

    @property
    def summary(self) -> str:
        return f"your {self.command} of {format_utc(self.at)}"


def _value(name: str, text: str | None) -> Any:
    if text is None:
        return None
    if name in _DATES or name in _PLAN_DATES:
        return date.fromisoformat(text)
    if name == "progress":
        return int(text)
    return text


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _shown(text: str | None) -> str:
    return one_line(text) or "(empty)"


def latest_group(session: Session, user: str) -> tuple[int, str, datetime] | None:
    """The user's latest change group that can be undone: (id, command, when)."""
    undone = select(G.undoes).where(G.undoes.is_not(None))
    stmt = (
        select(G.id, G.command, G.at)
        .where(G.by == user, G.command != "undo", G.id.not_in(undone))
        .order_by(G.id.desc())
        .limit(1)
    )
    row = session.execute(stmt).first()
    return (int(row[0]), str(row[1]), row[2]) if row is not None else None


@dataclass(slots=True)
class _ActionNow:
    id: int
    plan_id: int
    plan_key: str
    rec_ref: str
    ref: str
    version: int
    values: dict[str, Any]
    revisions: int
    original_deadline: date | None
    changes: dict[str, Any] = field(default_factory=dict)

    @property
    def address(self) -> str:
        return f"{self.plan_key}:{self.ref}"


_COLUMNS = (
    "status",
    "progress",
    "owner",
    "description",
    "partner",
    "start",
    "measure",
    "evidence",
    "notes",
    "deadline",
)


def _load_action(session: Session, action_id: int, *, lock: bool) -> _ActionNow:
    cols = [A.id.table.c[name] for name in _COLUMNS]
    stmt = (
        select(A.plan_id, P.key, R.ref, A.ref, A.version, A.revisions, A.original_deadline, *cols)
        .select_from(Action)
        .join(Plan, P.id == A.plan_id)
        .join(Recommendation, R.id == A.recommendation_id)
        .where(A.id == action_id)
    )
    if lock:
        stmt = stmt.with_for_update(of=A.id.table)
    row = session.execute(stmt).one()
    return _ActionNow(
        id=action_id,
        plan_id=int(row[0]),
        plan_key=row[1],
        rec_ref=row[2],
        ref=row[3],
        version=int(row[4]),
        revisions=int(row[5]),
        original_deadline=row[6],
        values=dict(zip(_COLUMNS, row[7:], strict=True)),
    )


def _later_change(session: Session, action_id: int, after: int, name: str | None) -> str:
    """The latest change to an action (or one field) after history entry `after`, in words."""
    stmt = select(H.at, H.by, H.field, H.old, H.new).where(H.action_id == action_id, H.id > after)
    if name is not None:
        stmt = stmt.where(H.field == name)
    row = session.execute(stmt.order_by(H.id.desc()).limit(1)).first()
    if row is None:
        return "it was changed since"
    at, by, changed, old, new = row
    what = "a note was added" if changed == "note" else f"{changed} {_shown(old)} -> {_shown(new)}"
    return f"{by} changed it since ({what}, {format_utc(at)})"


def undo_latest(session: Session, *, user: str, now: datetime, dry_run: bool) -> UndoResult:
    """Revert the user's latest change group (or say what it would revert, `dry_run`)."""
    group = latest_group(session, user)
    if group is None:
        raise NotFoundError(f"nothing of yours ({user}) to undo")
    group_id, command, at = group
    title = f"cannot undo your {command} of {format_utc(at)}"
    lines: list[str] = []
    steps: list[Callable[[Recorder], None]] = []
    lock = not dry_run

    entries = list(
        session.execute(
            select(H.id, H.action_id, H.field, H.old, H.new, HG.detail)
            .select_from(History)
            .join(HistoryGroup, HG.history_id == H.id)
            .where(HG.group_id == group_id)
            .order_by(H.id.desc())
        )
    )
    actions: dict[int, _ActionNow] = {}
    for hid, action_id, name, old, new, detail in entries:
        if action_id not in actions:
            actions[action_id] = _load_action(session, action_id, lock=lock)
        now_row = actions[action_id]
        where = now_row.address
        if name == "note":
            continue
        if name in _FIELDS:
            current = _text(now_row.changes.get(name, now_row.values[name]))
            if current != new:
                raise StaleWriteError(
                    f"{title}: {where}: {name}: {_later_change(session, action_id, hid, name)}"
                    "; nothing was undone"
                )
            now_row.changes[name] = _value(name, old)
            if name == "deadline":
                revisions = max(now_row.revisions - 1, 0)
                now_row.changes["revisions"] = revisions
                if revisions == 0 and now_row.original_deadline == _value(name, old):
                    now_row.changes["original_deadline"] = None
            lines.append(f"{where}: {name} {_shown(new)} -> {_shown(old)}")
            steps.append(_field_step(action_id, name, new, old))
        elif name == "created":
            later = session.execute(
                select(func.count()).where(H.action_id == action_id, H.id > hid)
            ).scalar_one()
            if later:
                raise StaleWriteError(
                    f"{title}: {where}: {_later_change(session, action_id, hid, None)}"
                    "; nothing was undone"
                )
            status = now_row.values["status"]
            if status != "cancelled":
                now_row.changes["status"] = "cancelled"
                lines.append(f"{where}: added by mistake: status {status} -> cancelled")
                steps.append(_field_step(action_id, "status", status, "cancelled"))
        elif name in ("ref", "plan"):
            info = json.loads(detail) if detail else {}
            current = now_row.ref if name == "ref" else now_row.address
            if current != new or info.get("to_rec") != now_row.rec_ref:
                raise StaleWriteError(
                    f"{title}: {where}: it was moved since "
                    f"({_later_change(session, action_id, hid, name)}); nothing was undone"
                )
            if name == "ref":
                plan_key, back_ref = now_row.plan_key, str(old)
            else:
                plan_key, _, back_ref = str(old).rpartition(":")
            back_rec = str(info.get("from_rec"))
            plan_id = session.execute(select(P.id).where(P.key == plan_key)).scalar_one_or_none()
            if plan_id is None:
                raise StaleWriteError(f"{title}: plan {plan_key!r} is gone; nothing was undone")
            rec_id = find_rec(session, int(plan_id), plan_key, back_rec)
            taken = session.execute(
                select(A.id).where(A.plan_id == plan_id, A.ref == back_ref, A.id != action_id)
            ).first()
            if taken is not None:
                raise StaleWriteError(
                    f"{title}: {plan_key}:{back_ref} is now another action's; nothing was undone"
                )
            now_row.changes.update(
                plan_id=int(plan_id),
                recommendation_id=rec_id,
                **order_values(plan_key, back_rec, back_ref),
            )
            back = f"{plan_key}:{back_ref}"
            lines.append(f"{where}: back to {back} (under {back_rec})")
            steps.append(_field_step(action_id, name, new, old))
        # other fields (an import's "recommendation") are not written by change groups

    plan_rows = list(
        session.execute(
            select(PH.id, PH.plan_id, PH.plan_key, PH.kind, PH.item, PH.field, PH.old, PH.new)
            .where(PH.group_id == group_id)
            .order_by(PH.id.desc())
        )
    )
    created_plans = {
        pid for _, pid, _, kind, _, name, _, _ in plan_rows if kind == "plan" and name == "created"
    }
    created_recs = {
        (pid, item)
        for _, pid, _, kind, item, name, _, _ in plan_rows
        if kind == "recommendation" and name == "created"
    }
    for _, plan_id, plan_key, kind, item, name, old, new in plan_rows:
        if name == "note":
            continue
        if kind == "plan" and name == "created":
            recs = session.execute(
                select(func.count()).select_from(Recommendation).where(R.plan_id == plan_id)
            ).scalar_one()
            if recs:
                raise StaleWriteError(
                    f"{title}: plan {plan_key} has recommendations now; nothing was undone"
                )
            lines.append(f"plan {plan_key}: taken away again (it is still empty)")
            steps.append(_drop_plan(plan_id, plan_key))
        elif plan_id in created_plans:
            continue  # its fields and judgements go with it
        elif kind == "plan":
            column = P.id.table.c[name]
            current = session.execute(select(column).where(P.id == plan_id)).scalar_one_or_none()
            if _text(current) != new:
                raise StaleWriteError(
                    f"{title}: plan {plan_key}: {name} is now {_shown(_text(current))}; "
                    "nothing was undone"
                )
            lines.append(f"plan {plan_key}: {name} {_shown(new)} -> {_shown(old)}")
            steps.append(_plan_step(plan_id, plan_key, name, new, old))
        elif kind == "judgement":
            area = str(item)
            current = session.execute(
                select(J.grade).where(J.plan_id == plan_id, J.area == area)
            ).scalar_one_or_none()
            if current != new:
                raise StaleWriteError(
                    f"{title}: plan {plan_key}: the judgement {area!r} is now "
                    f"{_shown(current)}; nothing was undone"
                )
            lines.append(f"plan {plan_key}: judgement {area}: {_shown(new)} -> {_shown(old)}")
            steps.append(_judgement_step(plan_id, plan_key, area, new, old))
        elif kind == "recommendation" and name == "created":
            rec_id = find_rec(session, plan_id, plan_key, str(item))
            moved_back = sum(
                1 for a in actions.values() if a.changes.get("recommendation_id") == rec_id
            )
            held = session.execute(
                select(func.count()).where(A.recommendation_id == rec_id)
            ).scalar_one()
            # Actions this undo moves out (carry-forward's) are leaving it.
            leaving = sum(
                1
                for a in actions.values()
                if a.plan_id == plan_id and a.rec_ref == item and "recommendation_id" in a.changes
            )
            if held - leaving + moved_back:
                raise StaleWriteError(
                    f"{title}: {plan_key}:{item} has actions now; nothing was undone"
                )
            lines.append(f"{plan_key}: recommendation {item} taken away again (it is empty)")
            steps.append(_drop_rec(plan_id, plan_key, str(item), rec_id))
        elif kind == "recommendation":
            if (plan_id, item) in created_recs:
                continue
            rec_id = find_rec(session, plan_id, plan_key, str(item))
            column = R.id.table.c[name]
            current = session.execute(select(column).where(R.id == rec_id)).scalar_one()
            if _text(current) != new:
                raise StaleWriteError(
                    f"{title}: {plan_key}:{item}: {name} is now {_shown(_text(current))}; "
                    "nothing was undone"
                )
            lines.append(
                f"{plan_key}: recommendation {item}: {name} {_shown(new)} -> {_shown(old)}"
            )
            steps.append(_rec_step(plan_id, plan_key, str(item), rec_id, name, new, old))

    measures = undo_measures.plan(session, group_id, title=title, lock=lock)
    lines.extend(measures.lines)
    steps.extend(measures.steps)

    result = UndoResult(group_id, command, at, lines, dry_run)
    if dry_run:
        return result
    recorder = Recorder(session, user=user, now=now, command="undo", undoes=group_id)
    # Actions first (they may need to leave a recommendation before it is taken away).
    for now_row in actions.values():
        if now_row.changes:
            check_version(now_row.address, now_row.version, now_row.version)
            written = session.execute(
                update(Action)
                .where(A.id == now_row.id, A.version == now_row.version)
                .values(
                    **now_row.changes, version=now_row.version + 1, updated_at=now, updated_by=user
                )
            )
            if getattr(written, "rowcount", 1) != 1:
                raise StaleWriteError(
                    f"{title}: {now_row.address}: someone else changed it at the same moment; "
                    "nothing was undone"
                )
    for step in steps:
        step(recorder)
    if not recorder.actions and not recorder.plans and not recorder.measures:
        # Only notes: nothing to set back, but the group is marked undone all the same.
        session.execute(
            insert(ChangeGroup).values(at=now, by=user, command="undo", undoes=group_id)
        )
    recorder.finish()
    return result


def _field_step(
    action_id: int, name: str, new: str | None, old: str | None
) -> Callable[[Recorder], None]:
    def step(recorder: Recorder) -> None:
        recorder.action(action_id, name, new, old, NOTE)

    return step


def _plan_step(
    plan_id: int, plan_key: str, name: str, new: str | None, old: str | None
) -> Callable[[Recorder], None]:
    def step(recorder: Recorder) -> None:
        recorder.session.execute(
            update(Plan).where(P.id == plan_id).values({name: _value(name, old)})
        )
        recorder.plan(plan_id, plan_key, "plan", name, new, old, NOTE)

    return step


def _judgement_step(
    plan_id: int, plan_key: str, area: str, new: str | None, old: str | None
) -> Callable[[Recorder], None]:
    def step(recorder: Recorder) -> None:
        session = recorder.session
        if old is None:
            session.execute(delete(Judgement).where(J.plan_id == plan_id, J.area == area))
        elif new is None:
            position = session.execute(
                select(func.coalesce(func.max(J.position), 0)).where(J.plan_id == plan_id)
            ).scalar_one()
            session.execute(
                insert(Judgement).values(
                    plan_id=plan_id, position=int(position) + 1, area=area, grade=old
                )
            )
        else:
            session.execute(
                update(Judgement).where(J.plan_id == plan_id, J.area == area).values(grade=old)
            )
        recorder.plan(plan_id, plan_key, "judgement", "grade", new, old, NOTE, item=area)

    return step


def _rec_step(
    plan_id: int, plan_key: str, ref: str, rec_id: int, name: str, new: str | None, old: str | None
) -> Callable[[Recorder], None]:
    def step(recorder: Recorder) -> None:
        recorder.session.execute(update(Recommendation).where(R.id == rec_id).values({name: old}))
        recorder.plan(plan_id, plan_key, "recommendation", name, new, old, NOTE, item=ref)

    return step


def _drop_rec(plan_id: int, plan_key: str, ref: str, rec_id: int) -> Callable[[Recorder], None]:
    def step(recorder: Recorder) -> None:
        recorder.session.execute(delete(Recommendation).where(R.id == rec_id))
        recorder.plan(plan_id, plan_key, "recommendation", "removed", ref, None, NOTE, item=ref)

    return step


def _drop_plan(plan_id: int, plan_key: str) -> Callable[[Recorder], None]:
    def step(recorder: Recorder) -> None:
        recorder.session.execute(delete(Judgement).where(J.plan_id == plan_id))
        recorder.session.execute(delete(Plan).where(P.id == plan_id))
        recorder.plan(plan_id, plan_key, "plan", "removed", plan_key, None, NOTE)

    return step
