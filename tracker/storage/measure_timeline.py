"""The measures of impact as they stood at the end of a day, read back from history.

As for actions (timeline.py), the state at the end of a day is the current state with
every later change undone, taken from the `old` value of the first history entry after
the cut-off:

- a measure created after the day is left out; its fields (target, status, tolerance,
  direction, name, ...) are those before the first later change of each;
- a reading is left out when the first later entry about its value (`reading PERIOD`)
  is the one that recorded it (no old value); a reading corrected later has the value
  (and count of total) that entry replaced;
- a reading taken away since (undo) is put back as it was;
- a reading's commentary is the note it then had: the old text of the first later
  `reading PERIOD note` entry (a change of commentary always writes one);
- a reading for a period that had not begun by the day is left out: it could not have
  been recorded then (a store back-filled with `TRACKER_NOW` may hold one).

Readings that came in with their plan have no history of their own: they are as old as
their measure. Days end at midnight UTC, the clock history is kept in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select

from tracker.domain.measures import (
    MEASURE_FIELDS,
    MEASURE_NUMBERS,
    MeasureRow,
    PeriodError,
    check_period_begun,
    current_period,
    measure_rows,
    period_index,
)
from tracker.storage.measure_tables import MEASURE, MEASURE_HISTORY, READING
from tracker.storage.measures import measure_selects
from tracker.storage.models import PLAN, RECOMMENDATION, Recommendation
from tracker.storage.store import Store
from tracker.storage.timeline import end_of_day

__all__ = ["scorecard_as_of"]

M = MEASURE
RD = READING
MH = MEASURE_HISTORY
P = PLAN
R = RECOMMENDATION

# A measure moved to another recommendation by a plan file records the ref it left.
_ROLLED_BACK = (*MEASURE_FIELDS, "recommendation")
_READING_TEXT = re.compile(r"^\s*(\S+)(?:\s+\((\S+) of (\S+)\))?\s*$")


def _number(text: str | None) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _reading(text: str) -> tuple[float, float | None, float | None] | None:
    """A reading as history writes it (`70`, `70 (84 of 120)`): value, count and of."""
    found = _READING_TEXT.match(text)
    value = _number(found.group(1)) if found else None
    if found is None or value is None:
        return None
    return value, _number(found.group(2)), _number(found.group(3))


def scorecard_as_of(
    store: Store,
    *,
    day: date,
    plan: str | None = None,
    rec: str | None = None,
    include_retired: bool = False,
    recent: int = 12,
) -> list[MeasureRow]:
    """The scorecard as it read at the end of `day`: one row per measure then existing
    (active then, unless `include_retired`), in natural order, scored from the readings
    and the fields it then had; `recent` readings each for charts (0: none)."""
    cutoff = end_of_day(day)
    conditions: list[Any] = [M.created_at < cutoff]
    if plan is not None:
        conditions.append(P.key == plan)
    if rec is not None:
        conditions.append(R.ref == rec)
    measures_stmt, chosen = measure_selects(conditions)
    first_after = (
        select(func.min(MH.id))
        .where(MH.at >= cutoff, MH.field.in_(_ROLLED_BACK), MH.measure_id.in_(chosen))
        .group_by(MH.measure_id, MH.field)
        .scalar_subquery()
    )
    undo_stmt = select(MH.measure_id, MH.field, MH.old).where(MH.id.in_(first_after))
    quarter = RD.period.like("%Q%")
    begun = or_(
        and_(quarter, RD.period_index <= period_index(current_period(day, "quarterly"))),
        and_(~quarter, RD.period_index <= period_index(current_period(day, "monthly"))),
    )
    readings_stmt = (
        select(RD.measure_id, RD.period, RD.value, RD.note, RD.numerator, RD.denominator)
        .where(RD.measure_id.in_(chosen), begun)
        .order_by(RD.measure_id, RD.period_index)
    )
    # Every entry about the readings of each measure whose readings changed after the day.
    touched = (
        select(MH.measure_id)
        .where(MH.at >= cutoff, MH.field.like("reading %"), MH.measure_id.in_(chosen))
        .distinct()
    )
    entries_stmt = (
        select(MH.measure_id, MH.field, MH.old, MH.new, MH.note, MH.at >= cutoff)
        .where(MH.field.like("reading %"), MH.measure_id.in_(touched))
        .order_by(MH.id)
    )
    with store.reading() as session:
        conn = session.connection()
        rows: list[list[Any]] = [list(r) for r in conn.execute(measures_stmt)]
        undo: dict[int, dict[str, str | None]] = {}
        for mid, name, old in conn.execute(undo_stmt):
            undo.setdefault(mid, {})[name] = old
        readings: list[Sequence[Any]] = list(conn.execute(readings_stmt).all())
        entries = list(conn.execute(entries_stmt))
    moved = {
        mid: then["recommendation"] for mid, then in undo.items() if then.get("recommendation")
    }
    if moved:
        _move_back(store, rows, moved)
    out_rows: list[Sequence[Any]] = []
    for row in rows:
        for name, old in undo.get(row[0], {}).items():
            if name == "recommendation":
                continue
            row[5 + MEASURE_FIELDS.index(name)] = _number(old) if name in MEASURE_NUMBERS else old
        if row[5 + MEASURE_FIELDS.index("tolerance")] is None:
            row[5 + MEASURE_FIELDS.index("tolerance")] = 10.0
        if include_retired or row[5 + MEASURE_FIELDS.index("status")] == "active":
            out_rows.append(row)
    return measure_rows(out_rows, _readings_then(readings, entries, day), recent)


def _move_back(store: Store, rows: list[list[Any]], moved: dict[int, str | None]) -> None:
    """Put measures back under the recommendations they were under (ref and title), and
    the rows back in natural order."""
    from tracker.storage.importer import order_key

    keys = {row[1] for row in rows if row[0] in moved}
    with store.reading() as session:
        titles = {
            (key, ref): title
            for key, ref, title in session.execute(
                select(P.key, R.ref, R.title)
                .join(Recommendation, R.plan_id == P.id)
                .where(P.key.in_(sorted(keys)))
            )
        }
    for row in rows:
        ref = moved.get(row[0])
        if ref is not None:
            row[2] = ref
            row[3] = titles.get((row[1], ref), "")
    rows.sort(key=lambda row: order_key(row[1], row[2], row[4]))


def _begun(period: str, day: date) -> bool:
    try:
        check_period_begun(period, day)
    except PeriodError:
        return False
    return True


def _readings_then(
    readings: list[Sequence[Any]], entries: Sequence[Any], day: date
) -> list[Sequence[Any]]:
    """The readings (measure id, period, value, note, count, of) as they stood at the
    cut-off, by measure and oldest period first, from the entries about them (in order,
    each flagged when it came after the cut-off). A reading taken away since (undo) comes
    back, unless its period had not begun by `day` (the others were read without those)."""
    by_reading: dict[tuple[int, str], list[Any]] = {}
    for entry in entries:
        period = str(entry[1]).removeprefix("reading ").removesuffix(" note")
        by_reading.setdefault((entry[0], period), []).append(entry)
    out: list[Sequence[Any]] = []
    for reading in readings:
        mine = by_reading.pop((reading[0], reading[1]), None)
        then = _one_then(reading, mine) if mine else reading
        if then is not None:
            out.append(then)
    restored = False
    for (mid, period), mine in by_reading.items():
        then = _one_then([mid, period, None, None, None, None], mine)
        if then is not None and then[2] is not None and _begun(period, day):
            out.append(then)
            restored = True
    if restored:
        out.sort(key=lambda r: (r[0], period_index(r[1])))
    return out


def _one_then(reading: Sequence[Any], entries: list[Any]) -> list[Any] | None:
    """One reading at the cut-off, or None when it was not there: its value is the old one
    of the first later entry about its value (none: recorded later), its note the old one
    of the first later `reading PERIOD note` entry."""
    value_field = f"reading {reading[1]}"
    after = [e for e in entries if e[5]]
    then = list(reading)
    value_entry = next((e for e in after if e[1] == value_field), None)
    if value_entry is not None:
        if value_entry[2] is None:
            return None  # recorded after the day
        parsed = _reading(value_entry[2])
        if parsed is None:
            return None
        then[2], then[4], then[5] = parsed
    note_entry = next((e for e in after if e[1] != value_field), None)
    if note_entry is not None:
        then[3] = note_entry[2]
    elif then[3] is None and reading[2] is None:
        then[3] = _note_given([e for e in entries if not e[5]], value_field)
    return then


def _note_given(before: list[Any], value_field: str) -> str | None:
    """The note a reading taken away since had at the cut-off: the latest given it."""
    for e in reversed(before):
        if e[1] != value_field:
            return str(e[3]) if e[3] is not None else None
        if e[2] is None:  # recorded, with its note
            return str(e[4]) if e[4] is not None else None
    return None
