"""Undo for measures and readings: what one change group wrote to them, set back.

A measure's field goes back to its old value; a measure added by mistake is retired (it is
never deleted: its history stays); a reading added is taken away again and a reading
corrected gets its earlier value, count, of and note back. Each is a new measure history
entry noted `undo`; nothing in history is edited. If anyone has changed one of them since
(or added a reading to a measure this undo would retire), the whole undo is refused,
naming that change. `undo.undo_latest` calls `plan` for every group.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from tracker.domain.dates import format_utc
from tracker.domain.errors import StaleWriteError
from tracker.domain.measures import MEASURE_FIELDS, MEASURE_NUMBERS, history_text, reading_text
from tracker.domain.text import one_line
from tracker.storage.authoring import Recorder
from tracker.storage.change_tables import MEASURE_HISTORY_GROUP, MeasureHistoryGroup
from tracker.storage.measure_tables import (
    MEASURE,
    MEASURE_HISTORY,
    READING,
    Measure,
    MeasureHistory,
    Reading,
)
from tracker.storage.models import PLAN, Plan

__all__ = ["MeasureUndo", "plan"]

M = MEASURE
MH = MEASURE_HISTORY
MHG = MEASURE_HISTORY_GROUP
RD = READING
P = PLAN

NOTE = "undo"

Step = Callable[[Recorder], None]


@dataclass(slots=True)
class _MeasureNow:
    id: int
    address: str
    version: int
    values: dict[str, Any]
    changes: dict[str, Any] = field(default_factory=dict)
    entries: list[tuple[str, str | None, str | None]] = field(default_factory=list)

    def value(self, name: str) -> Any:
        return self.changes.get(name, self.values[name])


@dataclass(slots=True)
class MeasureUndo:
    """What undoing one group does to measures: a line per change, and the steps that
    write it (run in order, after the actions')."""

    lines: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)


def _value(name: str, text: str | None) -> Any:
    if text is None:
        return None
    return float(text) if name in MEASURE_NUMBERS else text


def _shown(text: str | None) -> str:
    return one_line(text) or "(empty)"


def _reading_text(values: list[Any]) -> str:
    value, count, of, _note = values
    return reading_text(value, count, of)


def _later_change(session: Session, measure_id: int, after: int, names: tuple[str, ...]) -> str:
    """The latest change to a measure's `names` after entry `after`, in words."""
    stmt = (
        select(MH.at, MH.by, MH.field, MH.old, MH.new)
        .where(MH.measure_id == measure_id, MH.id > after, MH.field.in_(names))
        .order_by(MH.id.desc())
        .limit(1)
    )
    row = session.execute(stmt).first()
    if row is None:
        return "it was changed since"
    at, by, changed, old, new = row
    blank = "(none)" if changed.startswith("reading") else "(empty)"
    what = f"{changed} {one_line(old) or blank} -> {one_line(new) or blank}"
    return f"{by} changed it since ({what}, {format_utc(at)})"


def _latest_reading_change(session: Session, measure_id: int, after: int) -> str:
    stmt = (
        select(MH.at, MH.by, MH.field, MH.new)
        .where(MH.measure_id == measure_id, MH.id > after, MH.field.like("reading %"))
        .order_by(MH.id.desc())
        .limit(1)
    )
    row = session.execute(stmt).first()
    if row is None:
        return "it has readings now"
    at, by, changed, new = row
    return f"{by} added readings since ({changed} {one_line(new) or '(none)'}, {format_utc(at)})"


def _load(session: Session, measure_id: int, *, lock: bool) -> _MeasureNow:
    cols = [M.id.table.c[name] for name in MEASURE_FIELDS]
    stmt = (
        select(P.key, M.ref, M.version, *cols)
        .select_from(Measure)
        .join(Plan, P.id == M.plan_id)
        .where(M.id == measure_id)
    )
    if lock:
        stmt = stmt.with_for_update(of=M.id.table)
    row = session.execute(stmt).one()
    return _MeasureNow(
        id=measure_id,
        address=f"{row[0]}:{row[1]}",
        version=int(row[2]),
        values=dict(zip(MEASURE_FIELDS, row[3:], strict=True)),
    )


def plan(session: Session, group_id: int, *, title: str, lock: bool) -> MeasureUndo:
    """Check and describe undoing what group `group_id` wrote to measures and readings.

    Raises StaleWriteError (naming the change) when any of it was changed since; with
    `lock`, the measures and readings are locked until the transaction ends.
    """
    out = MeasureUndo()
    entries = list(
        session.execute(
            select(MH.id, MH.measure_id, MH.field, MH.old, MH.new, MHG.detail)
            .select_from(MeasureHistory)
            .join(MeasureHistoryGroup, MHG.measure_history_id == MH.id)
            .where(MHG.group_id == group_id)
            .order_by(MH.id.desc())
        )
    )
    if not entries:
        return out
    measures: dict[int, _MeasureNow] = {}
    reading_steps: list[Step] = []
    drops: list[tuple[int, int, str, str]] = []
    current = _readings(
        session,
        sorted({mid for _, mid, name, _, _, detail in entries if name.startswith("reading ")}),
        lock=lock,
    )

    def refuse(where: str, why: str) -> StaleWriteError:
        return StaleWriteError(f"{title}: {where}: {why}; nothing was undone")

    for hid, measure_id, name, old, new, detail in entries:
        if measure_id not in measures:
            measures[measure_id] = _load(session, measure_id, lock=lock)
        now_row = measures[measure_id]
        where = now_row.address
        if name in MEASURE_FIELDS:
            if history_text(now_row.value(name)) != new:
                raise refuse(f"{where}: {name}", _later_change(session, measure_id, hid, (name,)))
            if name == "frequency" and _has_readings(session, measure_id):
                raise refuse(
                    where,
                    f"it has readings by {new} period now (its frequency cannot change back)",
                )
            now_row.changes[name] = _value(name, old)
            now_row.entries.append((name, new, old))
            out.lines.append(f"{where}: {name} {_shown(new)} -> {_shown(old)}")
        elif name == "created":
            if _has_readings(session, measure_id):
                raise refuse(where, _latest_reading_change(session, measure_id, hid))
            status = now_row.value("status")
            if status != "retired":
                now_row.changes["status"] = "retired"
                now_row.entries.append(("status", status, "retired"))
                out.lines.append(f"{where}: added by mistake: status {status} -> retired")
        elif name.startswith("reading ") and detail:
            info = json.loads(detail)
            row = current.get((measure_id, str(info["period"])))
            step, line = _reading(session, hid, now_row, info, row, drops, refuse=refuse)
            if step is not None:
                reading_steps.append(step)
            out.lines.append(line)
        # other fields (a plan file's "recommendation") are not written by change groups

    for now_row in measures.values():
        if now_row.changes:
            out.steps.append(_measure_step(now_row, title))
    out.steps.extend(reading_steps)
    if drops:
        out.steps.append(_drop_readings(drops))
    return out


def _readings(
    session: Session, measure_ids: list[int], *, lock: bool
) -> dict[tuple[int, str], Any]:
    """The stored readings of these measures, by (measure, period)."""
    found: dict[tuple[int, str], Any] = {}
    for start in range(0, len(measure_ids), 500):
        chunk = measure_ids[start : start + 500]
        stmt = select(
            RD.id,
            RD.measure_id,
            RD.period,
            RD.value,
            RD.numerator,
            RD.denominator,
            RD.note,
            RD.version,
        ).where(RD.measure_id.in_(chunk))
        if lock:
            stmt = stmt.with_for_update()
        for row in session.execute(stmt):
            found[(int(row.measure_id), str(row.period))] = row
    return found


def _has_readings(session: Session, measure_id: int) -> bool:
    found = session.execute(select(RD.id).where(RD.measure_id == measure_id).limit(1)).first()
    return found is not None


def _reading(
    session: Session,
    hid: int,
    now_row: _MeasureNow,
    info: dict[str, Any],
    row: Any,
    drops: list[tuple[int, int, str, str]],
    *,
    refuse: Callable[[str, str], StaleWriteError],
) -> tuple[Step | None, str]:
    """Check one reading against what the group wrote; the step that sets it back (or,
    for a reading added, its place in `drops`) and the line that says so."""
    period = str(info["period"])
    before: list[Any] | None = info["old"]
    after: list[Any] = info["new"]
    where = f"{now_row.address} {period}"
    if (
        row is None
        or [row.value, row.numerator, row.denominator, row.note] != after
        or int(row.version) != int(info["version"])
    ):
        names = (f"reading {period}", f"reading {period} note")
        raise refuse(where, _later_change(session, now_row.id, hid, names))
    reading_id, version = int(row.id), int(row.version)
    new_text = _reading_text(after)
    if before is None:
        drops.append((now_row.id, reading_id, period, new_text))
        return None, f"{now_row.address}: reading {period} {new_text} taken away again"
    old_text = _reading_text(before)
    if old_text != new_text:
        line = f"{now_row.address}: reading {period} {new_text} -> {old_text}"
    else:
        line = f"{now_row.address}: reading {period} note {_shown(after[3])} -> {_shown(before[3])}"
    step = _set_reading(now_row.id, reading_id, version, period, before, after, where)
    return step, line


def _measure_step(now_row: _MeasureNow, title: str) -> Step:
    def step(recorder: Recorder) -> None:
        written = recorder.session.execute(
            update(Measure)
            .where(M.id == now_row.id, M.version == now_row.version)
            .values(
                **now_row.changes,
                version=now_row.version + 1,
                updated_at=recorder.now,
                updated_by=recorder.user,
            )
        )
        if getattr(written, "rowcount", 1) != 1:
            raise StaleWriteError(
                f"{title}: {now_row.address}: someone else changed it at the same moment; "
                "nothing was undone"
            )
        for name, new, old in now_row.entries:
            recorder.measure(now_row.id, name, new, old, NOTE)

    return step


def _drop_readings(drops: list[tuple[int, int, str, str]]) -> Step:
    """Take away the readings a group added (measure, reading id, period, value text)."""

    def step(recorder: Recorder) -> None:
        ids = [reading_id for _, reading_id, _, _ in drops]
        for start in range(0, len(ids), 500):
            recorder.session.execute(delete(Reading).where(RD.id.in_(ids[start : start + 500])))
        for measure_id, _, period, text in drops:
            recorder.measure(measure_id, f"reading {period}", text, None, NOTE)

    return step


def _set_reading(
    measure_id: int,
    reading_id: int,
    version: int,
    period: str,
    before: list[Any],
    after: list[Any],
    where: str,
) -> Step:
    def step(recorder: Recorder) -> None:
        value, count, of, note = before
        written = recorder.session.execute(
            update(Reading)
            .where(RD.id == reading_id, RD.version == version)
            .values(
                value=value,
                numerator=count,
                denominator=of,
                note=note,
                version=version + 1,
                updated_at=recorder.now,
                updated_by=recorder.user,
            )
        )
        if getattr(written, "rowcount", 1) != 1:
            raise StaleWriteError(
                f"{where}: someone else changed it at the same moment; nothing was undone"
            )
        old_text, new_text = _reading_text(after), _reading_text(before)
        if old_text != new_text:
            recorder.measure(measure_id, f"reading {period}", old_text, new_text, NOTE)
        if old_text == new_text or after[3] != note:
            recorder.measure(measure_id, f"reading {period} note", after[3], note, NOTE)

    return step
