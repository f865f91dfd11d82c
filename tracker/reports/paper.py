"""Board reporting: what changed in a period, and the board paper's content and Markdown.

The board paper gathers, per plan, the inspection's judgements, each recommendation's
RAG and progress, the exceptions a board must see (overdue, blocked, slipped deadlines)
and the changes since the last board. `tracker.reports.html` draws the same paper as HTML.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO

from tracker.domain.dates import format_date, format_utc, long_date, short_date
from tracker.domain.measures import MeasureRow
from tracker.domain.records import ActionRow, Filters, TreeNode
from tracker.domain.rules import OPEN_STATUSES, Rag, RuleSettings, roll_up
from tracker.domain.text import counted, json_text, one_line
from tracker.formats.snapshot import neutralise
from tracker.storage.store import Store
from tracker.storage.timeline import (
    ChangeEntry,
    ChangeLog,
    TrendPoint,
    change_records,
    changes_between,
)

__all__ = [
    "BoardPaper",
    "BoardView",
    "PlanSection",
    "board_paper_markdown",
    "board_view",
    "build_board_paper",
    "import_lines",
    "long_date",
    "prepared_line",
    "short_date",
    "short_time",
    "slipped_table",
    "write_changes",
]

CHANGE_COLUMNS = ("at", "by", "action", "field", "old", "new", "note")
_SUMMARY_WORDS = (
    ("completed", "completed", "completed"),
    ("newly_overdue", "newly overdue", "newly overdue"),
    ("deadlines_moved", "deadline moved", "deadlines moved"),
    ("status_changes", "status change", "status changes"),
    ("actions_added", "action added", "actions added"),
    ("stale", "stale (not updated)", "stale (not updated)"),
)


def short_time(value: datetime) -> str:
    """`30 Nov 2026 17:57`: a UTC time in a table, as a UK reader writes it."""
    return f"{short_date(value.date())} {value:%H:%M}"


def day_text(value: str | None) -> str | None:
    """A date kept as text in history (`2026-07-31`) as a table shows it (`31 Jul 2026`)."""
    try:
        return short_date(date.fromisoformat(value)) if value else value
    except ValueError:
        return value


def prepared_line(paper: BoardPaper) -> str:
    """`Prepared 30 November 2026, 17:57 UTC, by NAME` (the name as it is: escape it)."""
    at = paper.prepared_at
    return f"Prepared {long_date(at.date())}, {at:%H:%M} UTC, by {paper.prepared_by}"


def summary_sentence(log: ChangeLog) -> str:
    """`12 changes: 2 completed, 1 newly overdue, ...` (and how many came by import)."""
    counts = log.summary()
    parts = ", ".join(
        f"{counts[key]} {one if counts[key] == 1 else many}" for key, one, many in _SUMMARY_WORDS
    )
    if counts["actions_imported"]:
        parts += f", {counted(counts['actions_imported'], 'action')} imported"
    noun = "change" if counts["changes"] == 1 else "changes"
    return f"{counts['changes']} {noun}: {parts}"


def import_lines(log: ChangeLog, *, with_plan: bool) -> list[str]:
    """One line per plan imported in the period: `54 actions imported on 30 November 2026`
    (an import is one event, not an "added" line per action)."""
    return [
        f"{counted(i.actions, 'action')} imported"
        + (f" as plan {i.plan_key}" if with_plan else "")
        + f" on {long_date(i.at.date())}"
        for i in log.imports
    ]


# --- `tracker changes` ------------------------------------------------------------------


def write_changes(log: ChangeLog, fmt: str, out: IO[str]) -> None:
    """Write the change log as a table, CSV (BOM, CRLF, neutralised), JSON or Markdown."""
    records = change_records(log)
    if fmt == "csv":
        out.write("\ufeff")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CHANGE_COLUMNS)
        for rec in records:
            writer.writerow(neutralise(rec[c] or "") for c in CHANGE_COLUMNS)
        return
    if fmt == "json":
        obj = {
            "since": format_date(log.since),
            "until": format_date(log.until),
            "summary": log.summary(),
            "completed": [r.address for r in log.completed],
            "newly_overdue": [r.address for r in log.newly_overdue],
            "actions_added": [r.address for r in log.added],
            "imports": [
                {"plan": i.plan_key, "at": format_utc(i.at), "by": i.by, "actions": i.actions}
                for i in log.imports
            ],
            "stale": [r.address for r in log.stale],
            "changes": records,
        }
        out.write(json_text(obj, indent=1) + "\n")
        return
    if fmt == "markdown":
        out.write(f"# Changes {_period(log)}\n\n")
        out.write(_changes_markdown(log, heading="##"))
        return
    _changes_text(log, out)


def _period(log: ChangeLog) -> str:
    return f"from {long_date(log.since)} to {long_date(log.until)}"


def _changes_text(log: ChangeLog, out: IO[str]) -> None:
    from tracker.domain.text import truncate

    out.write(f"Changes {_period(log)}\n")
    out.write(summary_sentence(log) + "\n")
    groups = (
        ("Completed", log.completed),
        ("Newly overdue", log.newly_overdue),
        ("Actions added", log.added),
        ("Stale (not updated)", log.stale),
    )
    for line in import_lines(log, with_plan=True):
        out.write(line + "\n")
    for title, found in groups:
        if found:
            out.write(f"{title}: {', '.join(r.address for r in found)}\n")
    if not log.entries:
        out.write("no changes in this period\n")
        return
    out.write("\n")
    headers = ("WHEN", "WHO", "ACTION", "FIELD", "OLD", "NEW", "NOTE")
    rows = [
        [
            format_utc(e.at),
            one_line(e.by),
            e.address,
            e.field,
            one_line(e.old),
            one_line(e.new),
            one_line(e.note),
        ]
        for e in log.entries
    ]
    limits = (20, 20, 40, 17, 24, 24, 60)
    widths = [
        min(max([len(h)] + [len(r[i]) for r in rows]), limits[i]) for i, h in enumerate(headers)
    ]
    for cells in [list(headers), *rows]:
        line = "  ".join(truncate(c, widths[i]).ljust(widths[i]) for i, c in enumerate(cells))
        out.write(line.rstrip() + "\n")


# --- Markdown helpers -------------------------------------------------------------------------

_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|#"})


def md(value: object) -> str:
    """Plan text as inert Markdown on one line: markup characters escaped."""
    return one_line(str(value) if value is not None else "").translate(_MD_SPECIAL)


def _md_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines) + "\n"


_DATE_FIELDS = frozenset({"deadline", "original_deadline", "start"})


def _change_text(e: ChangeEntry) -> str:
    if e.field == "note":
        return "note"
    old, new = (day_text(e.old), day_text(e.new)) if e.field in _DATE_FIELDS else (e.old, e.new)
    return f"{e.field}: {one_line(old) or '(empty)'} → {one_line(new) or '(empty)'}"


Cells = tuple[str | None, ...]
Table = tuple[str, tuple[str, ...], list[Cells]]


def change_tables(log: ChangeLog, *, full_address: bool) -> list[Table]:
    """The change log's tables as (title, headers, rows) of plain text, for any renderer.

    Empty tables are left out, except "Every change", which is always last.
    """
    field = "address" if full_address else "ref"

    def name(item: ActionRow | ChangeEntry) -> str:
        return str(getattr(item, field))

    tables: list[Table] = [
        (
            "Completed",
            ("Action", "Owner", "Description", "Evidence"),
            [
                (name(r), r.owner, r.description, r.evidence or "none recorded")
                for r in log.completed
            ],
        ),
        (
            "Newly overdue",
            ("Action", "Owner", "Deadline", "Status"),
            [
                (name(r), r.owner, short_date(r.deadline), r.status.replace("_", " "))
                for r in log.newly_overdue
            ],
        ),
        (
            "Deadlines moved",
            ("Action", "From", "To", "Reason", "By"),
            [
                (name(e), day_text(e.old), day_text(e.new), e.note, e.by)
                for e in log.deadlines_moved
            ],
        ),
        (
            "Actions added",
            ("Action", "Owner", "Deadline", "Description"),
            [(name(r), r.owner, short_date(r.deadline), r.description) for r in log.added],
        ),
    ]
    every: Table = (
        "Every change",
        ("When (UTC)", "Who", "Action", "Change", "Note"),
        [(short_time(e.at), e.by, name(e), _change_text(e), e.note) for e in log.entries],
    )
    return [t for t in tables if t[2]] + [every]


def _changes_markdown(log: ChangeLog, *, heading: str, with_plan: bool = True) -> str:
    parts = [summary_sentence(log) + ".\n"]
    parts += [f"\n{md(line)}.\n" for line in import_lines(log, with_plan=with_plan)]
    for title, headers, rows in change_tables(log, full_address=True):
        parts.append(f"\n{heading} {title}\n\n")
        if rows:
            parts.append(_md_table(headers, ([md(c) for c in row] for row in rows)))
        else:
            parts.append("No changes in this period.\n")
    return "".join(parts)


# --- the board paper: data ----------------------------------------------------------------


@dataclass(slots=True)
class PlanSection:
    """One plan's part of the board paper."""

    key: str
    authority: str
    title: str
    inspection_type: str | None
    inspection_start: date | None
    inspection_end: date | None
    published: date | None
    overall_judgement: str | None
    judgements: list[tuple[str, str]]
    node: TreeNode
    counts: dict[str, int]
    overdue: list[ActionRow] = field(default_factory=list)
    blocked: list[ActionRow] = field(default_factory=list)
    slipped: list[ActionRow] = field(default_factory=list)
    stale: list[ActionRow] = field(default_factory=list)
    changes: ChangeLog | None = None
    trend: list[TrendPoint] = field(default_factory=list)
    measures: list[MeasureRow] = field(default_factory=list)


@dataclass(slots=True)
class BoardPaper:
    """Everything the board paper says, gathered once and rendered as Markdown or HTML."""

    today: date
    since: date
    prepared_at: datetime
    prepared_by: str
    settings: RuleSettings
    plans: list[PlanSection]

    @property
    def rag(self) -> Rag | None:
        return roll_up(p.node.rag for p in self.plans)


PAPER_STEPS = 5  # plans, actions, changes, trend, measures


def build_board_paper(
    store: Store,
    *,
    settings: RuleSettings,
    since: date,
    plan: str | None = None,
    prepared_at: datetime,
    prepared_by: str,
    trend_months: int = 6,
    historical: bool = False,
    progress: Callable[[int, str], None] | None = None,
) -> BoardPaper:
    """Gather the board paper for every plan (or one) as at `settings.today`.

    With `historical`, the actions and the measures are read as they stood at the end of
    that day (rolled back through history), so last month's paper can be produced again.
    `progress`, if given, is told each of the PAPER_STEPS parts done and what is next.
    """

    def step(done: int, next_part: str) -> None:
        if progress is not None:
            progress(done, next_part)

    from tracker.domain.errors import no_plan
    from tracker.storage.timeline import monthly_trends

    nodes = [n for n in store.tree(settings=settings) if plan is None or n.plan_key == plan]
    if plan is not None and not nodes:
        raise no_plan(plan)
    info = store.plan_headers()
    by_key: dict[str, PlanSection] = {}
    for node in nodes:
        p = info[node.plan_key]
        by_key[node.plan_key] = PlanSection(
            key=p.key,
            authority=p.authority,
            title=p.title,
            inspection_type=p.inspection_type,
            inspection_start=p.inspection_start,
            inspection_end=p.inspection_end,
            published=p.published,
            overall_judgement=p.overall_judgement,
            judgements=[(j.area, j.grade) for j in p.judgements],
            node=node,
            counts={"actions": 0, "complete": 0, "open": 0, "overdue": 0, "blocked": 0},
        )
    step(1, "reading the actions")
    _classify(store, by_key, settings, plan, historical=historical)
    step(2, "reading the changes")
    log = changes_between(store, since=since, until=settings.today, plan=plan, settings=settings)
    step(3, "working out the trend")
    trends = (
        monthly_trends(store, settings=settings, months=trend_months, plan=plan)
        if trend_months
        else {}
    )
    for key, section in by_key.items():
        section.changes = log.for_plan(key)
        section.trend = trends.get(key, [])
    step(4, "reading the measures")
    _add_measures(store, by_key, plan, as_of=settings.today if historical else None)
    step(PAPER_STEPS, "done")
    sections = list(by_key.values())
    return BoardPaper(
        today=settings.today,
        since=since,
        prepared_at=prepared_at,
        prepared_by=prepared_by,
        settings=settings,
        plans=sections,
    )


def _add_measures(
    store: Store, sections: dict[str, PlanSection], plan: str | None, *, as_of: date | None
) -> None:
    """Each plan's active measures with their latest readings, for the scorecard; with
    `as_of`, as they stood at the end of that day (measure_timeline.py)."""
    from tracker.storage.measures import MeasureStore

    if as_of is not None:
        from tracker.storage.measure_timeline import scorecard_as_of

        rows = scorecard_as_of(store, day=as_of, plan=plan)
    else:
        rows = MeasureStore(store).scorecard(plan=plan)
    for row in rows:
        section = sections.get(row.plan)
        if section is not None:
            section.measures.append(row)


def _classify(
    store: Store,
    sections: dict[str, PlanSection],
    settings: RuleSettings,
    plan: str | None,
    *,
    historical: bool,
) -> None:
    """Count each plan's actions, roll up its recommendations and pick out its exceptions,
    in one pass over the actions (as they are, or as they stood at `settings.today`)."""
    from tracker.storage.timeline import actions_as_of

    if historical:
        rows = actions_as_of(
            store, day=settings.today, filters=Filters(plan=plan), settings=settings
        )
    else:
        rows = store.iter_actions(filters=Filters(plan=plan), settings=settings)
    # Per recommendation: ratings, progress sum, actions not cancelled, actions, overdue.
    recs: dict[tuple[str, str], tuple[list[Rag | None], list[int]]] = {}
    for row in rows:
        section = sections.get(row.plan_key)
        if section is None:
            continue
        counts = section.counts
        counts["actions"] += 1
        if row.status == "complete":
            counts["complete"] += 1
        if row.status in OPEN_STATUSES:
            counts["open"] += 1
        rating = row.rag(settings)
        if rating is not None:
            counts[rating.value] = counts.get(rating.value, 0) + 1
        late = row.overdue(settings.today)
        if late:
            counts["overdue"] += 1
            section.overdue.append(row)
        if row.status == "blocked":
            counts["blocked"] += 1
            section.blocked.append(row)
        if row.revisions or row.slippage_days:
            section.slipped.append(row)
        if row.stale(settings):
            section.stale.append(row)
        ratings, sums = recs.setdefault((row.plan_key, row.rec_ref), ([], [0, 0, 0, 0]))
        ratings.append(rating)
        live = row.status != "cancelled"
        sums[0] += row.progress if live else 0
        sums[1] += live
        sums[2] += 1
        sums[3] += late
    for section in sections.values():
        section.overdue.sort(key=lambda r: -r.days_overdue(settings.today))
        section.slipped.sort(key=lambda r: -r.slippage_days)
        # Grouped by owner; each owner's longest silence first.
        section.stale.sort(key=lambda r: (r.owner.casefold(), r.owner, r.updated_at))
        _roll_up(section, recs)


def _roll_up(
    section: PlanSection, recs: dict[tuple[str, str], tuple[list[Rag | None], list[int]]]
) -> None:
    """The plan's and each recommendation's RAG, progress and counts from the rows read."""
    total_progress = total_live = 0
    for node in section.node.children:
        ratings, (progress, live, actions, overdue) = recs.get(
            (section.key, node.ref or ""), ([], [0, 0, 0, 0])
        )
        node.rag = roll_up(ratings)
        node.progress = progress / live if live else None
        node.actions, node.overdue = actions, overdue
        total_progress += progress
        total_live += live
    plan = section.node
    plan.rag = roll_up(r.rag for r in plan.children if r.actions)
    plan.progress = total_progress / total_live if total_live else None
    plan.actions = sum(r.actions for r in plan.children)
    plan.overdue = sum(r.overdue for r in plan.children)


STALE_HEADING = "Not updated since the last board"


def stale_intro(settings: RuleSettings) -> str:
    """The sentence under the stale section's heading."""
    return (
        f"Open actions with no update of any kind for more than {settings.update_days} days, "
        "by owner."
    )


def stale_groups(rows: Sequence[ActionRow]) -> list[tuple[str, list[ActionRow]]]:
    """Stale actions (already sorted by owner) as (owner, that owner's actions)."""
    groups: list[tuple[str, list[ActionRow]]] = []
    for row in rows:
        if groups and groups[-1][0] == row.owner:
            groups[-1][1].append(row)
        else:
            groups.append((row.owner, [row]))
    return groups


def slipped_table(p: PlanSection) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """The slipped deadlines as (headers, rows) of plain text: what each action is, how far
    its deadline moved, and its status, so a board sees which slipped actions are done."""
    headers = (
        "Action",
        "Description",
        "Owner",
        "Original",
        "Now",
        "Slippage (days)",
        "Revisions",
        "Status",
    )
    rows: list[tuple[str, ...]] = [
        (
            r.ref,
            r.description,
            r.owner,
            short_date(r.original_deadline),
            short_date(r.deadline),
            str(r.slippage_days),
            str(r.revisions),
            r.status.replace("_", " "),
        )
        for r in p.slipped
    ]
    return headers, rows


def key_points(p: PlanSection, paper: BoardPaper) -> list[str]:
    """The few sentences a board reads first, as plain text."""
    s, today = paper.settings, paper.settings.today
    c = p.counts
    points = []
    red, amber = c.get("RED", 0), c.get("AMBER", 0)
    if c["actions"]:
        points.append(
            f"Overall {_rag_word(p.node.rag)}: {c['complete']} of "
            f"{counted(c['actions'], 'action')} "
            f"complete, {_pct(p.node.progress)} average progress; {red} RED and {amber} AMBER."
        )
    else:
        points.append("No actions are recorded for this plan yet.")
    if p.overdue:
        worst = p.overdue[0]
        beyond = sum(1 for r in p.overdue if r.days_overdue(today) > s.tolerance_days)
        points.append(
            f"{len(p.overdue)} {_actions(len(p.overdue))} overdue, {beyond} by more than "
            f"{s.tolerance_days} days; the longest is {worst.ref} "
            f"({counted(worst.days_overdue(today), 'day')}, {one_line(worst.owner)})."
        )
    else:
        points.append("No action is overdue.")
    if p.blocked:
        refs = ", ".join(r.ref for r in p.blocked)
        points.append(f"{len(p.blocked)} {_actions(len(p.blocked))} blocked: {refs}.")
    if p.slipped:
        points.append(_slippage_sentence([r.slippage_days for r in p.slipped]))
    if p.changes is not None:
        n = p.changes.summary()
        points.append(
            f"Since {long_date(paper.since)}: {n['completed']} completed, "
            f"{n['newly_overdue']} became overdue, {n['deadlines_moved']} "
            f"{'deadline' if n['deadlines_moved'] == 1 else 'deadlines'} moved, "
            f"{n['actions_added']} {_actions(n['actions_added'], verb=False)} added."
        )
        points += [f"{line}." for line in import_lines(p.changes, with_plan=False)]
    return points


def _slippage_sentence(days: list[int]) -> str:
    """`9 deadlines have moved from their original dates: 8 later, by 91 to 682 days; 1 earlier.`"""
    later = [d for d in days if d > 0]
    earlier = [d for d in days if d < 0]
    parts = []
    if later:
        spread = f"{min(later)} to {max(later)}" if min(later) != max(later) else f"{later[0]}"
        parts.append(f"{len(later)} later, by {spread} days")
    if earlier:
        parts.append(f"{len(earlier)} earlier")
    same = len(days) - len(later) - len(earlier)
    if same:
        parts.append(f"{same} back on the original date")
    noun = "deadline has" if len(days) == 1 else "deadlines have"
    return f"{len(days)} {noun} moved from the original date: {'; '.join(parts)}."


def _actions(n: int, *, verb: bool = True) -> str:
    noun = "action" if n == 1 else "actions"
    if not verb:
        return noun
    return f"{noun} {'is' if n == 1 else 'are'}"


@dataclass(slots=True)
class BoardView:
    """What the TUI's board view draws: each plan's roll-ups and its monthly trend."""

    today: date
    plans: list[TreeNode]
    trends: dict[str, list[TrendPoint]]
    progress: float | None = None  # every plan's: the mean over actions not cancelled

    def overall(self) -> list[TrendPoint]:
        """Every plan's trend added up, month by month."""
        months: dict[date, list[int]] = {}
        as_at: dict[date, date] = {}
        for points in self.trends.values():
            for t in points:
                c = months.setdefault(t.month, [0, 0, 0, 0])
                c[0] += t.open
                c[1] += t.overdue
                c[2] += t.complete
                c[3] += t.total
                as_at[t.month] = t.as_at
        return [
            TrendPoint(month=m, as_at=as_at[m], open=o, overdue=d, complete=k, total=n)
            for m, (o, d, k, n) in sorted(months.items())
        ]


def board_view(store: Store, *, settings: RuleSettings, months: int = 12) -> BoardView:
    """Plans and recommendations with RAG and progress, and each plan's monthly trend."""
    from tracker.storage.timeline import monthly_trends

    progress = store.average_progress()
    return BoardView(
        today=settings.today,
        plans=store.tree(settings=settings),
        trends=monthly_trends(store, settings=settings, months=months),
        progress=progress,
    )


# --- the board paper: Markdown ----------------------------------------------------------------


def _pct(value: float | None) -> str:
    return f"{round(value)}%" if value is not None else "–"


def _rag_word(value: Rag | None) -> str:
    return value.value if value is not None else "–"


def as_sentence(text: str) -> str:
    """` text.` after a sentence, or nothing for no text."""
    return f" {text}." if text else ""


def inspection_line(p: PlanSection) -> str:
    bits = []
    if p.inspection_type:
        bits.append(one_line(p.inspection_type))
    if p.inspection_start and p.inspection_end:
        bits.append(f"{long_date(p.inspection_start)} to {long_date(p.inspection_end)}")
    if p.published:
        bits.append(f"report published {long_date(p.published)}")
    if p.overall_judgement:
        bits.append(f"overall: {one_line(p.overall_judgement)}")
    return "; ".join(bits)


def board_paper_markdown(paper: BoardPaper) -> str:
    """The board paper as Markdown: headings, tables, every plan text escaped."""
    from tracker.reports.scorecard import red_measures_markdown, scorecard_markdown

    out: list[str] = []
    today = paper.settings.today
    out.append("# Improvement plan progress: board report\n\n")
    out.append(
        f"As at **{long_date(paper.today)}**. Changes since {long_date(paper.since)}. "
        f"{md(prepared_line(paper))}.\n\n"
    )
    out.append(
        f"RAG: RED blocked or more than {paper.settings.tolerance_days} days overdue; "
        "AMBER overdue, or due within "
        f"{paper.settings.due_soon_days} days and not started; GREEN on track; BLUE complete.\n\n"
    )
    out.append("## Summary\n\n")
    out.append(
        _md_table(
            ("Plan", "RAG", "Progress", "Actions", "Complete", "Overdue", "Blocked", "Slipped"),
            (
                (
                    md(f"{p.authority}: {p.key}"),
                    _rag_word(p.node.rag),
                    _pct(p.node.progress),
                    str(p.counts["actions"]),
                    str(p.counts["complete"]),
                    str(p.counts["overdue"]),
                    str(p.counts["blocked"]),
                    str(len(p.slipped)),
                )
                for p in paper.plans
            ),
        )
    )
    for p in paper.plans:
        out.append(f"\n## {md(p.authority)}: {md(p.title)}\n\n")
        out.append(f"Plan `{p.key}`.{as_sentence(md(inspection_line(p)))}\n\n")
        out.append(
            f"Overall **{_rag_word(p.node.rag)}**, {_pct(p.node.progress)} complete on average; "
            f"{counted(p.counts['actions'], 'action')}: {p.counts['complete']} complete, "
            f"{p.counts['open']} open, {p.counts['overdue']} overdue, "
            f"{p.counts['blocked']} blocked.\n\n"
        )
        out.append("### Key points\n\n")
        out.append("".join(f"- {md(point)}\n" for point in key_points(p, paper)) + "\n")
        if p.judgements:
            out.append("### Inspection judgements\n\n")
            out.append(_md_table(("Area", "Grade"), ((md(a), md(g)) for a, g in p.judgements)))
            out.append("\n")
        out.append("### Recommendations\n\n")
        out.append(
            _md_table(
                ("Ref", "Recommendation", "RAG", "Progress", "Actions", "Overdue"),
                (
                    (
                        md(r.ref),
                        md(r.title),
                        _rag_word(r.rag),
                        _pct(r.progress),
                        str(r.actions),
                        str(r.overdue),
                    )
                    for r in p.node.children
                ),
            )
        )
        out.append(scorecard_markdown(p.measures))
        if p.trend:
            out.append("\n### Trend (end of each month)\n\n")
            out.append(
                _md_table(
                    ("Month", "Open", "Overdue", "Complete"),
                    ((t.label, str(t.open), str(t.overdue), str(t.complete)) for t in p.trend),
                )
            )
        out.append("\n### Exceptions\n\n")
        out.append(f"#### Overdue ({len(p.overdue)})\n\n")
        if p.overdue:
            out.append(
                _md_table(
                    ("Action", "Owner", "Deadline", "Days overdue", "Status", "RAG"),
                    (
                        (
                            md(r.ref),
                            md(r.owner),
                            short_date(r.deadline),
                            str(r.days_overdue(today)),
                            r.status.replace("_", " "),
                            _rag_word(r.rag(paper.settings)),
                        )
                        for r in p.overdue
                    ),
                )
            )
        else:
            out.append("None.\n")
        out.append(f"\n#### Blocked ({len(p.blocked)})\n\n")
        if p.blocked:
            out.append(
                _md_table(
                    ("Action", "Owner", "Deadline", "Description"),
                    (
                        (md(r.ref), md(r.owner), short_date(r.deadline), md(r.description))
                        for r in p.blocked
                    ),
                )
            )
        else:
            out.append("None.\n")
        out.append(red_measures_markdown(p.measures))
        out.append(f"\n#### Slipped deadlines ({len(p.slipped)})\n\n")
        if p.slipped:
            headers, rows = slipped_table(p)
            out.append(_md_table(headers, ([md(c) for c in row] for row in rows)))
        else:
            out.append("None.\n")
        out.append(f"\n#### {STALE_HEADING} ({len(p.stale)})\n\n")
        if p.stale:
            out.append(stale_intro(paper.settings) + "\n\n")
            out.append(
                _md_table(
                    ("Owner", "Action", "Deadline", "Status", "Last update", "Days"),
                    (
                        (
                            md(owner) if i == 0 else "",
                            md(r.ref),
                            short_date(r.deadline),
                            r.status.replace("_", " "),
                            short_date(r.updated_at.date()),
                            str(r.days_since_update(today)),
                        )
                        for owner, rows in stale_groups(p.stale)
                        for i, r in enumerate(rows)
                    ),
                )
            )
        else:
            out.append("None.\n")
        if p.changes is not None:
            out.append(f"\n### Changes since {long_date(paper.since)}\n\n")
            out.append(_changes_markdown(p.changes, heading="####", with_plan=False))
    return "".join(out)


# --- the board paper: HTML ------------------------------------------------------------------
