"""The plan over time, read back from history: actions as at a date, what changed in a
period, and month-by-month counts for trend charts.

History is append-only and each entry keeps the value it replaced, so the state of an
action at the end of a day is its current state with every later change undone: for each
field, the `old` value of the first entry after the cut-off. One ordered query over the
history after the cut-off serves every action, so this stays fast at 100,000 actions.
Days end at midnight UTC, the clock history is kept in.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from tracker.domain.filtering import check_statuses, matches, rag_filter
from tracker.domain.records import ActionRow, Filters, ViewCounts
from tracker.domain.rules import OPEN_STATUSES, RuleSettings
from tracker.storage.models import ACTION, HISTORY, PLAN, Action, History, Plan
from tracker.storage.sqlrules import rows_select
from tracker.storage.store import Store

__all__ = [
    "AsOfReader",
    "ChangeEntry",
    "ChangeLog",
    "TrendPoint",
    "actions_as_of",
    "changes_between",
    "end_of_day",
    "monthly_trend",
    "monthly_trends",
]

A = ACTION
H = HISTORY
P = PLAN

# History fields that hold an action's column, and how to read the stored text back.
_DATE_FIELDS = frozenset({"start", "deadline", "original_deadline"})
_TEXT_FIELDS = frozenset(
    {"description", "owner", "partner", "status", "measure", "evidence", "notes"}
)
_REPLAYED = frozenset({*_DATE_FIELDS, *_TEXT_FIELDS, "progress"})


def end_of_day(day: date) -> datetime:
    """The first instant after `day` (midnight UTC that ends it), as naive UTC."""
    return datetime.combine(day + timedelta(days=1), time())


def _value(name: str, text: str | None) -> Any:
    if text is None:
        return None
    if name in _DATE_FIELDS:
        return date.fromisoformat(text)
    if name == "progress":
        return int(text)
    return text


# --- as at a date -----------------------------------------------------------------------


def actions_as_of(
    store: Store,
    *,
    day: date,
    filters: Filters | None = None,
    settings: RuleSettings,
) -> Iterator[ActionRow]:
    """Each action as it stood at the end of `day`, in natural order.

    Actions created after `day` are left out. Status, progress, owner, deadline, original
    deadline, revisions and the other fields history records are rolled back; the filters
    apply to the rolled-back values, judged with `settings` (whose `today` should be `day`).
    """
    wanted = filters or Filters()
    check_statuses(wanted.statuses)
    if wanted.rag:
        rag_filter(wanted.rag)
    cutoff = end_of_day(day)
    later = select(H.action_id).where(H.at >= cutoff)
    first_ids = (
        select(func.min(H.id)).where(H.at >= cutoff).group_by(H.action_id, H.field)
    ).scalar_subquery()
    undo_stmt = select(H.action_id, H.field, H.old).where(H.id.in_(first_ids))
    deadline_moves = (
        select(H.action_id, func.count())
        .where(H.at >= cutoff, H.field == "deadline")
        .group_by(H.action_id)
    )
    last_before = (
        select(func.max(H.id))
        .where(H.at < cutoff, H.action_id.in_(later))
        .group_by(H.action_id)
        .scalar_subquery()
    )
    stamp_stmt = select(H.action_id, H.at, H.by).where(H.id.in_(last_before))
    created_stmt = (
        select(A.id, A.created_at, P.imported_by)
        .select_from(Action)
        .join(Plan, P.id == A.plan_id)
        .where(A.id.in_(later))
    )
    undo: dict[int, dict[str, Any]] = {}
    moves: dict[int, int] = {}
    stamps: dict[int, tuple[datetime, str]] = {}
    with store.reading() as session:
        for action_id, name, old in session.execute(undo_stmt):
            if name in _REPLAYED:
                undo.setdefault(action_id, {})[name] = _value(name, old)
        moves = {aid: int(n) for aid, n in session.execute(deadline_moves)}
        for action_id, created_at, imported_by in session.execute(created_stmt):
            stamps[action_id] = (created_at, imported_by)
        for action_id, at, by in session.execute(stamp_stmt):
            stamps[action_id] = (at, by)
    scope = Filters(plan=wanted.plan, rec=wanted.rec)
    stmt = rows_select(scope, settings).where(A.created_at < cutoff)
    with store.reading() as session:
        result = session.connection().execution_options(yield_per=2000).execute(stmt)
        for raw in result:
            row = ActionRow._make(raw)
            if row.id in stamps:
                row = _roll_back(row, undo.get(row.id, {}), moves.get(row.id, 0), stamps[row.id])
            if matches(row, wanted, settings):
                yield row


def _roll_back(
    row: ActionRow, old: dict[str, Any], moves: int, stamp: tuple[datetime, str]
) -> ActionRow:
    values = dict(old)
    revisions = max(row.revisions - moves, 0)
    # The first revision is what set the original deadline; before it there was none.
    if (
        moves
        and "original_deadline" not in values
        and revisions == 0
        and row.original_deadline == values.get("deadline")
    ):
        values["original_deadline"] = None
    values["revisions"] = revisions
    values["updated_at"], values["updated_by"] = stamp
    return row._replace(**values)


class AsOfReader:
    """A Store seen as at the end of one day: the reader `list` and `export` use for --as-of.

    Its rows are the rolled-back actions and its counts are counted from them, judged with
    the settings the caller passes (whose `today` should be the day).
    """

    def __init__(self, store: Store, day: date) -> None:
        self.store = store
        self.day = day

    def iter_actions(
        self,
        *,
        filters: Filters | None = None,
        settings: RuleSettings,
        sort: str | None = None,
        descending: bool = False,
    ) -> Iterator[ActionRow]:
        if sort not in (None, "ref") or descending:
            from tracker.domain.errors import ValidationError

            raise ValidationError("a view as at a date is shown in natural order only")
        return actions_as_of(self.store, day=self.day, filters=filters, settings=settings)

    def view_counts(self, *, filters: Filters | None = None, settings: RuleSettings) -> ViewCounts:
        counts = ViewCounts()
        for row in self.iter_actions(filters=filters, settings=settings):
            counts.total += 1
            counts.overdue += row.overdue(settings.today)
            counts.due_soon += row.due_soon(settings)
            counts.blocked += row.status == "blocked"
            counts.complete += row.status == "complete"
            rating = row.rag(settings)
            if rating is not None:
                counts.rag[rating.value] = counts.rag.get(rating.value, 0) + 1
        return counts

    def plan_keys(self) -> list[str]:
        return self.store.plan_keys()

    def close(self) -> None:
        self.store.close()


# --- what changed ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChangeEntry:
    """One history entry with the action it belongs to."""

    at: datetime
    by: str
    plan_key: str
    ref: str
    field: str
    old: str | None
    new: str | None
    note: str | None

    @property
    def address(self) -> str:
        return f"{self.plan_key}:{self.ref}"


@dataclass(frozen=True, slots=True)
class PlanImport:
    """A plan imported in the period: when, by whom, and how many actions came with it."""

    plan_key: str
    at: datetime
    by: str
    actions: int


@dataclass(slots=True)
class ChangeLog:
    """Every change in a period and the board's summary of it.

    - completed: actions set to complete in the period and still complete at its end;
    - newly_overdue: actions overdue as at `until` (open at the end of that day, deadline
      before it) whose deadline is on or after `since`, so they were not overdue as at
      `since`; they became overdue during the period;
    - deadlines_moved: every deadline change in the period;
    - status_changes: every status change in the period;
    - added: actions created in the period after their plan was imported (added to the
      plan, or new in a `--replace`), not those that came with the plan's import;
    - imports: plans imported in the period, with how many actions each brought;
    - stale: actions open at the end of `until` with no update for more than the update
      window as at `until` (rules.is_stale).
    """

    since: date
    until: date
    entries: list[ChangeEntry] = field(default_factory=list)
    completed: list[ActionRow] = field(default_factory=list)
    newly_overdue: list[ActionRow] = field(default_factory=list)
    added: list[ActionRow] = field(default_factory=list)
    stale: list[ActionRow] = field(default_factory=list)
    imports: list[PlanImport] = field(default_factory=list)

    @property
    def deadlines_moved(self) -> list[ChangeEntry]:
        return [e for e in self.entries if e.field == "deadline"]

    @property
    def status_changes(self) -> list[ChangeEntry]:
        return [e for e in self.entries if e.field == "status"]

    def for_plan(self, key: str) -> ChangeLog:
        """The part of this log about one plan."""
        return ChangeLog(
            since=self.since,
            until=self.until,
            entries=[e for e in self.entries if e.plan_key == key],
            completed=[r for r in self.completed if r.plan_key == key],
            newly_overdue=[r for r in self.newly_overdue if r.plan_key == key],
            added=[r for r in self.added if r.plan_key == key],
            stale=[r for r in self.stale if r.plan_key == key],
            imports=[i for i in self.imports if i.plan_key == key],
        )

    def summary(self) -> dict[str, int]:
        """The counts a board paper leads with."""
        return {
            "changes": len(self.entries),
            "completed": len(self.completed),
            "newly_overdue": len(self.newly_overdue),
            "deadlines_moved": len(self.deadlines_moved),
            "status_changes": len(self.status_changes),
            "actions_added": len(self.added),
            "stale": len(self.stale),
            "actions_imported": sum(i.actions for i in self.imports),
        }


def changes_between(
    store: Store, *, since: date, until: date, plan: str | None = None, settings: RuleSettings
) -> ChangeLog:
    """Every history entry from the start of `since` to the end of `until`, with a summary.

    The summary's states are judged as at `until` with `settings`' thresholds.
    """
    if until < since:
        from tracker.domain.errors import UsageError

        raise UsageError(f"--until {until} is before --since {since}")
    start, stop = datetime.combine(since, time()), end_of_day(until)
    stmt = (
        select(H.at, H.by, P.key, A.ref, H.field, H.old, H.new, H.note, H.action_id)
        .select_from(History)
        .join(Action, A.id == H.action_id)
        .join(Plan, P.id == A.plan_id)
        .where(H.at >= start, H.at < stop)
        .order_by(H.at, H.id)
    )
    # Actions created in the period: those created with their plan's import (the same
    # moment) are counted as the import, the rest as added since.
    created_stmt = (
        select(A.id, P.key, P.imported_at, P.imported_by, A.created_at == P.imported_at)
        .join(Plan, P.id == A.plan_id)
        .where(A.created_at >= start, A.created_at < stop)
    )
    if plan:
        stmt = stmt.where(P.key == plan)
        created_stmt = created_stmt.where(P.key == plan)
    log = ChangeLog(since=since, until=until)
    completed_ids: set[int] = set()
    with store.reading() as session:
        for at, by, key, ref, name, old, new, note, action_id in session.execute(stmt):
            log.entries.append(ChangeEntry(at, by, key, ref, name, old, new, note))
            if name == "status" and new == "complete":
                completed_ids.add(action_id)
        added_ids: set[int] = set()
        imports: dict[str, list[Any]] = {}
        for aid, key, imported_at, imported_by, with_import in session.execute(created_stmt):
            if with_import:
                imports.setdefault(key, [key, imported_at, imported_by, 0])[3] += 1
            else:
                added_ids.add(aid)
    log.imports = sorted(
        (PlanImport(*i) for i in imports.values()), key=lambda i: (i.at, i.plan_key)
    )
    at_end = replace(settings, today=until)
    for row in actions_as_of(store, day=until, filters=Filters(plan=plan), settings=at_end):
        if row.id in completed_ids and row.status == "complete":
            log.completed.append(row)
        if row.status in OPEN_STATUSES and since <= row.deadline < until:
            log.newly_overdue.append(row)
        if row.id in added_ids:
            log.added.append(row)
        if row.stale(at_end):
            log.stale.append(row)
    return log


def change_records(log: ChangeLog) -> list[dict[str, str | None]]:
    """The entries as flat records: the columns of `changes --format csv|json`."""
    from tracker.domain.dates import format_utc

    return [
        {
            "at": format_utc(e.at),
            "by": e.by,
            "action": e.address,
            "field": e.field,
            "old": e.old,
            "new": e.new,
            "note": e.note,
        }
        for e in log.entries
    ]


# --- trend --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """How many actions were open, overdue and complete at the end of one month."""

    month: date  # the first day of the month
    as_at: date  # the day the counts are judged at: the month's last day, or today
    open: int
    overdue: int
    complete: int
    total: int

    @property
    def label(self) -> str:
        return self.month.strftime("%b %Y")


def _month_starts(today: date, months: int) -> list[date]:
    first = today.replace(day=1)
    out = [first]
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
        out.append(first)
    return sorted(out)


def _month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def monthly_trend(
    store: Store, *, settings: RuleSettings, months: int = 12, plan: str | None = None
) -> list[TrendPoint]:
    """Open, overdue and complete actions at the end of each of the last `months` months.

    The current month is judged at `settings.today`; months before the first action was
    stored are left out. Computed from one read of the actions and one of the status and
    deadline history since the earliest month.
    """
    return _trends(store, settings=settings, months=months, plan=plan, by_plan=False).get("", [])


def monthly_trends(
    store: Store, *, settings: RuleSettings, months: int = 12, plan: str | None = None
) -> dict[str, list[TrendPoint]]:
    """`monthly_trend` for each plan at once, keyed by plan key (same two reads)."""
    return _trends(store, settings=settings, months=months, plan=plan, by_plan=True)


def _trends(
    store: Store, *, settings: RuleSettings, months: int, plan: str | None, by_plan: bool
) -> dict[str, list[TrendPoint]]:
    starts = _month_starts(settings.today, max(months, 1))
    ends = [min(_month_end(s), settings.today) for s in starts]
    earliest = end_of_day(ends[0])
    actions_stmt = (
        select(A.id, A.status, A.deadline, A.created_at, P.key)
        .select_from(Action)
        .join(Plan, P.id == A.plan_id)
    )
    history_stmt = (
        select(H.action_id, H.at, H.field, H.old)
        .where(H.at >= earliest, H.field.in_(("status", "deadline")))
        .order_by(H.at.desc(), H.id.desc())
    )
    if plan:
        plan_ids = select(P.id).where(P.key == plan)
        actions_stmt = actions_stmt.where(A.plan_id.in_(plan_ids))
        history_stmt = history_stmt.join(Action, A.id == H.action_id).where(A.plan_id.in_(plan_ids))
    with store.reading() as session:
        state = {
            aid: [status, deadline, created, key if by_plan else ""]
            for aid, status, deadline, created, key in session.execute(actions_stmt)
        }
        changes = list(session.execute(history_stmt))
    series: dict[str, list[TrendPoint]] = {}
    pos = 0
    for start, end in zip(reversed(starts), reversed(ends), strict=True):
        cutoff = end_of_day(end)
        while pos < len(changes) and changes[pos][1] >= cutoff:
            action_id, _, name, old = changes[pos]
            pos += 1
            current = state.get(action_id)
            if current is None or old is None:
                continue
            if name == "status":
                current[0] = old
            else:
                current[1] = date.fromisoformat(old)
        for key, point in _count_at(start, end, cutoff, state.values()).items():
            series.setdefault(key, []).append(point)
    out: dict[str, list[TrendPoint]] = {}
    for key, points in series.items():
        points.reverse()
        # Months before the plan's first action was stored say nothing: leave them out.
        while len(points) > 1 and points[0].total == 0:
            points.pop(0)
        out[key] = points
    return out


def _count_at(
    month: date, day: date, cutoff: datetime, states: Iterable[list[Any]]
) -> dict[str, TrendPoint]:
    counts: dict[str, list[int]] = {}
    for status, deadline, created, key in states:
        c = counts.get(key)
        if c is None:
            c = counts[key] = [0, 0, 0, 0]  # open, overdue, complete, total
        if created >= cutoff:
            continue
        c[3] += 1
        if status in OPEN_STATUSES:
            c[0] += 1
            if deadline < day:
                c[1] += 1
        elif status == "complete":
            c[2] += 1
    return {
        key: TrendPoint(month=month, as_at=day, open=o, overdue=d, complete=k, total=t)
        for key, (o, d, k, t) in counts.items()
    }
