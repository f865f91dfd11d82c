"""Measures of impact in the store: the scorecard, readings, and changes with history.

Every write is one transaction with its history entries (measure_history), and a write
based on a stale read is refused. Readings are never deleted: a second value for a period
corrects the first, and the old value stays in history. A measure is never deleted either:
it is retired. Only SQLAlchemy expressions: the same code runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, literal_column, select, update
from sqlalchemy.orm import Session

from tracker.domain import dates
from tracker.domain.errors import (
    NotFoundError,
    PlanFileError,
    StaleWriteError,
    ValidationError,
)
from tracker.domain.measures import (
    MEASURE_FIELDS,
    MeasurePlace,
    MeasureRow,
    PeriodError,
    ReadingInput,
    ReadingRow,
    check_count,
    check_measure,
    check_period_begun,
    history_text,
    measure_rows,
    parse_period,
    period_index,
    reading_text,
)
from tracker.domain.plan import MeasureData, PlanData, ReadingData, RecommendationData
from tracker.domain.records import HistoryEntry
from tracker.storage.authoring import Recorder
from tracker.storage.fastmeasures import scorecard_key
from tracker.storage.measure_tables import (
    MEASURE,
    MEASURE_HISTORY,
    READING,
    Measure,
    MeasureHistory,
    Reading,
)
from tracker.storage.models import ACTION, PLAN, RECOMMENDATION, Plan, Recommendation
from tracker.storage.store import Store, order_key

__all__ = [
    "MeasureChanges",
    "MeasureStore",
    "ReadingInput",
    "ReadingResult",
    "insert_measures",
    "measure_selects",
    "measures_by_rec",
    "replace_measures",
]

M = MEASURE
RD = READING
MH = MEASURE_HISTORY
P = PLAN
R = RECOMMENDATION
A = ACTION

# How many periods before a measure's latest the scorecard reads: the year before and a
# sparkline of twelve periods both fall within them.
RECENT = 12


@dataclass(slots=True)
class MeasureChanges:
    """What a user asked to change on a measure; None leaves a field as it is.

    `clear` names optional fields (unit, baseline, baseline_period) to empty.
    """

    name: str | None = None
    unit: str | None = None
    direction: str | None = None
    target: float | None = None
    baseline: float | None = None
    baseline_period: str | None = None
    tolerance: float | None = None
    frequency: str | None = None
    status: str | None = None
    clear: tuple[str, ...] = ()


@dataclass(slots=True)
class ReadingResult:
    """What a reading write did: how many were added, corrected and left as they were."""

    added: int = 0
    corrected: int = 0
    unchanged: int = 0
    entries: list[HistoryEntry] = field(default_factory=list)


def _history(
    measure_id: int, at: datetime, by: str, name: str, old: object, new: object, note: str | None
) -> dict[str, Any]:
    return {
        "measure_id": measure_id,
        "at": at,
        "by": by,
        "field": name,
        "old": history_text(old),
        "new": history_text(new),
        "note": note,
    }


def _reading_detail(
    period: str, old: Any, new: ReadingInput, note: str | None, version: int
) -> dict[str, Any]:
    """What undo needs to set a reading back: its values before (None: it was added) and
    after the write (value, count, of, note), and the version written."""
    before = None if old is None else [old.value, old.numerator, old.denominator, old.note]
    return {
        "period": period,
        "old": before,
        "new": [new.value, new.count, new.of, note],
        "version": version,
    }


def _split(address: str) -> tuple[str, str]:
    text = address.strip()
    if ":" not in text:
        raise NotFoundError(f"{text!r}: name a measure as PLAN-KEY:REF (such as plan:M1.1)")
    key, _, ref = text.rpartition(":")
    return key.strip(), ref.strip()


# The scorecard queries' fixed parameters: active measures only, and the readings within
# twelve periods of each measure's latest.
SCORECARD_PARAMS: dict[str, Any] = {"active": "active", "span": 12}


def measure_selects(conditions: Sequence[Any]) -> tuple[Any, Any]:
    """The measures meeting `conditions` in natural order with the scorecard's columns (id,
    plan key, recommendation ref and title, ref, MEASURE_FIELDS, version); and their ids."""
    measures = (
        select(
            M.id, P.key, R.ref, R.title, M.ref, *(getattr(M, f) for f in MEASURE_FIELDS), M.version
        )
        .select_from(Measure)
        .join(Plan, P.id == M.plan_id)
        .join(Recommendation, R.id == M.recommendation_id)
        .where(*conditions)
        .order_by(M.order_key)
    )
    chosen = (
        select(M.id)
        .join(Plan, P.id == M.plan_id)
        .join(Recommendation, R.id == M.recommendation_id)
        .where(*conditions)
    )
    return measures, chosen


def scorecard_selects(
    *, plan: bool, rec: bool, include_retired: bool, narrow: bool = False, first: bool = False
) -> tuple[Any, Any]:
    """The scorecard's two queries: the measures in natural order, then their readings
    within a year of each one's latest, by measure and period. `:plan` and `:rec` are
    parameters when asked for; with `first`, only the first `:first` measures (a screenful,
    read before the rest). The light reader runs their SQLite text (measures_sql.py).
    """
    conditions: list[Any] = []
    if plan:
        conditions.append(P.key == bindparam("plan"))
    if rec:
        conditions.append(R.ref == bindparam("rec"))
    if not include_retired:
        conditions.append(M.status == bindparam("active", SCORECARD_PARAMS["active"]))
    measures, chosen = measure_selects(conditions)
    if first:
        # OFFSET written out: SQLite's dialect would otherwise add one as a parameter.
        no_offset: Any = literal_column("0")
        measures = measures.limit(bindparam("first")).offset(no_offset)
        chosen = chosen.order_by(M.order_key).limit(bindparam("first")).offset(no_offset)
    latest = select(RD.measure_id.label("mid"), func.max(RD.period_index).label("top"))
    if conditions or first:
        latest = latest.where(RD.measure_id.in_(chosen))
    top = latest.group_by(RD.measure_id).subquery()
    readings = (
        select(RD.measure_id, RD.period, RD.value, RD.note, RD.numerator, RD.denominator)
        .join(top, top.c.mid == RD.measure_id)
        .where(
            RD.period_index.in_(
                # The latest, the one before, and a year before (monthly or quarterly).
                [top.c.top, *(top.c.top - literal_column(str(n)) for n in (1, 4, 12))]
            )
            if narrow
            else RD.period_index >= top.c.top - bindparam("span", SCORECARD_PARAMS["span"])
        )
        .order_by(RD.measure_id, RD.period_index)
    )
    return measures, readings


def sqlite_module() -> str:
    """The text of measures_sql.py: the scorecard's queries as SQLite text."""
    from sqlalchemy.dialects import sqlite

    dialect = sqlite.dialect(paramstyle="named")
    lines = [
        '"""The SQLite text of the scorecard\'s queries (storage/measures.py). Generated.',
        "",
        "Do not edit: run `python -m tracker.storage.measures > tracker/storage/measures_sql.py`",
        "after changing them (tests/test_measures.py fails while this file is stale).",
        '"""',
        "",
        "# ruff: noqa: E501",
        "# fmt: off",
        f"PARAMS = {SCORECARD_PARAMS!r}",
        "SCORECARD: dict[str, tuple[str, str]] = {",
    ]
    for plan in (False, True):
        for rec in (False, True):
            for retired in (False, True):
                for narrow in (False, True):
                    for first in (False, True):
                        pair = scorecard_selects(
                            plan=plan, rec=rec, include_retired=retired, narrow=narrow, first=first
                        )
                        texts = tuple(
                            " ".join(str(q.compile(dialect=dialect)).split()) for q in pair
                        )
                        key = scorecard_key(
                            plan=plan, rec=rec, include_retired=retired, narrow=narrow, first=first
                        )
                        lines.append(f"    {key!r}: {texts!r},")
    lines += ["}", "# fmt: on"]
    return "\n".join(lines) + "\n"


class MeasureStore:
    """Measures and readings, through a Store's sessions and transactions."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # --- reading ------------------------------------------------------------------------

    def scorecard(
        self,
        *,
        plan: str | None = None,
        rec: str | None = None,
        include_retired: bool = False,
        recent: int = RECENT,
        first: int | None = None,
    ) -> list[MeasureRow]:
        """One row per measure in natural order, each with its score and latest readings.

        Only the readings within a year of each measure's latest are read: the year
        before and a sparkline of `recent` (at most twelve) periods lie among them; with
        `recent` 0, only the latest, the one before and the year before's. With `first`,
        only the first `first` rows (a screenful to show while the rest is read).
        """
        measures, readings = scorecard_selects(
            plan=plan is not None,
            rec=rec is not None,
            include_retired=include_retired,
            narrow=recent == 0,
            first=first is not None,
        )
        params = {"plan": plan, "rec": rec, "first": first}
        with self.store.reading() as session:
            rows = session.execute(measures, params).all()
            points = session.execute(readings, params).all()
        return measure_rows(rows, points, recent)

    def measure(self, address: str) -> MeasureRow:
        """One measure by `PLAN-KEY:REF`, with its score (retired ones too)."""
        key, ref = _split(address)
        for row in self.scorecard(plan=key, include_retired=True):
            if row.ref == ref:
                return row
        with self.store.reading() as session:
            if session.execute(select(P.id).where(P.key == key)).first() is None:
                raise NotFoundError(f"no plan {key!r} in the store")
        raise NotFoundError(f"no measure {ref!r} in plan {key!r}")

    def readings(self, measure_id: int) -> list[ReadingRow]:
        """Every reading of one measure, oldest period first."""
        stmt = (
            select(
                RD.period,
                RD.value,
                RD.numerator,
                RD.denominator,
                RD.note,
                RD.version,
                RD.updated_by,
                RD.updated_at,
            )
            .where(RD.measure_id == measure_id)
            .order_by(RD.period_index)
        )
        with self.store.reading() as session:
            return [ReadingRow(*r) for r in session.execute(stmt)]

    def history(self, measure_id: int) -> list[HistoryEntry]:
        """Every change of one measure and its readings, oldest first."""
        stmt = (
            select(MH.id, MH.measure_id, MH.at, MH.by, MH.field, MH.old, MH.new, MH.note)
            .where(MH.measure_id == measure_id)
            .order_by(MH.id)
        )
        with self.store.reading() as session:
            return [HistoryEntry._make(r) for r in session.execute(stmt)]

    def places(self) -> list[MeasurePlace]:
        """Every recommendation a measure can be added under, plan by plan in natural
        order, with the ref a new measure there would take."""
        from tracker.storage.importer import order_key as natural

        with self.store.reading() as session:
            recs = list(
                session.execute(
                    select(P.id, P.key, R.ref, R.title).join(Recommendation, R.plan_id == P.id)
                )
            )
            plan_ids = {row[0] for row in recs}
            taken = {pid: frozenset(_refs_in_plan(session, pid)) for pid in plan_ids}
        recs.sort(key=lambda r: natural(r[1], r[2], ""))
        return [
            MeasurePlace(key, ref, title, _next_ref(ref, set(taken[pid])), taken[pid])
            for pid, key, ref, title in recs
        ]

    def stamp(self) -> tuple[int, int]:
        """A cheap fingerprint that changes whenever a measure or a reading changes."""
        stmt = select(
            select(func.count()).select_from(MeasureHistory).scalar_subquery(),
            select(func.count()).select_from(Measure).scalar_subquery(),
        )
        with self.store.reading() as session:
            row = session.execute(stmt).one()
        return int(row[0]), int(row[1])

    # --- writing ------------------------------------------------------------------------

    def add_readings(
        self,
        readings: Sequence[ReadingInput],
        *,
        user: str,
        today: date,
        expected_versions: dict[tuple[str, str], int] | None = None,
        command: str = "reading add",
    ) -> ReadingResult:
        """Record readings in one transaction and one change group (`command`, which undo
        takes back as one): all of them or none.

        A period that already has a value is corrected (history keeps the old one); a
        period that has not begun by `today` is refused (check_period_begun). Every
        problem is listed (with each reading's `place`, such as a CSV line) before anything
        is written. `expected_versions` (address, period) -> the version the user saw (0:
        no reading yet) refuses a write when someone else changed that reading since.
        """
        now = dates.now_utc()

        def work(session: Session) -> ReadingResult:
            problems: list[str] = []
            found: dict[str, tuple[int, str, str] | str] = {}
            for key, ref in {_split(r.address) for r in readings}:
                row = session.execute(
                    select(M.id, M.frequency, M.status)
                    .join(Plan, P.id == M.plan_id)
                    .where(P.key == key, M.ref == ref)
                    .with_for_update()
                ).first()
                address = f"{key}:{ref}"
                if row is None:
                    plan_known = session.execute(select(P.id).where(P.key == key)).first()
                    found[address] = (
                        f"no measure {ref!r} in plan {key!r}"
                        if plan_known
                        else f"no plan {key!r} in the store"
                    )
                else:
                    found[address] = (int(row[0]), row[1], row[2])
            prepared: list[tuple[int, ReadingInput, str]] = []
            seen: dict[tuple[int, str], str] = {}
            for r in readings:
                key, ref = _split(r.address)
                where = f"{r.place}: " if r.place else ""
                info = found[f"{key}:{ref}"]
                if isinstance(info, str):
                    problems.append(f"{where}{info}")
                    continue
                mid, frequency, status = info
                if status != "active":
                    problems.append(
                        f"{where}{key}:{ref} is retired: reinstate it (edit-measure --status "
                        "active) before adding readings"
                    )
                    continue
                try:
                    period = parse_period(r.period, frequency)
                    check_period_begun(period, today)
                except PeriodError as exc:
                    problems.append(f"{where}{exc}")
                    continue
                bad = _check_number(r.value, "value") or check_count(r.value, r.count, r.of)
                if bad:
                    problems.append(f"{where}{bad}")
                    continue
                if r.note is not None and len(r.note) > 2000:
                    problems.append(f"{where}the note is longer than 2,000 characters")
                    continue
                if (mid, period) in seen:
                    problems.append(
                        f"{where}{key}:{ref} {period} is given twice (also {seen[(mid, period)]})"
                    )
                    continue
                seen[(mid, period)] = r.place or "above"
                prepared.append((mid, r, period))
            if problems:
                raise PlanFileError([*problems, "no reading was recorded"])
            result = ReadingResult()
            recorder = Recorder(session, user=user, now=now, command=command)
            new_rows: list[dict[str, Any]] = []
            ids = sorted({mid for mid, _, _ in prepared})
            current: dict[tuple[int, str], Any] = {}
            for chunk in range(0, len(ids), 500):
                for got in session.execute(
                    select(
                        RD.id,
                        RD.measure_id,
                        RD.period,
                        RD.value,
                        RD.numerator,
                        RD.denominator,
                        RD.note,
                        RD.version,
                    )
                    .where(RD.measure_id.in_(ids[chunk : chunk + 500]))
                    .with_for_update()
                ):
                    current[(got.measure_id, got.period)] = got
            for mid, r, period in prepared:
                old = current.get((mid, period))
                if expected_versions is not None:
                    expected = expected_versions.get((r.address.strip(), period))
                    have = 0 if old is None else old.version
                    if expected is not None and expected != have:
                        raise StaleWriteError(
                            f"{r.address.strip()} {period}: someone else changed this reading "
                            "since you read it; nothing was written (look again and retry)",
                            current_version=have,
                        )
                new_text = reading_text(r.value, r.count, r.of)
                if old is None:
                    new_rows.append(
                        {
                            "measure_id": mid,
                            "period": period,
                            "period_index": period_index(period),
                            "value": r.value,
                            "numerator": r.count,
                            "denominator": r.of,
                            "note": r.note,
                            "version": 1,
                            "updated_at": now,
                            "updated_by": user,
                        }
                    )
                    recorder.measure(
                        mid,
                        f"reading {period}",
                        None,
                        new_text,
                        r.note,
                        detail=_reading_detail(period, None, r, r.note, 1),
                    )
                    result.added += 1
                    continue
                same = (
                    old.value == r.value
                    and old.numerator == r.count
                    and old.denominator == r.of
                    and (r.note is None or old.note == r.note)
                )
                if same:
                    result.unchanged += 1
                    continue
                values: dict[str, Any] = {
                    "value": r.value,
                    "numerator": r.count,
                    "denominator": r.of,
                    "version": old.version + 1,
                    "updated_at": now,
                    "updated_by": user,
                }
                if r.note is not None:
                    values["note"] = r.note
                session.execute(update(Reading).where(RD.id == old.id).values(**values))
                old_text = reading_text(old.value, old.numerator, old.denominator)
                detail = _reading_detail(
                    period, old, r, old.note if r.note is None else r.note, old.version + 1
                )
                if old_text != new_text:
                    recorder.measure(
                        mid, f"reading {period}", old_text, new_text, r.note, detail=detail
                    )
                    if r.note is not None and r.note != old.note:
                        # The commentary changed too: its own entry keeps the one replaced.
                        recorder.measure(mid, f"reading {period} note", old.note, r.note, None)
                else:
                    recorder.measure(
                        mid, f"reading {period} note", old.note, r.note, None, detail=detail
                    )
                result.corrected += 1
            for chunk in range(0, len(new_rows), 5000):
                session.execute(insert(Reading), new_rows[chunk : chunk + 5000])
            recorder.finish()
            return result

        return self.store.write(work)

    def add_measure(
        self,
        rec_address: str,
        data: MeasureData,
        *,
        user: str,
        note: str | None = None,
        auto_ref: bool = False,
    ) -> str:
        """Add a measure under a recommendation; return its address. With `auto_ref`, the
        ref is the next `M<n>.<k>` for recommendation `R<n>`."""
        _check_measure(data)
        key, rec_ref = _split(rec_address)
        now = dates.now_utc()

        def work(session: Session) -> str:
            plan_id = session.execute(
                select(P.id).where(P.key == key).with_for_update()
            ).scalar_one_or_none()
            if plan_id is None:
                raise NotFoundError(f"no plan {key!r} in the store")
            rec_id = session.execute(
                select(R.id).where(R.plan_id == plan_id, R.ref == rec_ref)
            ).scalar_one_or_none()
            if rec_id is None:
                raise NotFoundError(f"no recommendation {rec_ref!r} in plan {key!r}")
            taken = _refs_in_plan(session, plan_id)
            ref = _next_ref(rec_ref, taken) if auto_ref else data.ref
            if ref in taken:
                raise ValidationError(f"{key}:{ref} is already a ref in the plan", field="ref")
            rows = insert_measures(
                session,
                plan_key=key,
                plan_id=plan_id,
                recs=[RecommendationData(ref=rec_ref, title="", measures=[_with_ref(data, ref)])],
                rec_ids={rec_ref: rec_id},
                user=user,
                now=now,
            )
            recorder = Recorder(session, user=user, now=now, command="add-measure")
            recorder.measure(rows[ref], "created", None, ref, note)
            recorder.finish()
            return f"{key}:{ref}"

        return self.store.write(work)

    def edit_measure(
        self,
        address: str,
        changes: MeasureChanges,
        *,
        user: str,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> list[HistoryEntry]:
        """Change a measure's fields, one history entry each; [] when nothing changed."""
        key, ref = _split(address)
        now = dates.now_utc()

        def work(session: Session) -> list[HistoryEntry]:
            row = session.execute(
                select(Measure)
                .join(Plan, P.id == M.plan_id)
                .where(P.key == key, M.ref == ref)
                .with_for_update()
            ).scalar_one_or_none()
            if row is None:
                raise NotFoundError(f"no measure {ref!r} in plan {key!r}")
            if expected_version is not None and row.version != expected_version:
                raise StaleWriteError(
                    f"{key}:{ref}: someone else changed this measure since you read it; "
                    "nothing was written",
                    current_version=row.version,
                )
            current = {name: getattr(row, name) for name in MEASURE_FIELDS}
            wanted = dict(current)
            for name in MEASURE_FIELDS:
                value = getattr(changes, name)
                if value is not None:
                    wanted[name] = value
            for name in changes.clear:
                wanted[name] = None
            proposal = MeasureData(
                ref=ref,
                name=wanted["name"],
                direction=wanted["direction"],
                target=wanted["target"],
                unit=wanted["unit"],
                baseline=wanted["baseline"],
                baseline_period=wanted["baseline_period"],
                tolerance=wanted["tolerance"],
                frequency=wanted["frequency"],
                status=wanted["status"],
            )
            _check_measure(proposal)
            wanted["baseline_period"] = proposal.baseline_period  # in its one written form
            if wanted["frequency"] != current["frequency"]:
                has = session.execute(select(RD.id).where(RD.measure_id == row.id).limit(1)).first()
                if has is not None:
                    raise ValidationError(
                        f"{key}:{ref} has readings by {current['frequency']} period: its "
                        "frequency cannot change (add a new measure instead)",
                        field="frequency",
                    )
            changed = {n: wanted[n] for n in MEASURE_FIELDS if wanted[n] != current[n]}
            if not changed:
                return []
            session.execute(
                update(Measure)
                .where(M.id == row.id)
                .values(**changed, version=row.version + 1, updated_at=now, updated_by=user)
            )
            entries = [
                _history(row.id or 0, now, user, n, current[n], v, note) for n, v in changed.items()
            ]
            recorder = Recorder(session, user=user, now=now, command="edit-measure")
            for n, v in changed.items():
                recorder.measure(row.id or 0, n, current[n], v, note)
            recorder.finish()
            return [
                HistoryEntry(0, row.id or 0, now, user, e["field"], e["old"], e["new"], note)
                for e in entries
            ]

        return self.store.write(work)


def _with_ref(data: MeasureData, ref: str) -> MeasureData:
    data.ref = ref
    return data


def _check_number(value: float, name: str) -> str | None:
    import math

    if not math.isfinite(value) or abs(value) >= 1e15:
        return f"{name} {value!r} is not a usable number"
    return None


def _check_measure(data: MeasureData) -> None:
    """The domain's rules (check_measure), refusing the first problem; the baseline
    period is kept in its one written form."""
    for problem in check_measure(data):
        raise ValidationError(problem.message, field=problem.field)
    if data.baseline_period is not None:
        data.baseline_period = parse_period(data.baseline_period, data.frequency)


def _refs_in_plan(session: Session, plan_id: int) -> set[str]:
    refs: set[str] = set()
    for stmt in (
        select(R.ref).where(R.plan_id == plan_id),
        select(A.ref).where(A.plan_id == plan_id),
        select(M.ref).where(M.plan_id == plan_id),
    ):
        refs.update(r for (r,) in session.execute(stmt))
    return refs


def _next_ref(rec_ref: str, taken: set[str]) -> str:
    """`M1.3` after `M1.2` for recommendation `R1`; `M<rec>.1` when it has none."""
    stem = rec_ref[1:] if rec_ref[:1] in ("R", "r") and len(rec_ref) > 1 else rec_ref
    prefix = f"M{stem}."
    numbers = [
        int(r[len(prefix) :]) for r in taken if r.startswith(prefix) and r[len(prefix) :].isdigit()
    ]
    return f"{prefix}{max(numbers, default=0) + 1}"


# --- plan files: import, replace and export ---------------------------------------------


def _measure_values(m: MeasureData) -> dict[str, Any]:
    return {
        "name": m.name,
        "unit": m.unit,
        "direction": m.direction,
        "target": m.target,
        "baseline": m.baseline,
        "baseline_period": m.baseline_period,
        "tolerance": m.tolerance,
        "frequency": m.frequency,
        "status": m.status,
    }


def _reading_values(mid: int, r: ReadingData, user: str, now: datetime) -> dict[str, Any]:
    return {
        "measure_id": mid,
        "period": r.period,
        "period_index": period_index(r.period),
        "value": r.value,
        "numerator": r.count,
        "denominator": r.of,
        "note": r.note,
        "version": 1,
        "updated_at": now,
        "updated_by": user,
    }


def insert_measures(
    session: Session,
    *,
    plan_key: str,
    plan_id: int,
    recs: Iterable[RecommendationData],
    rec_ids: dict[str, int],
    user: str,
    now: datetime,
) -> dict[str, int]:
    """Insert the recommendations' measures and their readings; return id by measure ref."""
    rows: list[dict[str, Any]] = []
    readings: dict[str, list[ReadingData]] = {}
    for rec in recs:
        for m in rec.measures:
            rows.append(
                {
                    "plan_id": plan_id,
                    "recommendation_id": rec_ids[rec.ref],
                    "ref": m.ref,
                    "order_key": order_key(plan_key, rec.ref, m.ref),
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                    "updated_by": user,
                    **_measure_values(m),
                }
            )
            readings[m.ref] = m.readings
    if not rows:
        return {}
    for chunk in range(0, len(rows), 5000):
        session.execute(insert(Measure), rows[chunk : chunk + 5000])
    refs = {row["ref"] for row in rows}
    ids = {
        ref: mid
        for mid, ref in session.execute(select(M.id, M.ref).where(M.plan_id == plan_id))
        if ref in refs
    }
    values = [_reading_values(ids[ref], r, user, now) for ref, rs in readings.items() for r in rs]
    for chunk in range(0, len(values), 5000):
        session.execute(insert(Reading), values[chunk : chunk + 5000])
    return ids


def replace_measures(
    session: Session,
    *,
    plan: PlanData,
    plan_id: int,
    rec_ids: dict[str, int],
    user: str,
    now: datetime,
    note: str,
) -> None:
    """Bring a stored plan's measures in line with a file, keeping every stored reading.

    A measure in the file is updated field by field (history); its readings in the file
    are added or correct the stored ones; stored readings the file lacks are kept. A
    measure missing from the file is retired, never deleted.
    """
    stored = {
        row.ref: row
        for row in session.execute(
            select(
                M.id,
                M.ref,
                M.recommendation_id,
                M.version,
                *(getattr(M, f) for f in MEASURE_FIELDS),
            )
            .where(M.plan_id == plan_id)
            .with_for_update()
        )
    }
    history: list[dict[str, Any]] = []
    new_recs: list[RecommendationData] = []
    seen: set[str] = set()
    for rec in plan.recommendations:
        fresh = [m for m in rec.measures if m.ref not in stored]
        if fresh:
            new_recs.append(RecommendationData(ref=rec.ref, title=rec.title, measures=fresh))
        for m in rec.measures:
            seen.add(m.ref)
            old = stored.get(m.ref)
            if old is None:
                continue
            wanted = _measure_values(m)
            values = {f: v for f, v in wanted.items() if getattr(old, f) != v}
            for f, v in values.items():
                history.append(_history(old.id, now, user, f, getattr(old, f), v, note))
            if old.recommendation_id != rec_ids[rec.ref]:
                values["recommendation_id"] = rec_ids[rec.ref]
                was = session.execute(
                    select(R.ref).where(R.id == old.recommendation_id)
                ).scalar_one_or_none()
                history.append(_history(old.id, now, user, "recommendation", was, rec.ref, note))
            if values:
                values.update(
                    order_key=order_key(plan.key, rec.ref, m.ref),
                    version=old.version + 1,
                    updated_at=now,
                    updated_by=user,
                )
                session.execute(update(Measure).where(M.id == old.id).values(**values))
            _merge_readings(session, old.id, m.readings, user, now, note, history)
    ids = insert_measures(
        session,
        plan_key=plan.key,
        plan_id=plan_id,
        recs=new_recs,
        rec_ids=rec_ids,
        user=user,
        now=now,
    )
    for ref, mid in ids.items():
        history.append(_history(mid, now, user, "created", None, ref, note))
    for ref, old in stored.items():
        if ref not in seen and old.status != "retired":
            session.execute(
                update(Measure)
                .where(M.id == old.id)
                .values(status="retired", version=old.version + 1, updated_at=now, updated_by=user)
            )
            history.append(
                _history(
                    old.id, now, user, "status", old.status, "retired", f"{note} (not in the file)"
                )
            )
    if history:
        session.execute(insert(MeasureHistory), history)


def _merge_readings(
    session: Session,
    mid: int,
    readings: list[ReadingData],
    user: str,
    now: datetime,
    note: str,
    history: list[dict[str, Any]],
) -> None:
    if not readings:
        return
    current = {
        row.period: row
        for row in session.execute(
            select(
                RD.id, RD.period, RD.value, RD.numerator, RD.denominator, RD.note, RD.version
            ).where(RD.measure_id == mid)
        )
    }
    new_rows = []
    for r in readings:
        old = current.get(r.period)
        if old is None:
            new_rows.append(_reading_values(mid, r, user, now))
            history.append(
                _history(
                    mid,
                    now,
                    user,
                    f"reading {r.period}",
                    None,
                    reading_text(r.value, r.count, r.of),
                    note,
                )
            )
            continue
        if (old.value, old.numerator, old.denominator, old.note) == (
            r.value,
            r.count,
            r.of,
            r.note,
        ):
            continue
        session.execute(
            update(Reading)
            .where(RD.id == old.id)
            .values(
                value=r.value,
                numerator=r.count,
                denominator=r.of,
                note=r.note,
                version=old.version + 1,
                updated_at=now,
                updated_by=user,
            )
        )
        old_text = reading_text(old.value, old.numerator, old.denominator)
        new_text = reading_text(r.value, r.count, r.of)
        if old_text != new_text:
            history.append(
                _history(mid, now, user, f"reading {r.period}", old_text, new_text, note)
            )
        if old.note != r.note:
            history.append(
                _history(mid, now, user, f"reading {r.period} note", old.note, r.note, note)
            )
    if new_rows:
        session.execute(insert(Reading), new_rows)


def measures_by_rec(session: Session, plan_id: int) -> dict[int, list[MeasureData]]:
    """A stored plan's measures with all their readings, by recommendation id (export)."""
    out: dict[int, list[MeasureData]] = {}
    by_id: dict[int, MeasureData] = {}
    for row in session.execute(
        select(M.id, M.recommendation_id, M.ref, *(getattr(M, f) for f in MEASURE_FIELDS))
        .where(M.plan_id == plan_id)
        .order_by(M.order_key)
    ):
        data = MeasureData(
            ref=row.ref,
            name=row.name,
            direction=row.direction,
            target=row.target,
            unit=row.unit,
            baseline=row.baseline,
            baseline_period=row.baseline_period,
            tolerance=row.tolerance,
            frequency=row.frequency,
            status=row.status,
        )
        by_id[row.id] = data
        out.setdefault(row.recommendation_id, []).append(data)
    if by_id:
        for mid, period, value, note, count, of in session.execute(
            select(RD.measure_id, RD.period, RD.value, RD.note, RD.numerator, RD.denominator)
            .join(Measure, M.id == RD.measure_id)
            .where(M.plan_id == plan_id)
            .order_by(RD.measure_id, RD.period_index)
        ):
            by_id[mid].readings.append(
                ReadingData(period=period, value=value, note=note, count=count, of=of)
            )
    return out


if __name__ == "__main__":  # pragma: no cover - the generator
    import sys

    sys.stdout.write(sqlite_module())
