"""Board reporting: what changed in a period, and the board paper in Markdown or HTML.

The board paper gathers, per plan, the inspection's judgements, each recommendation's
RAG and progress, the exceptions a board must see (overdue, blocked, slipped deadlines)
and the changes since the last board. The HTML is one self-contained, printable file:
inline CSS and SVG, no scripts, no links out, every piece of plan text escaped.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from html import escape
from typing import IO

from sqlalchemy import select

from tracker.dates import format_date, format_utc
from tracker.export import neutralise
from tracker.models import JUDGEMENT, PLAN
from tracker.records import ActionRow, Filters, TreeNode
from tracker.rules import OPEN_STATUSES, Rag, RuleSettings, roll_up
from tracker.store import Store
from tracker.text import one_line
from tracker.timeline import ChangeEntry, ChangeLog, TrendPoint, change_records, changes_between

__all__ = [
    "BoardPaper",
    "BoardView",
    "PlanSection",
    "board_paper_html",
    "board_paper_markdown",
    "board_view",
    "build_board_paper",
    "write_changes",
]

CHANGE_COLUMNS = ("at", "by", "action", "field", "old", "new", "note")
_SUMMARY_WORDS = (
    ("completed", "completed", "completed"),
    ("newly_overdue", "newly overdue", "newly overdue"),
    ("deadlines_moved", "deadline moved", "deadlines moved"),
    ("status_changes", "status change", "status changes"),
    ("actions_added", "action added", "actions added"),
)


def long_date(value: date | None) -> str:
    """`25 November 2026`, the way a board paper writes a date."""
    return f"{value.day} {value:%B %Y}" if value else ""


def summary_sentence(log: ChangeLog) -> str:
    """`12 changes: 2 completed, 1 newly overdue, ...`."""
    counts = log.summary()
    parts = ", ".join(
        f"{counts[key]} {one if counts[key] == 1 else many}" for key, one, many in _SUMMARY_WORDS
    )
    noun = "change" if counts["changes"] == 1 else "changes"
    return f"{counts['changes']} {noun}: {parts}"


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
            "changes": records,
        }
        out.write(json.dumps(obj, ensure_ascii=False, indent=1) + "\n")
        return
    if fmt == "markdown":
        out.write(f"# Changes {_period(log)}\n\n")
        out.write(_changes_markdown(log, heading="##"))
        return
    _changes_text(log, out)


def _period(log: ChangeLog) -> str:
    return f"from {long_date(log.since)} to {long_date(log.until)}"


def _changes_text(log: ChangeLog, out: IO[str]) -> None:
    from tracker.text import truncate

    out.write(f"Changes {_period(log)}\n")
    out.write(summary_sentence(log) + "\n")
    groups = (
        ("Completed", log.completed),
        ("Newly overdue", log.newly_overdue),
        ("Actions added", log.added),
    )
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


def _change_text(e: ChangeEntry) -> str:
    if e.field == "note":
        return "note"
    return f"{e.field}: {one_line(e.old) or '(empty)'} → {one_line(e.new) or '(empty)'}"


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
            ("Action", "Owner", "Description"),
            [(name(r), r.owner, r.description) for r in log.completed],
        ),
        (
            "Newly overdue",
            ("Action", "Owner", "Deadline", "Status"),
            [
                (name(r), r.owner, format_date(r.deadline), r.status.replace("_", " "))
                for r in log.newly_overdue
            ],
        ),
        (
            "Deadlines moved",
            ("Action", "From", "To", "Reason", "By"),
            [(name(e), e.old, e.new, e.note, e.by) for e in log.deadlines_moved],
        ),
        (
            "Actions added",
            ("Action", "Owner", "Deadline", "Description"),
            [(name(r), r.owner, format_date(r.deadline), r.description) for r in log.added],
        ),
    ]
    every: Table = (
        "Every change",
        ("When (UTC)", "Who", "Action", "Change", "Note"),
        [(format_utc(e.at), e.by, name(e), _change_text(e), e.note) for e in log.entries],
    )
    return [t for t in tables if t[2]] + [every]


def _changes_markdown(log: ChangeLog, *, heading: str) -> str:
    parts = [summary_sentence(log) + ".\n"]
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
    changes: ChangeLog | None = None
    trend: list[TrendPoint] = field(default_factory=list)


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
) -> BoardPaper:
    """Gather the board paper for every plan (or one) as at `settings.today`.

    With `historical`, the actions are read as they stood at the end of that day
    (rolled back through history), so last month's paper can be produced again.
    """
    from tracker.errors import NotFoundError
    from tracker.timeline import monthly_trends

    nodes = [n for n in store.tree(settings=settings) if plan is None or n.plan_key == plan]
    if plan is not None and not nodes:
        raise NotFoundError(f"no plan {plan!r} in the store")
    with store._reading() as session:
        info = {
            row.key: row
            for row in session.execute(
                select(
                    PLAN.id,
                    PLAN.key,
                    PLAN.authority,
                    PLAN.title,
                    PLAN.inspection_type,
                    PLAN.inspection_start,
                    PLAN.inspection_end,
                    PLAN.published,
                    PLAN.overall_judgement,
                )
            )
        }
        grades: dict[int, list[tuple[str, str]]] = {}
        for plan_id, area, grade in session.execute(
            select(JUDGEMENT.plan_id, JUDGEMENT.area, JUDGEMENT.grade).order_by(
                JUDGEMENT.plan_id, JUDGEMENT.position
            )
        ):
            grades.setdefault(plan_id, []).append((area, grade))
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
            judgements=grades.get(p.id, []),
            node=node,
            counts={"actions": 0, "complete": 0, "open": 0, "overdue": 0, "blocked": 0},
        )
    _classify(store, by_key, settings, plan, historical=historical)
    log = changes_between(store, since=since, until=settings.today, plan=plan, settings=settings)
    trends = (
        monthly_trends(store, settings=settings, months=trend_months, plan=plan)
        if trend_months
        else {}
    )
    for key, section in by_key.items():
        section.changes = log.for_plan(key)
        section.trend = trends.get(key, [])
    sections = list(by_key.values())
    return BoardPaper(
        today=settings.today,
        since=since,
        prepared_at=prepared_at,
        prepared_by=prepared_by,
        settings=settings,
        plans=sections,
    )


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
    from tracker.timeline import actions_as_of

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


def key_points(p: PlanSection, paper: BoardPaper) -> list[str]:
    """The few sentences a board reads first, as plain text."""
    s, today = paper.settings, paper.settings.today
    c = p.counts
    points = []
    red, amber = c.get("RED", 0), c.get("AMBER", 0)
    if c["actions"]:
        points.append(
            f"Overall {_rag_word(p.node.rag)}: {c['complete']} of {c['actions']} actions "
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
            f"({worst.days_overdue(today)} days, {one_line(worst.owner)})."
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
    from tracker.timeline import monthly_trends

    return BoardView(
        today=settings.today,
        plans=store.tree(settings=settings),
        trends=monthly_trends(store, settings=settings, months=months),
    )


# --- the board paper: Markdown ----------------------------------------------------------------


def _pct(value: float | None) -> str:
    return f"{round(value)}%" if value is not None else "–"


def _rag_word(value: Rag | None) -> str:
    return value.value if value is not None else "–"


def _sentence(text: str) -> str:
    """` text.` after a sentence, or nothing for no text."""
    return f" {text}." if text else ""


def _inspection_line(p: PlanSection) -> str:
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
    out: list[str] = []
    today = paper.settings.today
    out.append("# Improvement plan progress: board report\n\n")
    out.append(
        f"As at **{long_date(paper.today)}**. Changes since {long_date(paper.since)}. "
        f"Prepared {format_utc(paper.prepared_at)} by {md(paper.prepared_by)}.\n\n"
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
        out.append(f"Plan `{p.key}`.{_sentence(md(_inspection_line(p)))}\n\n")
        out.append(
            f"Overall **{_rag_word(p.node.rag)}**, {_pct(p.node.progress)} complete on average; "
            f"{p.counts['actions']} actions: {p.counts['complete']} complete, "
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
                            format_date(r.deadline),
                            str(r.days_overdue(today)),
                            r.status,
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
                        (md(r.ref), md(r.owner), format_date(r.deadline), md(r.description))
                        for r in p.blocked
                    ),
                )
            )
        else:
            out.append("None.\n")
        out.append(f"\n#### Slipped deadlines ({len(p.slipped)})\n\n")
        if p.slipped:
            out.append(
                _md_table(
                    ("Action", "Owner", "Original", "Now", "Slippage (days)", "Revisions"),
                    (
                        (
                            md(r.ref),
                            md(r.owner),
                            format_date(r.original_deadline),
                            format_date(r.deadline),
                            str(r.slippage_days),
                            str(r.revisions),
                        )
                        for r in p.slipped
                    ),
                )
            )
        else:
            out.append("None.\n")
        if p.changes is not None:
            out.append(f"\n### Changes since {long_date(paper.since)}\n\n")
            out.append(_changes_markdown(p.changes, heading="####"))
    return "".join(out)


# --- the board paper: HTML ------------------------------------------------------------------

_RAG_COLOURS = {
    "RED": ("#c62828", "#ffffff"),
    "AMBER": ("#f2a900", "#1a1a1a"),
    "GREEN": ("#2e7d32", "#ffffff"),
    "BLUE": ("#1f5fa8", "#ffffff"),
}

_CSS = """
:root { --ink: #1b1f24; --muted: #5b6470; --rule: #d5d9de; --band: #f3f5f7; --accent: #1d3557; }
* { box-sizing: border-box; }
body { font-family: "Segoe UI", Arial, "Helvetica Neue", "DejaVu Sans", sans-serif;
  color: var(--ink); margin: 0; background: #e9ecef; font-size: 10.5pt; line-height: 1.4; }
main { max-width: 1050px; margin: 24px auto; background: #fff; padding: 36px 48px;
  box-shadow: 0 1px 4px rgba(0,0,0,.15); }
header.paper { border-bottom: 4px solid var(--accent); padding-bottom: 12px; margin-bottom: 18px; }
header.paper .kicker { text-transform: uppercase; letter-spacing: .08em; font-size: 8.5pt;
  color: var(--muted); margin: 0; }
h1 { font-size: 20pt; margin: 4px 0 6px; color: var(--accent); }
h2 { font-size: 14pt; margin: 28px 0 8px; color: var(--accent);
  border-bottom: 1px solid var(--rule); padding-bottom: 4px; }
h3 { font-size: 11.5pt; margin: 20px 0 6px; }
h4 { font-size: 10.5pt; margin: 14px 0 4px; color: var(--muted); }
p { margin: 4px 0 8px; }
.meta { color: var(--muted); font-size: 9.5pt; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 10px; font-size: 9.5pt; }
th { text-align: left; background: var(--band); border-bottom: 2px solid var(--rule);
  padding: 5px 6px; font-weight: 600; }
td { border-bottom: 1px solid var(--rule); padding: 4px 6px; vertical-align: top; }
td.num, th.num { text-align: right; white-space: nowrap; }
.nowrap { white-space: nowrap; }
.rag { display: inline-block; min-width: 56px; text-align: center; font-weight: 700;
  font-size: 8pt; letter-spacing: .04em; padding: 2px 6px; border-radius: 3px;
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.rag-none { background: #e0e0e0; color: #333; }
.tiles { display: flex; gap: 10px; flex-wrap: wrap; margin: 10px 0 6px; }
.tile { flex: 1 1 120px; border: 1px solid var(--rule); border-top: 4px solid var(--accent);
  padding: 8px 10px; }
.tile .n { font-size: 18pt; font-weight: 700; display: block; }
.tile .l { color: var(--muted); font-size: 8.5pt; text-transform: uppercase;
  letter-spacing: .05em; }
.tile.warn { border-top-color: #c62828; }
.bar { vertical-align: middle; }
.legend { font-size: 8.5pt; color: var(--muted); }
.legend .swatch { display: inline-block; width: 10px; height: 10px; margin: 0 4px 0 10px;
  vertical-align: -1px; }
ul.points { margin: 4px 0 10px; padding-left: 20px; }
ul.points li { margin: 2px 0; }
.none { color: var(--muted); font-style: italic; }
section.plan { break-before: page; }
section.plan:first-of-type { break-before: auto; }
footer { margin-top: 28px; border-top: 1px solid var(--rule); padding-top: 8px;
  color: var(--muted); font-size: 8.5pt; }
@page { size: A4; margin: 16mm 14mm; }
@media print {
  body { background: #fff; font-size: 9.5pt; }
  main { box-shadow: none; margin: 0; padding: 0; max-width: none; }
  tr, .tile { break-inside: avoid; }
  .tile { flex-basis: 70px; padding: 6px 8px; }
  .tile .n { font-size: 14pt; }
  h2, h3, h4 { break-after: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def _h(value: object) -> str:
    """Plan text as HTML text: escaped, control characters removed."""
    from tracker.text import printable

    return escape(printable(str(value) if value is not None else ""), quote=True)


def rag_chip(value: Rag | str | None) -> str:
    """The RAG as a coloured chip that also carries the word."""
    word = value.value if isinstance(value, Rag) else value
    if not word:
        return '<span class="rag rag-none">NONE</span>'
    bg, fg = _RAG_COLOURS[word]
    return f'<span class="rag" style="background:{bg};color:{fg}">{word}</span>'


def progress_bar(value: float | None, *, width: int = 120) -> str:
    """A progress bar as inline SVG with the percentage beside it."""
    if value is None:
        return '<span class="none">–</span>'
    pct = max(0.0, min(100.0, value))
    fill = round(width * pct / 100)
    return (
        f'<svg class="bar" width="{width}" height="10" role="img" '
        f'aria-label="{round(pct)}% complete" xmlns="http://www.w3.org/2000/svg">'
        f'<rect width="{width}" height="10" rx="2" fill="#e3e7eb"/>'
        f'<rect width="{fill}" height="10" rx="2" fill="#1d3557"/></svg> {round(pct)}%'
    )


def _rag_mix(counts: dict[str, int], *, width: int = 420) -> str:
    """The actions' RAG mix as one stacked bar with a legend."""
    total = sum(counts.get(w, 0) for w in _RAG_COLOURS)
    if not total:
        return ""
    x = 0.0
    rects = []
    for word, (bg, _) in _RAG_COLOURS.items():
        n = counts.get(word, 0)
        if not n:
            continue
        w = width * n / total
        rects.append(f'<rect x="{x:.1f}" width="{w:.1f}" height="16" fill="{bg}"/>')
        x += w
    legend = "".join(
        f'<span class="swatch" style="background:{bg}"></span>{word} {counts.get(word, 0)}'
        for word, (bg, _) in _RAG_COLOURS.items()
    )
    label = ", ".join(f"{word} {counts.get(word, 0)}" for word in _RAG_COLOURS)
    return (
        f'<p><svg width="{width}" height="16" role="img" aria-label="Actions by RAG: {label}" '
        f'xmlns="http://www.w3.org/2000/svg">{"".join(rects)}</svg></p>'
        f'<p class="legend">Actions by RAG:{legend}</p>'
    )


_TREND_SERIES = (("open", "#1d3557"), ("overdue", "#c62828"), ("complete", "#1f5fa8"))


def _trend_svg(points: list[TrendPoint], *, width: int = 640, height: int = 190) -> str:
    """Open, overdue and complete actions at each month end, as grouped bars."""
    if not points:
        return ""
    top = max(max(t.open, t.overdue, t.complete) for t in points) or 1
    left, bottom, plot_h = 36, 30, height - 50
    group = (width - left - 10) / len(points)
    bar = min(18.0, group / 4)
    parts = [
        f'<svg width="{width}" height="{height}" role="img" xmlns="http://www.w3.org/2000/svg" '
        'aria-label="Open, overdue and complete actions at the end of each month" '
        'font-family="inherit" font-size="10">'
    ]
    for i in range(5):
        value = top * i / 4
        y = height - bottom - plot_h * i / 4
        parts.append(
            f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e7eb"/>'
            f'<text x="{left - 6}" y="{y + 3:.1f}" text-anchor="end" fill="#5b6470">'
            f"{round(value)}</text>"
        )
    for i, t in enumerate(points):
        x0 = left + group * i + (group - 3 * bar) / 2
        for j, (name, colour) in enumerate(_TREND_SERIES):
            value = getattr(t, name)
            h = plot_h * value / top
            y = height - bottom - h
            parts.append(
                f'<rect x="{x0 + j * bar:.1f}" y="{y:.1f}" width="{bar - 2:.1f}" '
                f'height="{h:.1f}" fill="{colour}"><title>{t.label}: {value} {name}</title></rect>'
            )
        parts.append(
            f'<text x="{left + group * i + group / 2:.1f}" y="{height - bottom + 14}" '
            f'text-anchor="middle" fill="#5b6470">{escape(t.label)}</text>'
        )
    parts.append("</svg>")
    legend = "".join(
        f'<span class="swatch" style="background:{colour}"></span>{name}'
        for name, colour in _TREND_SERIES
    )
    table = (
        "<table><thead><tr><th>Month end</th>"
        + "".join(f"<th>{escape(t.label)}</th>" for t in points)
        + "</tr></thead><tbody>"
        + "".join(
            f"<tr><td>{name.capitalize()}</td>"
            + "".join(f'<td class="num">{getattr(t, name)}</td>' for t in points)
            + "</tr>"
            for name, _ in _TREND_SERIES
        )
        + "</tbody></table>"
    )
    return "".join(parts) + f'<p class="legend">{legend}</p>' + table


def _html_table(
    headers: Sequence[str], rows: Iterable[Sequence[str]], *, numeric: Sequence[int] = ()
) -> str:
    head = "".join(
        f'<th class="num">{h}</th>' if i in numeric else f"<th>{h}</th>"
        for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
            for i, c in enumerate(cells)
        )
        + "</tr>"
        for cells in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _none(text: str = "None.") -> str:
    return f'<p class="none">{text}</p>'


def _tiles(items: Iterable[tuple[str, str, bool]]) -> str:
    return (
        '<div class="tiles">'
        + "".join(
            f'<div class="tile{" warn" if warn else ""}"><span class="n">{n}</span>'
            f'<span class="l">{label}</span></div>'
            for n, label, warn in items
        )
        + "</div>"
    )


_NOWRAP = frozenset({"Action", "When (UTC)", "Deadline", "From", "To"})


def _html_changes(log: ChangeLog) -> str:
    parts = [f"<p>{_h(summary_sentence(log))}.</p>"]
    for title, headers, rows in change_tables(log, full_address=False):
        parts.append(f"<h4>{title}</h4>")
        if not rows:
            parts.append(_none("No changes in this period."))
            continue
        wrap = [h in _NOWRAP for h in headers]
        parts.append(
            _html_table(
                headers,
                (
                    [
                        f'<span class="nowrap">{_h(c)}</span>' if wrap[i] else _h(c)
                        for i, c in enumerate(row)
                    ]
                    for row in rows
                ),
            )
        )
    return "".join(parts)


def _html_plan(p: PlanSection, paper: BoardPaper) -> str:
    today = paper.settings.today
    parts = [f'<section class="plan" id="{_h(p.key)}">']
    parts.append(f"<h2>{_h(p.authority)}: {_h(p.title)}</h2>")
    parts.append(f'<p class="meta">Plan {_h(p.key)}.{_sentence(_h(_inspection_line(p)))}</p>')
    parts.append(
        f"<p>Overall {rag_chip(p.node.rag)} &nbsp; {progress_bar(p.node.progress, width=200)} "
        "average progress</p>"
    )
    parts.append(
        _tiles(
            (
                (str(p.counts["actions"]), "actions", False),
                (str(p.counts["complete"]), "complete", False),
                (str(p.counts["open"]), "open", False),
                (str(p.counts["overdue"]), "overdue", p.counts["overdue"] > 0),
                (str(p.counts["blocked"]), "blocked", p.counts["blocked"] > 0),
                (str(len(p.slipped)), "deadlines slipped", len(p.slipped) > 0),
            )
        )
    )
    parts.append(_rag_mix(p.counts))
    parts.append('<h3>Key points</h3><ul class="points">')
    parts.append("".join(f"<li>{_h(point)}</li>" for point in key_points(p, paper)))
    parts.append("</ul>")
    if p.judgements:
        parts.append("<h3>Inspection judgements</h3>")
        parts.append(_html_table(("Area", "Grade"), ((_h(a), _h(g)) for a, g in p.judgements)))
    parts.append("<h3>Recommendations</h3>")
    parts.append(
        _html_table(
            ("Ref", "Recommendation", "RAG", "Progress", "Actions", "Overdue"),
            (
                (
                    f'<span class="nowrap">{_h(r.ref)}</span>',
                    _h(r.title),
                    rag_chip(r.rag),
                    f'<span class="nowrap">{progress_bar(r.progress)}</span>',
                    str(r.actions),
                    str(r.overdue),
                )
                for r in p.node.children
            ),
            numeric=(4, 5),
        )
    )
    if p.trend:
        parts.append("<h3>Trend: actions at the end of each month</h3>")
        parts.append(_trend_svg(p.trend))
    parts.append("<h3>Exceptions</h3>")
    parts.append(f"<h4>Overdue ({len(p.overdue)})</h4>")
    parts.append(
        _html_table(
            ("Action", "Description", "Owner", "Deadline", "Days overdue", "RAG"),
            (
                (
                    f'<span class="nowrap">{_h(r.ref)}</span>',
                    _h(r.description),
                    _h(r.owner),
                    f'<span class="nowrap">{format_date(r.deadline)}</span>',
                    f"OVERDUE {r.days_overdue(today)}d",
                    rag_chip(r.rag(paper.settings)),
                )
                for r in p.overdue
            ),
            numeric=(4,),
        )
        if p.overdue
        else _none()
    )
    parts.append(f"<h4>Blocked ({len(p.blocked)})</h4>")
    parts.append(
        _html_table(
            ("Action", "Description", "Owner", "Deadline", "Notes"),
            (
                (
                    f'<span class="nowrap">{_h(r.ref)}</span>',
                    _h(r.description),
                    _h(r.owner),
                    f'<span class="nowrap">{format_date(r.deadline)}</span>',
                    _h(r.notes),
                )
                for r in p.blocked
            ),
        )
        if p.blocked
        else _none()
    )
    parts.append(f"<h4>Slipped deadlines ({len(p.slipped)})</h4>")
    parts.append(
        _html_table(
            ("Action", "Owner", "Original", "Now", "Slippage", "Revisions"),
            (
                (
                    f'<span class="nowrap">{_h(r.ref)}</span>',
                    _h(r.owner),
                    f'<span class="nowrap">{format_date(r.original_deadline)}</span>',
                    f'<span class="nowrap">{format_date(r.deadline)}</span>',
                    f"{r.slippage_days} days",
                    str(r.revisions),
                )
                for r in p.slipped
            ),
            numeric=(4, 5),
        )
        if p.slipped
        else _none()
    )
    if p.changes is not None:
        parts.append(f"<h3>Changes since {long_date(paper.since)}</h3>")
        parts.append(_html_changes(p.changes))
    parts.append("</section>")
    return "".join(parts)


def board_paper_html(paper: BoardPaper) -> str:
    """The board paper as one self-contained, printable HTML page."""
    s = paper.settings
    title = "Improvement plan progress: board report"
    if len(paper.plans) == 1:
        title = f"{paper.plans[0].authority}: improvement plan progress"
    summary = _html_table(
        ("Plan", "RAG", "Progress", "Actions", "Complete", "Overdue", "Blocked", "Slipped"),
        (
            (
                f'<a href="#{_h(p.key)}">{_h(p.authority)}</a><br>'
                f'<span class="meta">{_h(p.title)}</span>',
                rag_chip(p.node.rag),
                f'<span class="nowrap">{progress_bar(p.node.progress)}</span>',
                str(p.counts["actions"]),
                str(p.counts["complete"]),
                str(p.counts["overdue"]),
                str(p.counts["blocked"]),
                str(len(p.slipped)),
            )
            for p in paper.plans
        ),
        numeric=(3, 4, 5, 6, 7),
    )
    body = "".join(_html_plan(p, paper) for p in paper.plans)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_h(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        '<header class="paper"><p class="kicker">Children\'s services improvement board</p>'
        f"<h1>{_h(title)}</h1>"
        f'<p class="meta">As at <strong>{long_date(paper.today)}</strong> &middot; changes since '
        f"{long_date(paper.since)} &middot; prepared {format_utc(paper.prepared_at)} by "
        f"{_h(paper.prepared_by)}</p></header>\n"
        "<h2>Summary</h2>"
        f"{summary}"
        f'<p class="legend">RAG: {rag_chip("RED")} blocked, or more than {s.tolerance_days} days '
        f"overdue &nbsp; {rag_chip('AMBER')} overdue, or due within {s.due_soon_days} days and "
        f"not started &nbsp; {rag_chip('GREEN')} on track &nbsp; {rag_chip('BLUE')} complete</p>\n"
        f"{body}\n"
        f"<footer>Produced by tracker from the improvement plan store. RAG and overdue are "
        f"judged as at {long_date(paper.today)}; an action is due at the end of its deadline "
        "day.</footer>\n"
        "</main>\n</body>\n</html>\n"
    )
