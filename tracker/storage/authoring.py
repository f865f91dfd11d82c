"""Writes that keep and shape the plan: new plans, recommendations and actions, every field
of an action, moves, carry-forward, and the change group each command or save records.

Each function here runs inside one write transaction the Store opens (`Store._write`),
records its history through a `Recorder` (one change group per command or save) and never
commits itself. Structural changes lock the plan's row first, so two users adding actions
to one recommendation at once are served one after the other and get distinct refs (on
SQLite the write lock taken at BEGIN does the same). Dialect-neutral SQLAlchemy only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Integer, String, delete, func, insert, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from tracker.domain.errors import NotFoundError, StaleWriteError, ValidationError, no_plan
from tracker.domain.measures import format_number
from tracker.domain.plan import GRADES, JudgementData
from tracker.domain.records import ActionChanges, HistoryEntry
from tracker.domain.rules import OPEN_STATUSES, sort_key
from tracker.domain.text import is_blank
from tracker.domain.updates import (
    ActionState,
    FieldChange,
    NewAction,
    check_key,
    check_new_action,
    check_ref,
    check_text,
    next_action_ref,
    next_rec_ref,
    plan_update,
)
from tracker.domain.workdays import plan_due as working_plan_due
from tracker.storage.change_tables import (
    CHANGE_GROUP,
    PLAN_HISTORY,
    ChangeGroup,
    HistoryGroup,
    MeasureHistoryGroup,
    PlanHistory,
)
from tracker.storage.measure_tables import MEASURE_HISTORY, MeasureHistory
from tracker.storage.models import (
    ACTION,
    HISTORY,
    JUDGEMENT,
    META,
    PLAN,
    PLAN_IMPORTS,
    RECOMMENDATION,
    Action,
    History,
    Judgement,
    Meta,
    Plan,
    Recommendation,
)

__all__ = [
    "PLAN_FIELDS",
    "REC_FIELDS",
    "PlanFields",
    "Recorder",
    "add_action",
    "add_recommendation",
    "apply_update",
    "carry_forward",
    "edit_plan",
    "edit_recommendation",
    "move_action",
    "moved_to",
    "new_plan",
]

A = ACTION
P = PLAN
R = RECOMMENDATION
H = HISTORY
J = JUDGEMENT
G = CHANGE_GROUP
PH = PLAN_HISTORY

# A plan's own fields that `edit-plan` may change, and a recommendation's.
PLAN_FIELDS = (
    "authority",
    "title",
    "inspection_type",
    "framework",
    "inspection_start",
    "inspection_end",
    "published",
    "plan_due",
    "overall_judgement",
)
REC_FIELDS = ("title", "text", "area")
_PLAN_DATES = frozenset({"inspection_start", "inspection_end", "published", "plan_due"})


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# --- the change group -----------------------------------------------------------------


@dataclass(slots=True)
class Recorder:
    """Collects what one command or one save changes, and writes it as one change group.

    `finish` writes the group, the action history entries, the measure history entries
    and the plan history entries; a group with nothing in it is not written.
    """

    session: Session
    user: str
    now: datetime
    command: str
    undoes: int | None = None
    actions: list[tuple[int, FieldChange, str | None]] = field(default_factory=list)
    plans: list[dict[str, Any]] = field(default_factory=list)
    measures: list[tuple[dict[str, Any], str | None]] = field(default_factory=list)
    touched_plan: bool = False

    def action(
        self,
        action_id: int,
        name: str,
        old: object,
        new: object,
        note: str | None,
        *,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        change = FieldChange(name, _text(old), _text(new), note)
        self.actions.append((action_id, change, json.dumps(detail) if detail else None))

    def plan(
        self,
        plan_id: int,
        plan_key: str,
        kind: str,
        name: str,
        old: object,
        new: object,
        note: str | None,
        *,
        item: str | None = None,
    ) -> None:
        self.touched_plan = True
        self.plans.append(
            {
                "plan_id": plan_id,
                "plan_key": plan_key,
                "kind": kind,
                "item": item,
                "at": self.now,
                "by": self.user,
                "field": name,
                "old": _text(old),
                "new": _text(new),
                "note": note,
            }
        )

    def measure(
        self,
        measure_id: int,
        name: str,
        old: object,
        new: object,
        note: str | None,
        *,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        """A change to a measure (`name` a field, `created`, or `reading PERIOD`)."""
        row = {
            "measure_id": measure_id,
            "at": self.now,
            "by": self.user,
            "field": name,
            "old": _measure_text(old),
            "new": _measure_text(new),
            "note": note,
        }
        self.measures.append((row, json.dumps(detail) if detail else None))

    def finish(self) -> list[HistoryEntry]:
        """Write the group and its entries; return the action history entries written."""
        if self.touched_plan:
            _count_plan_change(self.session)
        if not self.actions and not self.plans and not self.measures:
            return []
        group_id = self.session.execute(
            insert(ChangeGroup)
            .values(at=self.now, by=self.user, command=self.command, undoes=self.undoes)
            .returning(G.id)
        ).scalar_one()
        written: list[HistoryEntry] = []
        if self.actions:
            rows = [
                {
                    "action_id": action_id,
                    "at": self.now,
                    "by": self.user,
                    "field": change.field,
                    "old": change.old,
                    "new": change.new,
                    "note": change.note,
                }
                for action_id, change, _ in self.actions
            ]
            ids = list(
                self.session.execute(
                    insert(History).returning(H.id, sort_by_parameter_order=True), rows
                ).scalars()
            )
            self.session.execute(
                insert(HistoryGroup),
                [
                    {"history_id": hid, "group_id": group_id, "detail": detail}
                    for hid, (_, _, detail) in zip(ids, self.actions, strict=True)
                ],
            )
            written = [
                HistoryEntry(hid, aid, self.now, self.user, ch.field, ch.old, ch.new, ch.note)
                for hid, (aid, ch, _) in zip(ids, self.actions, strict=True)
            ]
        if self.plans:
            for row in self.plans:
                row["group_id"] = group_id
            self.session.execute(insert(PlanHistory), self.plans)
        if self.measures:
            measure_ids = list(
                self.session.execute(
                    insert(MeasureHistory).returning(
                        MEASURE_HISTORY.id, sort_by_parameter_order=True
                    ),
                    [row for row, _ in self.measures],
                ).scalars()
            )
            self.session.execute(
                insert(MeasureHistoryGroup),
                [
                    {"measure_history_id": mhid, "group_id": group_id, "detail": detail}
                    for mhid, (_, detail) in zip(measure_ids, self.measures, strict=True)
                ],
            )
        return written


def _measure_text(value: object) -> str | None:
    return format_number(value) if isinstance(value, float) else _text(value)


def _count_plan_change(session: Session) -> None:
    """Add one to the count open screens watch for changes to plans and recommendations."""
    stmt = (
        update(Meta)
        .where(META.key == PLAN_IMPORTS)
        .values(value=sql_cast(sql_cast(META.value, Integer) + 1, String))
    )
    counted = cast("CursorResult[Any]", session.execute(stmt))
    if not counted.rowcount:
        session.execute(insert(Meta).values(key=PLAN_IMPORTS, value="1"))


# --- looking things up, with locks ------------------------------------------------------


def lock_plan(session: Session, key: str) -> int:
    """The plan's id, its row locked until the transaction ends (PostgreSQL)."""
    found = session.execute(select(P.id).where(P.key == key).with_for_update()).scalar_one_or_none()
    if found is None:
        raise no_plan(key, hint="tracker plans lists them")
    return int(found)


def find_rec(session: Session, plan_id: int, plan_key: str, ref: str) -> int:
    found = session.execute(
        select(R.id).where(R.plan_id == plan_id, R.ref == ref)
    ).scalar_one_or_none()
    if found is None:
        raise NotFoundError(f"no recommendation {ref!r} in plan {plan_key!r}")
    return int(found)


def _action_refs(session: Session, plan_id: int) -> dict[str, int]:
    """Each action ref in the plan and the id of its recommendation."""
    return {
        ref: int(rec)
        for ref, rec in session.execute(
            select(A.ref, A.recommendation_id).where(A.plan_id == plan_id)
        )
    }


def _former_refs(session: Session, plan_id: int) -> set[str]:
    """Refs actions of this plan had before a move: a new action never takes one over."""
    stmt = (
        select(H.old)
        .select_from(History)
        .join(Action, A.id == H.action_id)
        .where(A.plan_id == plan_id, H.field == "ref")
    )
    return {old for (old,) in session.execute(stmt) if old}


def _next_ref(session: Session, plan_id: int, rec_id: int, rec_ref: str) -> str:
    refs = _action_refs(session, plan_id)
    under = [ref for ref, rec in refs.items() if rec == rec_id]
    return next_action_ref(rec_ref, under, taken=[*refs, *_former_refs(session, plan_id)])


def _order(plan_key: str, rec_ref: str, ref: str) -> dict[str, str]:
    action_sort = sort_key(ref)
    rec_sort = sort_key(rec_ref)
    return {
        "ref": ref,
        "sort_key": action_sort,
        "rec_sort_key": rec_sort,
        "order_key": f"{sort_key(plan_key)}\x02{rec_sort}\x02{action_sort}",
    }


def moved_to(session: Session, plan_key: str, ref: str) -> str | None:
    """Where the action once at `plan_key:ref` is now (`KEY:REF`), or None if none was."""
    old_address = f"{plan_key}:{ref}"
    plan_id = session.execute(select(P.id).where(P.key == plan_key)).scalar_one_or_none()
    clauses = [(H.field == "plan") & (H.old == old_address)]
    if plan_id is not None:
        clauses.append((H.field == "ref") & (H.old == ref) & (A.plan_id == plan_id))
    for clause in clauses:
        stmt = (
            select(P.key, A.ref)
            .select_from(History)
            .join(Action, A.id == H.action_id)
            .join(Plan, P.id == A.plan_id)
            .where(clause)
            .order_by(H.id.desc())
            .limit(1)
        )
        found = session.execute(stmt).first()
        if found is not None:
            return f"{found[0]}:{found[1]}"
    return None


# --- actions ----------------------------------------------------------------------------

_STATE_COLUMNS = (
    A.status,
    A.progress,
    A.owner,
    A.deadline,
    A.description,
    A.original_deadline,
    A.start,
    A.partner,
    A.measure,
    A.evidence,
    A.notes,
    A.revisions,
)


def load_state(session: Session, action_id: int, address: object) -> tuple[ActionState, int]:
    """An action's current values and version, its row locked for this transaction."""
    row = session.execute(
        select(*_STATE_COLUMNS, A.version).where(A.id == action_id).with_for_update()
    ).first()
    if row is None:
        raise NotFoundError(f"no action {address!r}")
    values: tuple[Any, ...] = tuple(row)
    return ActionState(*values[:-1]), int(values[-1])


def check_version(address: object, version: int, expected: int | None) -> None:
    """Refuse a write based on a read older (or newer) than the stored version."""
    if expected is None or expected == version:
        return
    if expected > version:
        raise StaleWriteError(
            f"{address}: the action is at version {version}, not {expected}; nothing was saved",
            current_version=version,
        )
    raise StaleWriteError(
        f"{address}: someone else changed this action since you opened it "
        f"(version {version}, you had {expected}); nothing was saved",
        current_version=version,
    )


def _bump(
    session: Session,
    action_id: int,
    address: object,
    version: int,
    values: Mapping[str, Any],
    *,
    user: str,
    now: datetime,
) -> None:
    """Write `values` and the next version, if the action is still at `version`."""
    stmt = (
        update(Action)
        .where(A.id == action_id, A.version == version)
        .values(**values, version=version + 1, updated_at=now, updated_by=user)
    )
    written = cast("CursorResult[Any]", session.execute(stmt))
    if written.rowcount != 1:
        raise StaleWriteError(
            f"{address}: someone else changed this action at the same moment; nothing was saved"
        )


def apply_update(
    session: Session,
    recorder: Recorder,
    action_id: int,
    address: object,
    changes: ActionChanges,
    *,
    expected_version: int | None = None,
) -> bool:
    """Apply one action's changes through the update rules; False when nothing changed."""
    current, version = load_state(session, action_id, address)
    check_version(address, version, expected_version)
    outcome = plan_update(current, changes)
    if outcome.problems:
        first = outcome.problems[0]
        raise ValidationError(first.message, field=first.field)
    if not outcome.entries:
        return False
    _bump(
        session,
        action_id,
        address,
        version,
        outcome.values,
        user=recorder.user,
        now=recorder.now,
    )
    for entry in outcome.entries:
        recorder.action(action_id, entry.field, entry.old, entry.new, entry.note)
    return True


def add_action(
    session: Session,
    recorder: Recorder,
    *,
    plan_key: str,
    rec_ref: str,
    new: NewAction,
    note: str | None = None,
) -> str:
    """Add an action under a recommendation; return its address `KEY:REF`."""
    problems = check_new_action(new)
    if problems:
        raise ValidationError(problems[0].message, field=problems[0].field)
    if note is not None and (message := check_text("note", note)):
        raise ValidationError(message, field="note")
    plan_id = lock_plan(session, plan_key)
    rec_id = find_rec(session, plan_id, plan_key, rec_ref)
    if new.ref is None:
        ref = _next_ref(session, plan_id, rec_id, rec_ref)
    else:
        ref = new.ref
        if ref in _action_refs(session, plan_id):
            raise ValidationError(
                f"{plan_key}:{ref} already exists: choose another --ref or leave it out "
                "for the next free one",
                field="ref",
            )
    now, user = recorder.now, recorder.user
    action_id = session.execute(
        insert(Action)
        .values(
            plan_id=plan_id,
            recommendation_id=rec_id,
            **_order(plan_key, rec_ref, ref),
            description=new.description.strip(),
            owner=new.owner.strip(),
            partner=(new.partner or "").strip() or None,
            start=new.start,
            deadline=new.deadline,
            original_deadline=None,
            status=new.status,
            progress=new.effective_progress,
            measure=(new.measure or "").strip() or None,
            evidence=new.evidence or None,
            notes=new.notes or None,
            revisions=0,
            version=1,
            created_at=now,
            updated_at=now,
            updated_by=user,
        )
        .returning(A.id)
    ).scalar_one()
    recorder.action(int(action_id), "created", None, f"{plan_key}:{ref}", note or None)
    return f"{plan_key}:{ref}"


@dataclass(frozen=True, slots=True)
class _Located:
    id: int
    plan_id: int
    plan_key: str
    rec_id: int
    rec_ref: str
    ref: str
    version: int
    status: str


def _locate(session: Session, action_id: int, address: object) -> _Located:
    row = session.execute(
        select(A.id, A.plan_id, P.key, A.recommendation_id, R.ref, A.ref, A.version, A.status)
        .select_from(Action)
        .join(Plan, P.id == A.plan_id)
        .join(Recommendation, R.id == A.recommendation_id)
        .where(A.id == action_id)
    ).first()
    if row is None:
        raise NotFoundError(f"no action {address!r}")
    aid, plan_id, plan_key, rec_id, rec_ref, ref, version, status = row
    return _Located(
        int(aid), int(plan_id), plan_key, int(rec_id), rec_ref, ref, int(version), status
    )


def move_action(
    session: Session,
    recorder: Recorder,
    action_id: int,
    address: object,
    *,
    to_plan_key: str,
    to_rec_ref: str,
    ref: str | None = None,
    note: str | None = None,
    expected_version: int | None = None,
) -> tuple[str, str]:
    """Move an action under another recommendation of its plan; return (old, new) address.

    It keeps its id and history and takes the next ref there unless `ref` is given; one
    history entry with field `ref` records the old and new ref.
    """
    if ref is not None and (message := check_ref(ref)):
        raise ValidationError(message, field="ref")
    if note is not None and (message := check_text("note", note)):
        raise ValidationError(message, field="note")
    where = _locate(session, action_id, address)
    if to_plan_key != where.plan_key:
        raise ValidationError(
            f"{where.plan_key}:{where.ref} is in plan {where.plan_key!r}: move keeps an action "
            f"in its plan (carry-forward takes open actions to plan {to_plan_key!r})",
            field="to",
        )
    plan_id = lock_plan(session, where.plan_key)
    _, version = load_state(session, action_id, address)
    check_version(address, version, expected_version)
    rec_id = find_rec(session, plan_id, where.plan_key, to_rec_ref)
    if rec_id == where.rec_id and (ref is None or ref == where.ref):
        raise ValidationError(
            f"{where.plan_key}:{where.ref} is already under {to_rec_ref}: nothing to move",
            field="to",
        )
    if ref is None:
        new_ref = _next_ref(session, plan_id, rec_id, to_rec_ref)
    else:
        new_ref = ref
        holder = _action_refs(session, plan_id)
        if new_ref in holder and new_ref != where.ref:
            raise ValidationError(
                f"{where.plan_key}:{new_ref} already exists: choose another --ref",
                field="ref",
            )
    _bump(
        session,
        action_id,
        address,
        version,
        {"recommendation_id": rec_id, **_order(where.plan_key, to_rec_ref, new_ref)},
        user=recorder.user,
        now=recorder.now,
    )
    recorder.action(
        action_id,
        "ref",
        where.ref,
        new_ref,
        note or None,
        detail={"from_rec": where.rec_ref, "to_rec": to_rec_ref},
    )
    return f"{where.plan_key}:{where.ref}", f"{where.plan_key}:{new_ref}"


def carry_forward(
    session: Session,
    recorder: Recorder,
    *,
    old_key: str,
    new_key: str,
    note: str | None = None,
) -> list[tuple[str, str]]:
    """Move every open action of plan `old_key` to `new_key`; return (old, new) addresses.

    Each keeps its id and history and goes under the recommendation with the same ref
    (created with the old one's title, text and area if the new plan has none), taking the
    next ref there; one history entry each with field `plan`. Complete and cancelled
    actions stay behind.
    """
    if old_key == new_key:
        raise ValidationError("carry-forward needs two different plans", field="to")
    # Lock both plans in one order, so two carry-forwards between them cannot deadlock.
    ids = {key: lock_plan(session, key) for key in sorted((old_key, new_key))}
    old_id, new_id = ids[old_key], ids[new_key]
    rows = list(
        session.execute(
            select(A.id, A.ref, A.version, R.ref, R.title, R.text, R.area)
            .select_from(Action)
            .join(Recommendation, R.id == A.recommendation_id)
            .where(A.plan_id == old_id, A.status.in_(sorted(OPEN_STATUSES)))
            .order_by(A.order_key)
            .with_for_update(of=A.id.table)
        )
    )
    new_recs = {
        ref: int(rid)
        for rid, ref in session.execute(select(R.id, R.ref).where(R.plan_id == new_id))
    }
    moved: list[tuple[str, str]] = []
    for action_id, ref, version, rec_ref, title, text, area in rows:
        rec_id = new_recs.get(rec_ref)
        if rec_id is None:
            rec_id = _insert_rec(session, new_id, rec_ref, title, text, area)
            new_recs[rec_ref] = rec_id
            recorder.plan(
                new_id, new_key, "recommendation", "created", None, title, note, item=rec_ref
            )
        new_ref = _next_ref(session, new_id, rec_id, rec_ref)
        _bump(
            session,
            int(action_id),
            f"{old_key}:{ref}",
            int(version),
            {"plan_id": new_id, "recommendation_id": rec_id, **_order(new_key, rec_ref, new_ref)},
            user=recorder.user,
            now=recorder.now,
        )
        old_address, new_address = f"{old_key}:{ref}", f"{new_key}:{new_ref}"
        recorder.action(
            int(action_id),
            "plan",
            old_address,
            new_address,
            note or f"carried forward to {new_key}",
            detail={"from_rec": rec_ref, "to_rec": rec_ref},
        )
        moved.append((old_address, new_address))
    return moved


# --- plans and recommendations ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlanFields:
    """A plan's own fields as a user gives them; None leaves a field as it is."""

    authority: str | None = None
    title: str | None = None
    inspection_type: str | None = None
    framework: str | None = None
    inspection_start: date | None = None
    inspection_end: date | None = None
    published: date | None = None
    plan_due: date | None = None
    overall_judgement: str | None = None

    def given(self) -> dict[str, Any]:
        return {
            name: getattr(self, name) for name in PLAN_FIELDS if getattr(self, name) is not None
        }


def _check_plan_fields(fields: PlanFields, *, new: bool) -> None:
    for name in PLAN_FIELDS:
        value = getattr(fields, name)
        if isinstance(value, str) and (
            message := check_text(name, value, required=name in ("authority", "title"))
        ):
            raise ValidationError(message, field=name)
    if new and not (fields.authority and fields.title):
        raise ValidationError("a new plan needs an authority and a title", field="title")


def _check_judgement(area: str, grade: str) -> None:
    if message := check_text("area", area, required=True):
        raise ValidationError(f"judgement: {message}", field="judgement")
    if grade not in GRADES:
        raise ValidationError(
            f"{grade!r} is not a grade: use one of {', '.join(GRADES)}", field="judgement"
        )


def new_plan(
    session: Session,
    recorder: Recorder,
    *,
    key: str,
    fields: PlanFields,
    judgements: Sequence[JudgementData] = (),
    note: str | None = None,
) -> date | None:
    """Create an empty plan; return its due date (worked out from `published` if not given)."""
    if message := check_key(key):
        raise ValidationError(message, field="key")
    _check_plan_fields(fields, new=True)
    for judgement in judgements:
        _check_judgement(judgement.area, judgement.grade)
    values = fields.given()
    if fields.plan_due is None and fields.published is not None:
        values["plan_due"] = working_plan_due(fields.published)
    if session.execute(select(P.id).where(P.key == key)).first() is not None:
        raise ValidationError(f"the store already has a plan {key!r}", field="key")
    plan_id = int(
        session.execute(
            insert(Plan)
            .values(
                key=key,
                sort_key=sort_key(key),
                source=None,
                imported_at=recorder.now,
                imported_by=recorder.user,
                **values,
            )
            .returning(P.id)
        ).scalar_one()
    )
    recorder.plan(plan_id, key, "plan", "created", None, key, note)
    for name, value in values.items():
        recorder.plan(plan_id, key, "plan", name, None, value, note)
    for position, judgement in enumerate(judgements, start=1):
        session.execute(
            insert(Judgement).values(
                plan_id=plan_id, position=position, area=judgement.area, grade=judgement.grade
            )
        )
        recorder.plan(
            plan_id, key, "judgement", "grade", None, judgement.grade, note, item=judgement.area
        )
    return cast("date | None", values.get("plan_due"))


def _expect(where: str, current: Mapping[str, Any], expected: Mapping[str, Any] | None) -> None:
    """Refuse a change based on values that are no longer the stored ones."""
    if not expected:
        return
    for name, seen in expected.items():
        if _text(current.get(name)) != _text(seen):
            raise StaleWriteError(
                f"{where}: someone else changed the {name} since you opened it "
                f"(now {_text(current.get(name)) or '(empty)'}); nothing was saved"
            )


def edit_plan(
    session: Session,
    recorder: Recorder,
    *,
    key: str,
    fields: PlanFields,
    judgements: Sequence[JudgementData] = (),
    remove_judgements: Sequence[str] = (),
    note: str | None = None,
    expected: Mapping[str, Any] | None = None,
) -> int:
    """Change a plan's own fields and judgements, with history; return how many changed.

    A judgement is set by its area: a new area is added, a known one takes the new grade.
    """
    _check_plan_fields(fields, new=False)
    for judgement in judgements:
        _check_judgement(judgement.area, judgement.grade)
    plan_id = lock_plan(session, key)
    row = session.execute(
        select(*(P.id.table.c[name] for name in PLAN_FIELDS)).where(P.id == plan_id)
    ).one()
    current = dict(zip(PLAN_FIELDS, row, strict=True))
    _expect(f"plan {key}", current, expected)
    count = 0
    values: dict[str, Any] = {}
    for name, value in fields.given().items():
        if isinstance(value, str):
            value = None if is_blank(value) else value.strip()
            if value is None and name in ("authority", "title"):
                raise ValidationError(f"the {name} must not be empty", field=name)
        if value != current[name]:
            values[name] = value
            recorder.plan(plan_id, key, "plan", name, current[name], value, note)
            count += 1
    if values:
        session.execute(update(Plan).where(P.id == plan_id).values(**values))
    stored = {
        area: (int(jid), grade, int(pos))
        for jid, area, grade, pos in session.execute(
            select(J.id, J.area, J.grade, J.position).where(J.plan_id == plan_id)
        )
    }
    for area in remove_judgements:
        if area not in stored:
            raise NotFoundError(f"plan {key!r} has no judgement for {area!r}")
        jid, grade, _ = stored.pop(area)
        session.execute(delete(Judgement).where(J.id == jid))
        recorder.plan(plan_id, key, "judgement", "grade", grade, None, note, item=area)
        count += 1
    for judgement in judgements:
        area, grade = judgement.area.strip(), judgement.grade
        if area in stored:
            jid, old, pos = stored[area]
            if old == grade:
                continue
            session.execute(update(Judgement).where(J.id == jid).values(grade=grade))
            stored[area] = (jid, grade, pos)
        else:
            position = max((p for _, _, p in stored.values()), default=0) + 1
            jid = int(
                session.execute(
                    insert(Judgement)
                    .values(plan_id=plan_id, position=position, area=area, grade=grade)
                    .returning(J.id)
                ).scalar_one()
            )
            old = None
            stored[area] = (jid, grade, position)
        recorder.plan(plan_id, key, "judgement", "grade", old, grade, note, item=area)
        count += 1
    return count


def _insert_rec(
    session: Session,
    plan_id: int,
    ref: str,
    title: str,
    text: str | None,
    area: str | None,
) -> int:
    position = (
        session.execute(
            select(func.coalesce(func.max(R.position), 0)).where(R.plan_id == plan_id)
        ).scalar_one()
        + 1
    )
    return int(
        session.execute(
            insert(Recommendation)
            .values(
                plan_id=plan_id,
                ref=ref,
                sort_key=sort_key(ref),
                position=position,
                title=title,
                text=text,
                area=area,
            )
            .returning(R.id)
        ).scalar_one()
    )


def add_recommendation(
    session: Session,
    recorder: Recorder,
    *,
    plan_key: str,
    title: str,
    ref: str | None = None,
    text: str | None = None,
    area: str | None = None,
    note: str | None = None,
) -> str:
    """Add a recommendation to a plan; return its ref (`R5` after `R4` unless given)."""
    if ref is not None and (message := check_ref(ref, what="recommendation ref")):
        raise ValidationError(message, field="ref")
    for name, value in (("title", title), ("text", text), ("area", area), ("note", note)):
        if message := check_text(name, value, required=name == "title"):
            raise ValidationError(message, field=name)
    plan_id = lock_plan(session, plan_key)
    refs = [r for (r,) in session.execute(select(R.ref).where(R.plan_id == plan_id))]
    if ref is None:
        ref = next_rec_ref(refs)
    elif ref in refs:
        raise ValidationError(
            f"plan {plan_key!r} already has a recommendation {ref!r}", field="ref"
        )
    title = title.strip()
    text = (text or "").strip() or None
    area = (area or "").strip() or None
    _insert_rec(session, plan_id, ref, title, text, area)
    recorder.plan(plan_id, plan_key, "recommendation", "created", None, title, note, item=ref)
    for name, value in (("text", text), ("area", area)):
        if value is not None:
            recorder.plan(plan_id, plan_key, "recommendation", name, None, value, note, item=ref)
    return ref


def edit_recommendation(
    session: Session,
    recorder: Recorder,
    *,
    plan_key: str,
    ref: str,
    changes: Mapping[str, str | None],
    note: str | None = None,
    expected: Mapping[str, Any] | None = None,
) -> list[FieldChange]:
    """Change a recommendation's title, text or area, with history; return what changed.

    Empty text clears `text` or `area`; a title is never empty.
    """
    for name, value in changes.items():
        if name not in REC_FIELDS:
            raise ValidationError(f"a recommendation has no field {name!r}", field=name)
        if message := check_text(name, value, required=name == "title"):
            raise ValidationError(message, field=name)
    if note is not None and (message := check_text("note", note)):
        raise ValidationError(message, field="note")
    plan_id = lock_plan(session, plan_key)
    rec_id = find_rec(session, plan_id, plan_key, ref)
    row = session.execute(select(R.title, R.text, R.area).where(R.id == rec_id)).one()
    current = dict(zip(REC_FIELDS, row, strict=True))
    _expect(f"{plan_key}:{ref}", current, expected)
    values: dict[str, Any] = {}
    out: list[FieldChange] = []
    for name, value in changes.items():
        if value is None:
            continue
        new_value = value.strip() or None
        if new_value != current[name]:
            values[name] = new_value
            recorder.plan(
                plan_id, plan_key, "recommendation", name, current[name], new_value, note, item=ref
            )
            out.append(FieldChange(name, current[name], new_value, note))
    if values:
        session.execute(update(Recommendation).where(R.id == rec_id).values(**values))
    elif note:
        recorder.plan(plan_id, plan_key, "recommendation", "note", None, None, note, item=ref)
    return out


def plan_history(session: Session, plan_key: str) -> list[dict[str, Any]]:
    """The changes to a plan's own fields, judgements and recommendations, oldest first."""
    stmt = (
        select(PH.at, PH.by, PH.kind, PH.item, PH.field, PH.old, PH.new, PH.note)
        .where(PH.plan_key == plan_key)
        .order_by(PH.id)
    )
    return [dict(row._mapping) for row in session.execute(stmt)]


def group_ids(session: Session, history_ids: Iterable[int]) -> dict[int, int]:
    """The change group of each history entry named."""
    from tracker.storage.change_tables import HISTORY_GROUP

    ids = list(history_ids)
    if not ids:
        return {}
    stmt = select(HISTORY_GROUP.history_id, HISTORY_GROUP.group_id).where(
        HISTORY_GROUP.history_id.in_(ids)
    )
    return {int(h): int(g) for h, g in session.execute(stmt)}
