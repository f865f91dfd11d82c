"""Store: every query and every write, one Session per call.

Each write and its history entries commit in one transaction. Reads filter, count and
order in SQL and stream plain rows (Core column selects, not ORM objects), so lists and
exports stay fast at 100,000 actions. Only SQLAlchemy expressions are used here: the same
code runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, TypeVar, cast

from sqlalchemy import (
    ColumnElement,
    Engine,
    Integer,
    String,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from tracker.domain import dates
from tracker.domain.errors import (
    NotFoundError,
    PlanFileError,
    ReadOnlyError,
    StaleWriteError,
    StoreBusyError,
    StoreError,
    TrackerError,
    ValidationError,
    no_plan,
)
from tracker.domain.plan import (
    MAX_OWNER,
    MAX_TEXT,
    ActionData,
    JudgementData,
    PlanData,
    RecommendationData,
)
from tracker.domain.records import (
    ActionChanges,
    ActionRow,
    Filters,
    HistoryEntry,
    PlanSummary,
    TreeNode,
    UpdateResult,
    ViewCounts,
)
from tracker.domain.rules import (
    OPEN_STATUSES,
    STATUSES,
    Rag,
    RuleSettings,
    roll_up,
    sort_key,
)
from tracker.storage import location as _location
from tracker.storage.engine import (
    WRITE_OPTION,
    can_write,
    db_error,
    db_message,
    describe,
    ensure_schema,
    is_busy,
    is_conflict,
    make_engine,
    refresh_statistics,
    resolve_db,
)
from tracker.storage.location import file_writable, store_file
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
    bytewise,
)
from tracker.storage.sqlrules import (
    ACTIONS,
    ROW_COLUMNS,
    count_of,
    due_soon_clause,
    filter_clauses,
    overdue_clause,
    rag_case,
    rows_select,
    sort_expression,
)

__all__ = ["ImportResult", "Store", "order_key"]

T = TypeVar("T")

A = ACTION
P = PLAN
R = RECOMMENDATION
H = HISTORY
J = JUDGEMENT

_OPEN = sorted(OPEN_STATUSES)


def order_key(plan_key: str, rec_ref: str, action_ref: str) -> str:
    """The natural order of an action across the whole store, as one comparable string."""
    return _order_prefix(plan_key, rec_ref) + sort_key(action_ref)


@lru_cache(maxsize=1024)
def _order_prefix(plan_key: str, rec_ref: str) -> str:
    """The plan's and recommendation's part of `order_key`, shared by all their actions."""
    return f"{sort_key(plan_key)}\x02{_rec_sort_key(rec_ref)}\x02"


# A plan's actions come recommendation by recommendation: each rec's key is made once.
_rec_sort_key = lru_cache(maxsize=1024)(sort_key)


# --- results ----------------------------------------------------------------------------


@dataclass(slots=True)
class ImportResult:
    """What an import did, per plan: actions added, updated and cancelled."""

    plan_key: str
    source: str
    added: int = 0
    updated: int = 0
    cancelled: int = 0
    replaced: bool = False


class Store:
    """The only way into the data. Keyword-only methods; each call opens its own Session."""

    def __init__(self, engine: Engine, *, read_only: bool = False) -> None:
        self.engine = engine
        self.read_only = read_only
        self.read_only_reason = "the store is open read-only"
        self._write_engine = engine.execution_options(**{WRITE_OPTION: True})
        # Writes that found the store still busy after the busy timeout and were retried.
        self.busy_retries = 0

    @classmethod
    def open(cls, db: str | None = None, *, read_only: bool = False, create: bool = True) -> Store:
        """Open (and on first use create) the store named by `db`, `TRACKER_DB` or the default."""
        reason = "the store is open read-only"
        path = store_file(db)
        if not read_only and path is not None and path.is_file() and not file_writable(path):
            read_only = True
            reason = f"{path}: the store file or its folder is read-only for you"
        engine = make_engine(resolve_db(db), read_only=read_only, create=create)
        try:
            ensure_schema(engine, create=create and not read_only, writable=not read_only)
        except TrackerError:
            engine.dispose()
            raise
        store = cls(engine, read_only=read_only)
        store.read_only_reason = reason
        if not read_only and engine.dialect.name == "postgresql" and not can_write(engine):
            # A reviewer's role granted only SELECT: read-only, as if opened with --read-only.
            store.read_only = True
            store.read_only_reason = "your database role may only read this store"
        return store

    def can_write(self) -> bool:
        """Whether changes are allowed: not opened read-only, and the file or role permits."""
        return not self.read_only and can_write(self.engine)

    @property
    def location(self) -> str:
        """The store as users name it (path or URL without password)."""
        return describe(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    # --- plumbing ---------------------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        try:
            with Session(self.engine) as session:
                yield session
        except DBAPIError as exc:
            raise self._db_error(exc) from None

    def _write(self, work: Callable[[Session], T]) -> T:
        """Run `work` in one write transaction, retrying while the store is busy."""
        if self.read_only:
            raise ReadOnlyError(f"{self.read_only_reason}: nothing can be changed")
        attempts = 4
        for attempt in range(attempts):
            started = time.monotonic()
            try:
                with Session(self._write_engine) as session, session.begin():
                    return work(session)
            except OperationalError as exc:
                # A busy answer that came at once (a snapshot gone stale under SQLite's WAL)
                # is worth another try; one that came after waiting the whole busy timeout
                # means someone holds the store, and the user hears so now, not minutes on.
                waited = time.monotonic() - started
                patient = waited < 0.5 * _location.BUSY_TIMEOUT_SECONDS
                if _is_busy(exc) and patient and attempt < attempts - 1:
                    self.busy_retries += 1
                    time.sleep(0.05 * (attempt + 1))
                    continue
                raise self._db_error(exc) from None
            except IntegrityError as exc:
                if is_conflict(exc) and attempt < attempts - 1:
                    # Another user added the same row first; the retry reads what they wrote.
                    continue
                raise StoreError(
                    f"{self.location}: the store refused the change: {db_message(exc)}"
                ) from None
            except DBAPIError as exc:
                raise self._db_error(exc) from None
        raise StoreBusyError("the store is busy")  # pragma: no cover - loop always returns

    def _db_error(self, exc: DBAPIError) -> StoreError:
        return db_error(exc, self.location, sqlite=self.engine.dialect.name == "sqlite")

    # --- reading ----------------------------------------------------------------------

    def _rows_select(
        self,
        filters: Filters,
        settings: RuleSettings,
        *,
        sort: str | None = None,
        descending: bool = False,
    ) -> Select[*tuple[Any, ...]]:
        return rows_select(filters, settings, sort=sort, descending=descending)

    def iter_actions(
        self,
        *,
        filters: Filters | None = None,
        settings: RuleSettings,
        sort: str | None = None,
        descending: bool = False,
    ) -> Iterator[ActionRow]:
        """Actions matching `filters`, in natural order (or by `sort`), streamed."""
        stmt = self._rows_select(filters or Filters(), settings, sort=sort, descending=descending)
        make = ActionRow._make
        with self._reading() as session:
            result = session.connection().execution_options(yield_per=2000).execute(stmt)
            for row in result:
                yield make(row)

    def page_actions(
        self,
        *,
        filters: Filters | None = None,
        settings: RuleSettings,
        offset: int = 0,
        limit: int = 200,
        sort: str | None = None,
        descending: bool = False,
    ) -> list[ActionRow]:
        """One page of a view, for screens that show a window of a long list."""
        stmt = self._rows_select(filters or Filters(), settings, sort=sort, descending=descending)
        stmt = stmt.offset(offset).limit(limit)
        with self._reading() as session:
            return [ActionRow._make(r) for r in session.execute(stmt)]

    def action_position(
        self,
        action_id: int,
        *,
        filters: Filters | None = None,
        settings: RuleSettings,
        sort: str | None = None,
        descending: bool = False,
    ) -> int | None:
        """Where an action sits in a view (0-based, in the order of `page_actions`), or None.

        Lets a screen that pages a long list keep the user's selection after a reload.
        """
        clauses = filter_clauses(filters or Filters(), settings)
        by_ref = not sort or sort == "ref"
        column = sort_expression(sort, settings, descending=descending)

        def joined(*cols: Any) -> Select[Any]:
            return (
                select(*cols)
                .select_from(Action)
                .join(Plan, P.id == A.plan_id)
                .join(Recommendation, R.id == A.recommendation_id)
            )

        shown = case((and_(*clauses), 1), else_=0) if clauses else literal(1)
        with self._reading() as session:
            # Look the action up by id and test the filters on it, rather than letting the
            # filters choose an index: the id is the one thing known to be selective.
            found = session.execute(
                joined(column, A.order_key, shown).where(A.id == action_id)
            ).first()
            if found is None or not found[2]:
                return None
            value, key, _ = found
            if by_ref:
                before = A.order_key > key if descending else A.order_key < key
            else:
                ahead = column > value if descending else column < value
                before = or_(ahead, and_(column == value, A.order_key < key))
            count: int = session.execute(joined(func.count()).where(*clauses, before)).scalar_one()
        return int(count)

    def view_counts(self, *, filters: Filters | None = None, settings: RuleSettings) -> ViewCounts:
        """How many actions a view shows, and how many are overdue, due soon and so on."""
        clauses = filter_clauses(filters or Filters(), settings)
        return self._grouped_counts(clauses, settings).get(None, ViewCounts())

    def _grouped_counts(
        self,
        clauses: list[ColumnElement[bool]],
        settings: RuleSettings,
        *,
        by: Any = None,
    ) -> dict[Any, ViewCounts]:
        """View counts in one query, for the whole view (key None) or per value of `by`."""
        rag_expr = rag_case(settings).label("rag")
        groups = [by] if by is not None else []
        stmt = (
            select(
                *groups,
                rag_expr,
                func.count(),
                count_of(overdue_clause(settings)),
                count_of(due_soon_clause(settings)),
                count_of(A.status == "blocked"),
                count_of(A.status == "complete"),
            )
            .select_from(Action)
            .join(Plan, P.id == A.plan_id)
            .join(Recommendation, R.id == A.recommendation_id)
            .where(*clauses)
            .group_by(*groups, rag_expr)
        )
        out: dict[Any, ViewCounts] = {}
        with self._reading() as session:
            for row in session.execute(stmt):
                key = row[0] if by is not None else None
                rag_word, total, overdue, due_soon, blocked, complete = row[len(groups) :]
                counts = out.setdefault(key, ViewCounts())
                counts.total += int(total)
                counts.overdue += int(overdue)
                counts.due_soon += int(due_soon)
                counts.blocked += int(blocked)
                counts.complete += int(complete)
                if rag_word:
                    counts.rag[str(rag_word)] = int(total)
        return out

    def plan_summaries(self, *, settings: RuleSettings) -> list[PlanSummary]:
        """Every plan with its counts by RAG and overdue, in natural order."""
        nodes = self.tree(settings=settings)
        with self._reading() as session:
            plans = {
                key: (authority, title)
                for key, authority, title in session.execute(select(P.key, P.authority, P.title))
            }
        per_plan = self._grouped_counts([], settings, by=P.key)
        out = []
        for node in nodes:
            authority, title = plans[node.plan_key]
            counts = per_plan.get(node.plan_key, ViewCounts())
            out.append(
                PlanSummary(
                    key=node.plan_key,
                    authority=authority,
                    title=title,
                    actions=node.actions,
                    counts=counts,
                    progress=node.progress,
                    rag=node.rag,
                )
            )
        return out

    def tree(self, *, settings: RuleSettings) -> list[TreeNode]:
        """Plans and their recommendations with RAG roll-ups, progress and counts."""
        rag_expr = rag_case(settings).label("rag")
        not_cancelled = A.status != "cancelled"
        stmt = (
            select(
                R.id,
                rag_expr,
                func.count(A.id),
                count_of(overdue_clause(settings)),
                cast(
                    ColumnElement[int],
                    func.coalesce(func.sum(case((not_cancelled, A.progress), else_=0)), 0),
                ),
                count_of(not_cancelled),
            )
            .select_from(Action)
            .join(Recommendation, R.id == A.recommendation_id)
            .group_by(R.id, rag_expr)
        )
        recs_stmt = (
            select(P.key, P.title, P.authority, R.id, R.ref, R.title)
            .select_from(Plan)
            .join(Recommendation, R.plan_id == P.id, isouter=True)
            .order_by(P.sort_key, R.sort_key)
        )
        stats: dict[int, list[tuple[str | None, int, int, int, int]]] = {}
        with self._reading() as session:
            for rec_id, rag_word, n, overdue, progress_sum, live in session.execute(stmt):
                stats.setdefault(rec_id, []).append(
                    (rag_word, int(n), int(overdue), int(progress_sum), int(live))
                )
            rec_rows = list(session.execute(recs_stmt))
        plans: list[TreeNode] = []
        plan_recs: dict[str, list[int]] = {}
        for plan_key, plan_title, authority, rec_id, rec_ref, rec_title in rec_rows:
            if not plans or plans[-1].plan_key != plan_key:
                plans.append(
                    TreeNode(
                        kind="plan",
                        plan_key=plan_key,
                        ref=None,
                        title=f"{authority}: {plan_title}",
                        rag=None,
                        progress=None,
                        actions=0,
                        overdue=0,
                    )
                )
            if rec_id is None:
                continue
            plan_recs.setdefault(plan_key, []).append(rec_id)
            plans[-1].children.append(
                _rec_node(plan_key, rec_ref, rec_title, stats.get(rec_id, []))
            )
        for plan in plans:
            plan.actions = sum(r.actions for r in plan.children)
            plan.overdue = sum(r.overdue for r in plan.children)
            plan.rag = roll_up(r.rag for r in plan.children if r.actions)
            progress_sum = live = 0
            for rec_id in plan_recs.get(plan.plan_key, []):
                for group in stats.get(rec_id, []):
                    progress_sum += group[3]
                    live += group[4]
            plan.progress = progress_sum / live if live else None
        return plans

    def get_action(self, address: str | int, *, settings: RuleSettings | None = None) -> ActionRow:
        """One action by `PLAN-KEY:REF` (or a ref unique in the store, or its id).

        An action's row does not depend on the day, so `settings` changes nothing and no
        clock is read; the keyword stays so that callers may pass what every read takes.
        """
        action_id = self.resolve(address)
        stmt = select(*ROW_COLUMNS).select_from(ACTIONS).where(A.id == action_id)
        with self._reading() as session:
            row = session.execute(stmt).first()
        if row is None:
            raise NotFoundError(f"no action {address!r}")
        return ActionRow._make(row)

    def resolve(self, address: str | int) -> int:
        """The id of the action a user named."""
        if isinstance(address, int):
            return address
        text = address.strip()
        with self._reading() as session:
            if ":" in text:
                plan_key, _, ref = text.rpartition(":")
                stmt = (
                    select(A.id)
                    .select_from(Action)
                    .join(Plan, P.id == A.plan_id)
                    .where(P.key == plan_key.strip(), A.ref == ref.strip())
                )
                found = session.execute(stmt).scalar_one_or_none()
                if found is None:
                    exists = session.execute(select(P.id).where(P.key == plan_key.strip())).first()
                    if exists is None:
                        raise no_plan(plan_key.strip())
                    raise NotFoundError(f"no action {ref.strip()!r} in plan {plan_key.strip()!r}")
                return int(found)
            by_ref = (
                select(A.id, P.key)
                .select_from(Action)
                .join(Plan, P.id == A.plan_id)
                .where(A.ref == text)
                .limit(6)
            )
            matches = list(session.execute(by_ref))
        if not matches:
            raise NotFoundError(f"no action {text!r}: name it as PLAN-KEY:REF")
        if len(matches) > 1:
            keys = ", ".join(f"{key}:{text}" for _, key in matches[:5])
            raise NotFoundError(f"{text!r} is in more than one plan: say which ({keys})")
        return int(matches[0][0])

    def history(self, action_id: int) -> list[HistoryEntry]:
        """Every change of one action, oldest first."""
        stmt = (
            select(H.id, H.action_id, H.at, H.by, H.field, H.old, H.new, H.note)
            .where(H.action_id == action_id)
            .order_by(H.id)
        )
        with self._reading() as session:
            return [HistoryEntry._make(r) for r in session.execute(stmt)]

    def data_stamp(self) -> tuple[int, int, int, str | None]:
        """A cheap fingerprint that changes whenever any plan, action or history changes."""
        # History rows are counted, not their highest id: on PostgreSQL ids are handed out
        # before commit, so a lower id can appear after a higher one. A plan's own fields,
        # judgements and recommendation titles change only by import, which counts itself.
        stmt = select(
            select(func.count()).select_from(History).scalar_subquery(),
            select(func.coalesce(func.max(A.id), 0)).scalar_subquery(),
            select(func.count(P.id)).scalar_subquery(),
            select(META.value).where(META.key == PLAN_IMPORTS).scalar_subquery(),
        )
        with self._reading() as session:
            row = session.execute(stmt).one()
        return int(row[0]), int(row[1]), int(row[2]), row[3]

    def plan_keys(self) -> list[str]:
        with self._reading() as session:
            return [k for (k,) in session.execute(select(P.key).order_by(P.sort_key))]

    def owners(self) -> list[str]:
        """Every owner named in the store, for pickers and filters."""
        with self._reading() as session:
            return [
                o
                for (o,) in session.execute(
                    select(A.owner).group_by(A.owner).order_by(bytewise(A.owner))
                )
            ]

    def plan_data(self, key: str) -> PlanData:
        """A stored plan in the shape of a plan file (for `export-plan`)."""
        with self._reading() as session:
            plan = session.execute(select(Plan).where(P.key == key)).scalar_one_or_none()
            if plan is None:
                raise no_plan(key)
            judgements = [
                JudgementData(area=a, grade=g)
                for a, g in session.execute(
                    select(J.area, J.grade).where(J.plan_id == plan.id).order_by(J.position)
                )
            ]
            recs = list(
                session.execute(
                    select(R.id, R.ref, R.title, R.text, R.area)
                    .where(R.plan_id == plan.id)
                    .order_by(R.position, R.sort_key)
                )
            )
            action_rows = session.execute(
                select(
                    A.recommendation_id,
                    A.ref,
                    A.description,
                    A.owner,
                    A.deadline,
                    A.status,
                    A.progress,
                    A.partner,
                    A.start,
                    A.original_deadline,
                    A.measure,
                    A.evidence,
                    A.notes,
                )
                .where(A.plan_id == plan.id)
                .order_by(A.order_key)
            )
            by_rec: dict[int, list[ActionData]] = {}
            for rec_id, *fields in action_rows:
                by_rec.setdefault(rec_id, []).append(ActionData(*fields))
            from tracker.storage.measures import measures_by_rec

            measures = measures_by_rec(session, plan.id or 0)
            return PlanData(
                key=plan.key,
                authority=plan.authority,
                title=plan.title,
                inspection_type=plan.inspection_type,
                framework=plan.framework,
                inspection_start=plan.inspection_start,
                inspection_end=plan.inspection_end,
                published=plan.published,
                plan_due=plan.plan_due,
                overall_judgement=plan.overall_judgement,
                judgements=judgements,
                recommendations=[
                    RecommendationData(
                        ref=ref,
                        title=title,
                        text=text,
                        area=area,
                        actions=by_rec.get(rec_id, []),
                        measures=measures.get(rec_id, []),
                    )
                    for rec_id, ref, title, text, area in recs
                ],
            )

    # --- writing ----------------------------------------------------------------------

    def import_plans(
        self,
        plans: Sequence[tuple[str, PlanData]],
        *,
        replace: bool = False,
        user: str,
    ) -> list[ImportResult]:
        """Load plans (source name, data) in one transaction: all of them or none."""
        now = dates.now_utc()

        def work(session: Session) -> list[ImportResult]:
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
                    results.append(_insert_plan(session, plan, source=source, user=user, now=now))
                else:
                    results.append(
                        _replace_plan(session, existing, plan, source=source, user=user, now=now)
                    )
            _count_import(session)
            refresh_statistics(session.connection())
            return results

        return self._write(work)

    def update_action(
        self,
        address: str | int,
        changes: ActionChanges,
        *,
        user: str,
        expected_version: int | None = None,
        settings: RuleSettings | None = None,
    ) -> UpdateResult:
        """Apply a user's changes to one action, writing one history entry per changed field.

        The read and the write are one transaction. With `expected_version` (what the user
        saw), a change made by someone else since then refuses the write.
        """
        _check_changes(changes)
        action_id = self.resolve(address)
        now = dates.now_utc()

        def work(session: Session) -> list[HistoryEntry]:
            current = session.execute(
                select(
                    A.status,
                    A.progress,
                    A.owner,
                    A.deadline,
                    A.original_deadline,
                    A.start,
                    A.evidence,
                    A.version,
                    A.revisions,
                )
                .where(A.id == action_id)
                .with_for_update()
            ).first()
            if current is None:
                raise NotFoundError(f"no action {address!r}")
            status, progress, owner, deadline, original, start, evidence, version, revisions = (
                current
            )
            if expected_version is not None and expected_version > version:
                raise StaleWriteError(
                    f"{address}: the action is at version {version}, not {expected_version}; "
                    "nothing was saved",
                    current_version=int(version),
                )
            if expected_version is not None and version != expected_version:
                raise StaleWriteError(
                    f"{address}: someone else changed this action since you opened it "
                    f"(version {version}, you had {expected_version}); nothing was saved",
                    current_version=int(version),
                )
            values: dict[str, Any] = {}
            entries: list[tuple[str, str | None, str | None, str | None]] = []
            note = changes.note if changes.note and changes.note.strip() else None
            if changes.status is not None and changes.status != status:
                values["status"] = changes.status
                entries.append(("status", status, changes.status, note))
            new_progress = changes.progress
            new_status = values.get("status", status)
            if new_status == "complete" and changes.status is not None and new_progress is None:
                new_progress = 100
            if new_status == "complete" and new_progress is not None and new_progress != 100:
                raise ValidationError(
                    f"a complete action has progress 100, not {new_progress}", field="progress"
                )
            if new_progress is not None and new_progress != progress:
                values["progress"] = new_progress
                entries.append(("progress", str(progress), str(new_progress), note))
            if changes.owner is not None and changes.owner.strip() != owner:
                values["owner"] = changes.owner.strip()
                entries.append(("owner", owner, values["owner"], note))
            if changes.deadline is not None and changes.deadline != deadline:
                if not (changes.reason and changes.reason.strip()):
                    raise ValidationError(
                        "changing a deadline needs a reason (--reason)", field="reason"
                    )
                if start is not None and changes.deadline < start:
                    # A plan keeps start on or before deadline, so export-plan stays importable.
                    raise ValidationError(
                        f"the deadline {changes.deadline.isoformat()} is before the action's "
                        f"start {start.isoformat()}",
                        field="deadline",
                    )
                values["deadline"] = changes.deadline
                values["revisions"] = revisions + 1
                if original is None:
                    values["original_deadline"] = deadline
                entries.append(
                    ("deadline", deadline.isoformat(), changes.deadline.isoformat(), changes.reason)
                )
            if changes.evidence is not None and (changes.evidence or None) != evidence:
                values["evidence"] = changes.evidence or None
                entries.append(("evidence", evidence, values["evidence"], note))
            if not entries and note:
                entries.append(("note", None, None, note))
            if not entries:
                return []
            stmt = (
                update(Action)
                .where(A.id == action_id, A.version == version)
                .values(**values, version=version + 1, updated_at=now, updated_by=user)
            )
            written = cast("CursorResult[Any]", session.execute(stmt))
            if written.rowcount != 1:
                raise StaleWriteError(
                    f"{address}: someone else changed this action at the same moment; "
                    "nothing was saved"
                )
            rows = [
                {
                    "action_id": action_id,
                    "at": now,
                    "by": user,
                    "field": f,
                    "old": old,
                    "new": new,
                    "note": n,
                }
                for f, old, new, n in entries
            ]
            session.execute(insert(History), rows)
            return [
                HistoryEntry(0, action_id, now, user, f, old, new, n) for f, old, new, n in entries
            ]

        entries = self._write(work)
        return UpdateResult(entries=entries, row=self.get_action(action_id, settings=settings))


# --- helpers ------------------------------------------------------------------------------


_is_busy = is_busy


def _rec_node(
    plan_key: str, ref: str, title: str, groups: list[tuple[str | None, int, int, int, int]]
) -> TreeNode:
    actions = sum(g[1] for g in groups)
    overdue = sum(g[2] for g in groups)
    progress_sum = sum(g[3] for g in groups)
    live = sum(g[4] for g in groups)
    ratings = [Rag(g[0]) if g[0] else None for g in groups]
    return TreeNode(
        kind="recommendation",
        plan_key=plan_key,
        ref=ref,
        title=title,
        rag=roll_up(ratings),
        progress=(progress_sum / live) if live else None,
        actions=actions,
        overdue=overdue,
    )


def _check_changes(changes: ActionChanges) -> None:
    if changes.status is not None and changes.status not in STATUSES:
        raise ValidationError(
            f"{changes.status!r} is not a status: use one of {', '.join(STATUSES)}",
            field="status",
        )
    if changes.progress is not None and not 0 <= changes.progress <= 100:
        raise ValidationError(
            f"progress must be a whole number 0-100, not {changes.progress}", field="progress"
        )
    if changes.owner is not None:
        if not changes.owner.strip():
            raise ValidationError("the owner must not be empty", field="owner")
        if len(changes.owner) > MAX_OWNER:
            raise ValidationError(f"the owner is longer than {MAX_OWNER} characters", field="owner")
    for name in ("owner", "evidence", "note", "reason"):
        value = getattr(changes, name)
        if value is not None and "\x00" in value:
            # No engine keeps text with NUL faithfully (PostgreSQL refuses it outright).
            raise ValidationError(f"the {name} must not contain a NUL character", field=name)
        if value is not None and len(value) > MAX_TEXT:
            raise ValidationError(f"the {name} is longer than {MAX_TEXT:,} characters", field=name)
    if changes.deadline is not None and changes.reason is not None and not changes.reason.strip():
        raise ValidationError("changing a deadline needs a reason", field="reason")


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
    session: Session, plan: PlanData, *, source: str, user: str, now: datetime
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
    _bulk_insert_actions(session, rows)
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


def _bulk_insert_actions(session: Session, rows: list[dict[str, Any]]) -> None:
    chunk = 5000
    for i in range(0, len(rows), chunk):
        # A Core insert of the table (not the ORM entity): one executemany per chunk.
        session.execute(insert(A.id.table), rows[i : i + chunk])


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
        "version": 1,
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
    session: Session, plan_id: int, plan: PlanData, *, source: str, user: str, now: datetime
) -> ImportResult:
    """Update a stored plan from a file: same ids, each change recorded in history."""
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
            for name in _COMPARED:
                new_value = getattr(action, name)
                old_value = getattr(old, name)
                if new_value != old_value:
                    values[name] = new_value
                    history.append(_history(old.id, now, user, name, old_value, new_value, note))
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
    _bulk_insert_actions(session, new_rows)
    result.added = len(new_rows)
    if history:
        session.execute(insert(History), history)
    from tracker.storage.measures import replace_measures

    replace_measures(
        session, plan=plan, plan_id=plan_id, rec_ids=rec_ids, user=user, now=now, note=note
    )
    return result


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
