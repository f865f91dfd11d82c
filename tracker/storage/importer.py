"""Loading plan files into the store: new plans inserted in bulk, stored plans replaced.

A replaced plan keeps its actions' ids; each changed field gets a history entry, and an
action missing from the file is cancelled, not deleted. All the plans of one import go
in one transaction: all of them or none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Integer, String, delete, func, insert, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from tracker.domain import dates
from tracker.domain.errors import PlanFileError
from tracker.domain.plan import ActionData, JudgementData, PlanData, RecommendationData
from tracker.domain.rules import sort_key
from tracker.storage.engine import refresh_statistics
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
from tracker.storage.session import Sessions

__all__ = ["ImportResult", "import_plans", "order_key"]

A = ACTION
H = HISTORY
P = PLAN
R = RECOMMENDATION
J = JUDGEMENT


def order_key(plan_key: str, rec_ref: str, action_ref: str) -> str:
    """The natural order of an action across the whole store, as one comparable string."""
    return _order_prefix(plan_key, rec_ref) + sort_key(action_ref)


@lru_cache(maxsize=1024)
def _order_prefix(plan_key: str, rec_ref: str) -> str:
    """The plan's and recommendation's part of `order_key`, shared by all their actions."""
    return f"{sort_key(plan_key)}\x02{_rec_sort_key(rec_ref)}\x02"


# A plan's actions come recommendation by recommendation: each rec's key is made once.
_rec_sort_key = lru_cache(maxsize=1024)(sort_key)


@dataclass(slots=True)
class ImportResult:
    """What an import did, per plan: actions added, updated and cancelled."""

    plan_key: str
    source: str
    added: int = 0
    updated: int = 0
    cancelled: int = 0
    replaced: bool = False
    # Fields a file without versions (or a forced one) set back: `KEY:REF: field old -> new`.
    set_back: list[str] = field(default_factory=list)


def import_plans(
    sessions: Sessions,
    plans: Sequence[tuple[str, PlanData]],
    *,
    replace: bool = False,
    force: bool = False,
    user: str,
    progress: Callable[[int], None] | None = None,
) -> list[ImportResult]:
    """Load plans (source name, data) in one transaction: all of them or none.

    `progress`, if given, is told how many of the plans' actions are written so far
    (after each chunk of new actions and after each plan), for a progress line.
    """
    now = dates.now_utc()
    written = 0

    def tick(n: int) -> None:
        nonlocal written
        written += n
        if progress is not None:
            progress(written)

    def work(session: Session) -> list[ImportResult]:
        nonlocal written
        written = 0  # a retried transaction counts again from the start
        keys = [plan.key for _, plan in plans]
        stored = dict(
            session.execute(select(P.key, P.id).where(P.key.in_(keys)).with_for_update()).all()
        )
        if stored and not replace:
            raise PlanFileError(
                [
                    f"{source}: plan.key: the store already has a plan {plan.key!r}; "
                    "use --replace to update it from this file"
                    for source, plan in plans
                    if plan.key in stored
                ]
            )
        results = []
        for source, plan in plans:
            existing = stored.get(plan.key)
            if existing is None:
                results.append(
                    _insert_plan(session, plan, source=source, user=user, now=now, tick=tick)
                )
            else:
                results.append(
                    _replace_plan(
                        session, existing, plan, source=source, user=user, now=now, force=force
                    )
                )
                tick(sum(len(rec.actions) for rec in plan.recommendations))
        _count_import(session)
        refresh_statistics(session.connection())
        return results

    return sessions.write(work)


# --- helpers ---


def _revisions(action: ActionData) -> int:
    if action.original_deadline is not None and action.original_deadline != action.deadline:
        return 1
    return 0


def _plan_values(plan: PlanData) -> dict[str, Any]:
    return {
        "authority": plan.authority,
        "title": plan.title,
        "inspection_type": plan.inspection_type,
        "framework": plan.framework,
        "inspection_start": plan.inspection_start,
        "inspection_end": plan.inspection_end,
        "published": plan.published,
        "plan_due": plan.plan_due,
        "overall_judgement": plan.overall_judgement,
    }


def _insert_plan(
    session: Session,
    plan: PlanData,
    *,
    source: str,
    user: str,
    now: datetime,
    tick: Callable[[int], None] | None = None,
) -> ImportResult:
    plan_id = session.execute(
        insert(Plan)
        .values(
            key=plan.key,
            sort_key=sort_key(plan.key),
            source=source,
            imported_at=now,
            imported_by=user,
            **_plan_values(plan),
        )
        .returning(P.id)
    ).scalar_one()
    _write_judgements(session, plan_id, plan.judgements)
    rec_ids = _upsert_recommendations(session, plan_id, plan.recommendations, {})
    rows = [
        _action_values(plan.key, plan_id, rec_ids[rec.ref], rec.ref, action, user, now)
        for rec in plan.recommendations
        for action in rec.actions
    ]
    _bulk_insert_actions(session, rows, tick=tick)
    if any(rec.measures for rec in plan.recommendations):
        from tracker.storage.measures import insert_measures

        insert_measures(
            session,
            plan_key=plan.key,
            plan_id=plan_id,
            recs=plan.recommendations,
            rec_ids=rec_ids,
            user=user,
            now=now,
        )
    return ImportResult(plan_key=plan.key, source=source, added=len(rows))


def _bulk_insert_actions(
    session: Session, rows: list[dict[str, Any]], *, tick: Callable[[int], None] | None = None
) -> None:
    chunk = 5000
    for i in range(0, len(rows), chunk):
        # A Core insert of the table (not the ORM entity): one executemany per chunk.
        session.execute(insert(A.id.table), rows[i : i + chunk])
        if tick is not None:
            tick(len(rows[i : i + chunk]))


def _action_values(
    plan_key: str,
    plan_id: int,
    rec_id: int,
    rec_ref: str,
    action: ActionData,
    user: str,
    now: datetime,
) -> dict[str, Any]:
    action_sort = sort_key(action.ref)
    return {
        "plan_id": plan_id,
        "recommendation_id": rec_id,
        "ref": action.ref,
        "sort_key": action_sort,
        "rec_sort_key": _rec_sort_key(rec_ref),
        "order_key": _order_prefix(plan_key, rec_ref) + action_sort,
        "description": action.description,
        "owner": action.owner,
        "partner": action.partner,
        "start": action.start,
        "deadline": action.deadline,
        "original_deadline": action.original_deadline,
        "status": action.status,
        "progress": action.progress,
        "measure": action.measure,
        "evidence": action.evidence,
        "notes": action.notes,
        "revisions": _revisions(action),
        "version": action.version or 1,  # a plan moved from another store keeps its versions
        "created_at": now,
        "updated_at": now,
        "updated_by": user,
    }


def _write_judgements(session: Session, plan_id: int, judgements: list[JudgementData]) -> None:
    if judgements:
        session.execute(
            insert(Judgement),
            [
                {"plan_id": plan_id, "position": i, "area": j.area, "grade": j.grade}
                for i, j in enumerate(judgements, start=1)
            ],
        )


def _upsert_recommendations(
    session: Session,
    plan_id: int,
    recs: list[RecommendationData],
    existing: dict[str, int],
) -> dict[str, int]:
    ids = dict(existing)
    new_rows: list[dict[str, Any]] = []
    for position, rec in enumerate(recs, start=1):
        values = {"title": rec.title, "text": rec.text, "area": rec.area, "position": position}
        if rec.ref in ids:
            session.execute(update(Recommendation).where(R.id == ids[rec.ref]).values(**values))
        else:
            new_rows.append(
                {"plan_id": plan_id, "ref": rec.ref, "sort_key": sort_key(rec.ref), **values}
            )
    if new_rows:
        # One executemany for the new ones, then their ids by ref (unique in a plan).
        session.execute(insert(R.id.table), new_rows)
        added = {row["ref"] for row in new_rows}
        for rec_id, ref in session.execute(select(R.id, R.ref).where(R.plan_id == plan_id)):
            if ref in added:
                ids[ref] = rec_id
    return ids


_COMPARED = (
    "description",
    "owner",
    "partner",
    "start",
    "deadline",
    "original_deadline",
    "status",
    "progress",
    "measure",
    "evidence",
    "notes",
)


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _count_import(session: Session) -> None:
    """Add one to the store's count of imports, which `data_stamp` reads."""
    stmt = (
        update(Meta)
        .where(META.key == PLAN_IMPORTS)
        .values(value=sql_cast(sql_cast(META.value, Integer) + 1, String))
    )
    counted = cast("CursorResult[Any]", session.execute(stmt))
    if not counted.rowcount:
        session.execute(insert(Meta).values(key=PLAN_IMPORTS, value="1"))


def _replace_plan(
    session: Session,
    plan_id: int,
    plan: PlanData,
    *,
    source: str,
    user: str,
    now: datetime,
    force: bool = False,
) -> ImportResult:
    """Update a stored plan from a file: same ids, each change recorded in history.

    An action the file gives a `version` for (written by export-plan) that has changed in
    the store since that version is not overwritten: the whole import is refused, one
    line per such action naming who changed what, unless `force`. For actions without a
    version (a hand-written file), each field set back is listed in the result.
    """
    result = ImportResult(plan_key=plan.key, source=source, replaced=True)
    note = f"replaced from {source}"
    session.execute(update(Plan).where(P.id == plan_id).values(source=source, **_plan_values(plan)))
    session.execute(delete(Judgement).where(J.plan_id == plan_id))
    _write_judgements(session, plan_id, plan.judgements)
    existing_recs = {
        ref: rid for rid, ref in session.execute(select(R.id, R.ref).where(R.plan_id == plan_id))
    }
    rec_refs = {rid: ref for ref, rid in existing_recs.items()}
    rec_ids = _upsert_recommendations(session, plan_id, plan.recommendations, existing_recs)
    current = {
        row.ref: row
        for row in session.execute(
            select(
                A.id, A.ref, A.recommendation_id, A.version, A.revisions, *(A[c] for c in _COMPARED)
            )
            .where(A.plan_id == plan_id)
            .with_for_update()
        )
    }
    history: list[dict[str, Any]] = []
    new_rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    stale: list[tuple[str, int, int, int, dict[str, tuple[object, object]]]] = []
    listed: list[tuple[str, int, dict[str, tuple[object, object]]]] = []
    for rec in plan.recommendations:
        for action in rec.actions:
            seen.add(action.ref)
            old = current.get(action.ref)
            if old is None:
                new_rows.append(
                    _action_values(plan.key, plan_id, rec_ids[rec.ref], rec.ref, action, user, now)
                )
                continue
            values: dict[str, Any] = {}
            changed: dict[str, tuple[object, object]] = {}
            for name in _COMPARED:
                new_value = getattr(action, name)
                old_value = getattr(old, name)
                if new_value != old_value:
                    values[name] = new_value
                    changed[name] = (old_value, new_value)
                    history.append(_history(old.id, now, user, name, old_value, new_value, note))
            if changed and action.version is not None and old.version > action.version:
                stale.append((action.ref, old.id, action.version, old.version, changed))
            if changed and (action.version is None or force):
                listed.append((action.ref, old.id, changed))
            if old.recommendation_id != rec_ids[rec.ref]:
                values["recommendation_id"] = rec_ids[rec.ref]
                values["rec_sort_key"] = sort_key(rec.ref)
                values["order_key"] = order_key(plan.key, rec.ref, action.ref)
                was = rec_refs.get(old.recommendation_id)
                history.append(_history(old.id, now, user, "recommendation", was, rec.ref, note))
            if values:
                if "deadline" in values:
                    values["revisions"] = old.revisions + 1
                values.update(version=old.version + 1, updated_at=now, updated_by=user)
                session.execute(update(Action).where(A.id == old.id).values(**values))
                result.updated += 1
    for ref, old in current.items():
        if ref not in seen and old.status != "cancelled":
            session.execute(
                update(Action)
                .where(A.id == old.id)
                .values(
                    status="cancelled", version=old.version + 1, updated_at=now, updated_by=user
                )
            )
            history.append(
                _history(
                    old.id,
                    now,
                    user,
                    "status",
                    old.status,
                    "cancelled",
                    f"{note} (not in the file)",
                )
            )
            result.cancelled += 1
    if stale and not force:
        latest = _latest_changes(session, [aid for _, aid, _, _, _ in stale])
        lines = [
            f"{source}: {plan.key}:{ref}: changed in the store since this file was exported "
            f"(version {was}, now {now_version}): "
            + "; ".join(
                _changed_since(name, pair, latest.get((aid, name))) for name, pair in changed
            )
            for ref, aid, was, now_version, changed in (
                (r, a, w, n, list(c.items())) for r, a, w, n, c in stale
            )
        ]
        raise PlanFileError(
            [*lines, f"{source}: nothing was imported: --force overwrites these changes"]
        )
    if listed:
        latest = _latest_changes(session, [aid for _, aid, _ in listed])
        for ref, aid, changed in listed:
            for name, pair in changed.items():
                result.set_back.append(
                    f"{plan.key}:{ref}: {_set_back(name, pair, latest.get((aid, name)))}"
                )
    _bulk_insert_actions(session, new_rows)
    result.added = len(new_rows)
    if history:
        session.execute(insert(History), history)
    from tracker.storage.measures import replace_measures

    replace_measures(
        session, plan=plan, plan_id=plan_id, rec_ids=rec_ids, user=user, now=now, note=note
    )
    return result


def _latest_changes(
    session: Session, action_ids: Sequence[int]
) -> dict[tuple[int, str], tuple[str, datetime]]:
    """Who last changed each field of these actions, and when: (action, field) -> (by, at)."""
    out: dict[tuple[int, str], tuple[str, datetime]] = {}
    ids = sorted(set(action_ids))
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        last = (
            select(func.max(H.id))
            .where(H.action_id.in_(chunk))
            .group_by(H.action_id, H.field)
            .scalar_subquery()
        )
        for aid, name, by, at in session.execute(
            select(H.action_id, H.field, H.by, H.at).where(H.id.in_(last))
        ):
            out[(int(aid), name)] = (by, at)
    return out


def _changed_since(
    name: str, pair: tuple[object, object], last: tuple[str, datetime] | None
) -> str:
    """`Team Lead set progress to 95 at 2026-11-25T10:00:00Z (the file has 90)`."""
    now, theirs = (_short(_as_text(v) or "(empty)") for v in pair)
    if last is None:
        return f"{name} is {now} (the file has {theirs})"
    return f"{last[0]} set {name} to {now} at {dates.format_utc(last[1])} (the file has {theirs})"


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:59] + "…"


def _set_back(name: str, pair: tuple[object, object], last: tuple[str, datetime] | None) -> str:
    """`progress 95 -> 90 (set by ben at 2026-11-25T10:00:00Z)`: what the file sets back."""
    old, new = (_short(_as_text(v) or "(empty)") for v in pair)
    who = f" (set by {last[0]} at {dates.format_utc(last[1])})" if last else ""
    return f"{name} {old} -> {new}{who}"


def _history(
    action_id: int, at: datetime, by: str, field: str, old: object, new: object, note: str
) -> dict[str, Any]:
    return {
        "action_id": action_id,
        "at": at,
        "by": by,
        "field": field,
        "old": _as_text(old),
        "new": _as_text(new),
        "note": note,
    }
