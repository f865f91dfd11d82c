"""The store's reads: views of actions, their counts, the plan tree, one action, history.

Each function opens its own read session from `Sessions`. Rows are filtered, counted and
ordered in SQL (the rules and filters of sqlrules.py) and streamed as plain rows, so lists
and exports stay fast at 100,000 actions. The Store's read methods call these.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.sql import Select

from tracker.domain.errors import NotFoundError, no_plan
from tracker.domain.plan import ActionData, JudgementData, PlanData, RecommendationData
from tracker.domain.records import (
    ActionRow,
    Filters,
    HistoryEntry,
    PlanSummary,
    TreeNode,
    ViewCounts,
)
from tracker.domain.rules import Rag, RuleSettings, roll_up
from tracker.storage.authoring import moved_to
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
    Plan,
    Recommendation,
    bytewise,
)
from tracker.storage.session import Sessions
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

__all__ = [
    "action_position",
    "average_progress",
    "data_stamp",
    "get_action",
    "grouped_counts",
    "history",
    "iter_actions",
    "owners",
    "page_actions",
    "plan_data",
    "plan_headers",
    "plan_keys",
    "plan_summaries",
    "resolve",
    "tree",
    "view_counts",
]

A = ACTION
P = PLAN
R = RECOMMENDATION
H = HISTORY
J = JUDGEMENT


def iter_actions(
    sessions: Sessions,
    *,
    filters: Filters | None = None,
    settings: RuleSettings,
    sort: str | None = None,
    descending: bool = False,
) -> Iterator[ActionRow]:
    """Actions matching `filters`, in natural order (or by `sort`), streamed."""
    stmt = rows_select(filters or Filters(), settings, sort=sort, descending=descending)
    make = ActionRow._make
    with sessions.reading() as session:
        result = session.connection().execution_options(yield_per=2000).execute(stmt)
        for row in result:
            yield make(row)


def page_actions(
    sessions: Sessions,
    *,
    filters: Filters | None = None,
    settings: RuleSettings,
    offset: int = 0,
    limit: int = 200,
    sort: str | None = None,
    descending: bool = False,
) -> list[ActionRow]:
    """One page of a view, for screens that show a window of a long list."""
    stmt = rows_select(filters or Filters(), settings, sort=sort, descending=descending)
    stmt = stmt.offset(offset).limit(limit)
    with sessions.reading() as session:
        return [ActionRow._make(r) for r in session.execute(stmt)]


def action_position(
    sessions: Sessions,
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
    with sessions.reading() as session:
        # Look the action up by id and test the filters on it, rather than letting the
        # filters choose an index: the id is the one thing known to be selective.
        found = session.execute(joined(column, A.order_key, shown).where(A.id == action_id)).first()
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


def view_counts(
    sessions: Sessions, *, filters: Filters | None = None, settings: RuleSettings
) -> ViewCounts:
    """How many actions a view shows, and how many are overdue, due soon and so on."""
    clauses = filter_clauses(filters or Filters(), settings)
    return grouped_counts(sessions, clauses, settings).get(None, ViewCounts())


def grouped_counts(
    sessions: Sessions,
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
    with sessions.reading() as session:
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


def plan_summaries(sessions: Sessions, *, settings: RuleSettings) -> list[PlanSummary]:
    """Every plan with its counts by RAG and overdue, in natural order."""
    nodes = tree(sessions, settings=settings)
    with sessions.reading() as session:
        plans = {
            key: (authority, title)
            for key, authority, title in session.execute(select(P.key, P.authority, P.title))
        }
    per_plan = grouped_counts(sessions, [], settings, by=P.key)
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


def tree(sessions: Sessions, *, settings: RuleSettings) -> list[TreeNode]:
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
    with sessions.reading() as session:
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
        plans[-1].children.append(_rec_node(plan_key, rec_ref, rec_title, stats.get(rec_id, [])))
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


def get_action(
    sessions: Sessions, address: str | int, *, settings: RuleSettings | None = None
) -> ActionRow:
    """One action by `PLAN-KEY:REF` (or a ref unique in the store, or its id).

    An action's row does not depend on the day, so `settings` changes nothing and no
    clock is read; the keyword stays so that callers may pass what every read takes.
    """
    action_id = resolve(sessions, address)
    stmt = select(*ROW_COLUMNS).select_from(ACTIONS).where(A.id == action_id)
    with sessions.reading() as session:
        row = session.execute(stmt).first()
    if row is None:
        raise NotFoundError(f"no action {address!r}")
    return ActionRow._make(row)


def resolve(sessions: Sessions, address: str | int) -> int:
    """The id of the action a user named."""
    if isinstance(address, int):
        return address
    text = address.strip()
    with sessions.reading() as session:
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
                moved = moved_to(session, plan_key.strip(), ref.strip())
                if moved is not None:
                    raise NotFoundError(f"{text} has moved: it is now {moved}")
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


def history(sessions: Sessions, action_id: int) -> list[HistoryEntry]:
    """Every change of one action, oldest first."""
    stmt = (
        select(H.id, H.action_id, H.at, H.by, H.field, H.old, H.new, H.note)
        .where(H.action_id == action_id)
        .order_by(H.id)
    )
    with sessions.reading() as session:
        return [HistoryEntry._make(r) for r in session.execute(stmt)]


def data_stamp(sessions: Sessions) -> tuple[int, int, int, str | None]:
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
    with sessions.reading() as session:
        row = session.execute(stmt).one()
    return int(row[0]), int(row[1]), int(row[2]), row[3]


def plan_keys(sessions: Sessions) -> list[str]:
    with sessions.reading() as session:
        return [k for (k,) in session.execute(select(P.key).order_by(P.sort_key))]


def owners(sessions: Sessions) -> list[str]:
    """Every owner named in the store, for pickers and filters."""
    with sessions.reading() as session:
        return [
            o
            for (o,) in session.execute(
                select(A.owner).group_by(A.owner).order_by(bytewise(A.owner))
            )
        ]


def plan_data(sessions: Sessions, key: str) -> PlanData:
    """A stored plan in the shape of a plan file (for `export-plan`)."""
    with sessions.reading() as session:
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
                A.version,
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


def average_progress(sessions: Sessions) -> float | None:
    """The mean progress of every action not cancelled, or None when there is none."""
    with sessions.reading() as session:
        value: float | None = session.execute(
            select(func.avg(A.progress)).where(A.status != "cancelled")
        ).scalar_one()
    return float(value) if value is not None else None


def plan_headers(sessions: Sessions) -> dict[str, PlanData]:
    """Every plan's own fields and judgements by key, without its recommendations.

    What a board paper heads each plan's section with.
    """
    with sessions.reading() as session:
        grades: dict[int, list[JudgementData]] = {}
        for plan_id, area, grade in session.execute(
            select(J.plan_id, J.area, J.grade).order_by(J.plan_id, J.position)
        ):
            grades.setdefault(plan_id, []).append(JudgementData(area=area, grade=grade))
        return {
            plan.key: PlanData(
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
                judgements=grades.get(plan.id, []),
                recommendations=[],
            )
            for plan in session.execute(select(P.id.table)).all()
        }


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
