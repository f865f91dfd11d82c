"""The scorecard table's columns, fitted to the terminal's width.

Every row can be told apart: the Plan column shows while the scorecard spans more than
one plan, each key cut in the middle no shorter than keeps the keys distinct, and the ref
is always whole. RAG, latest value and target are sized to what they hold and never cut.
The two directions of travel, then the period, show while the name keeps room to be read
(the panel under the table says them for the highlighted measure either way), the period
only where it does not cut the longest name that would otherwise be whole; what is
left goes first to the name, up to its longest, then to the plan keys, then to the name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text

from tracker.domain.measures import MeasureRow, shown_value, travel_text
from tracker.domain.text import one_line
from tracker.tui.view import middle_truncate, rag_text
from tracker.tui.widgets.measures import target_text

__all__ = ["ScoreColumn", "score_cells", "score_columns"]

PADDING = 2  # a DataTable cell's padding, one each side
PLAN_MIN = 12  # the shortest plan label, as the actions table has (`sta…24-ilacs`)
NAME_MIN = 16  # the name keeps at least this much
NAME_NARROW = 24  # long units are cut before the name has less than this
VALUE_MIN = 8  # ... down to this (`84.8%`, `≥ 100%` and `2 young…` fit)
NAME_BESIDE_EXTRAS = 28  # travel and period show only while the name keeps this much
VALUE_MAX = 18  # a value or target with a long unit is cut beyond this (the panel has it)


@dataclass(frozen=True, slots=True)
class ScoreColumn:
    """One column as shown: its key, header and width (without padding)."""

    key: str
    label: str
    width: int


def _widest(texts: Sequence[str], label: str, cap: int = 10_000) -> int:
    return min(max([cell_len(label), *(cell_len(t) for t in texts)]), cap)


def _plan_label_width(keys: Sequence[str]) -> int:
    """The shortest width (at least PLAN_MIN) at which the cut keys stay distinct."""
    full = max((cell_len(k) for k in keys), default=0)
    for width in range(min(PLAN_MIN, full), full):
        if len({middle_truncate(k, width) for k in keys}) == len(keys):
            return width
    return full


def score_columns(width: int, rows: Sequence[MeasureRow]) -> tuple[ScoreColumn, ...]:
    """The columns for a table `width` cells wide (scrollbar already taken off)."""
    # Each distinct text measured once: 10,000 measures share a few plans, refs and units.
    plans = sorted({one_line(k) for k in {m.plan for m in rows}})
    show_plan = len(plans) > 1
    ref = _widest([one_line(r) for r in {m.ref for m in rows}], "Ref")
    latest = _widest([shown_value(m.score.value, m.unit) for m in rows], "Latest", VALUE_MAX)
    target = _widest([target_text(m) for m in rows], "Target", VALUE_MAX)
    period = _widest(list({m.score.period or "" for m in rows}), "Period")
    # The longest name as stored (one_line only shortens it), with room for `retired · `.
    retired = any(m.status == "retired" for m in rows)
    longest = max((cell_len(m.name) for m in rows), default=0) + (10 if retired else 0)
    name_full = max(longest, NAME_MIN)
    plan_full = _widest(plans, "Plan") if show_plan else 0
    plan = min(_plan_label_width(plans), plan_full) if show_plan else 0

    def used(*widths: int) -> int:
        return sum(w + PADDING for w in widths if w)

    # Narrow, a long unit is cut (`2 young pe…`; the panel has it whole) before the name
    # is squeezed below what can be read.
    while width - used(plan, ref, 5, latest, target) - PADDING < NAME_NARROW:
        if max(latest, target) <= VALUE_MIN:
            break
        if latest >= target:
            latest -= 1
        else:
            target -= 1
    core = used(plan, ref, 5, latest, target)
    room = width - core - PADDING  # the name's width with the core columns alone
    # The directions of travel first (the scorecard's point), then the period (the panel
    # says it), each only while the name keeps room to be read.
    extras: list[ScoreColumn] = []
    if room - used(10, 10) >= NAME_BESIDE_EXTRAS:
        extras += [ScoreColumn("prev", "vs prev", 10), ScoreColumn("year", "vs year", 10)]
        room -= used(10, 10)
        # The period gives way where it alone would cut the longest name.
        left = room - used(period)
        if left >= NAME_BESIDE_EXTRAS and not left < name_full <= room:
            extras.append(ScoreColumn("period", "Period", period))
            room -= used(period)
    name = max(min(room, name_full), NAME_MIN)
    spare = room - name
    if spare > 0 and show_plan:
        grow = min(spare, plan_full - plan)
        plan += grow
        spare -= grow
    if spare > 0:
        name += spare
    columns = [ScoreColumn("plan", "Plan", plan)] if show_plan else []
    columns += [
        ScoreColumn("ref", "Ref", ref),
        ScoreColumn("rag", "RAG", 5),
        ScoreColumn("latest", "Latest", latest),
    ]
    columns += [c for c in extras if c.key == "period"]
    columns.append(ScoreColumn("target", "Target", target))
    columns += [c for c in extras if c.key != "period"]
    columns.append(ScoreColumn("name", "Name", name))
    return tuple(columns)


def _name(m: MeasureRow) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    if m.status == "retired":
        text.append("retired · ", style="italic")
        text.append(one_line(m.name), style="dim")
    else:
        text.append(one_line(m.name))
    return text


def _cut(value: str) -> Text:
    return Text(value, no_wrap=True, overflow="ellipsis")


def score_cells(m: MeasureRow, columns: Sequence[ScoreColumn]) -> tuple[Text, ...]:
    """One measure's cells for `columns`: always Text, so nothing in a plan is markup."""
    s = m.score
    out: list[Text] = []
    for column in columns:
        key = column.key
        if key == "plan":
            out.append(Text(middle_truncate(one_line(m.plan), column.width), no_wrap=True))
        elif key == "ref":
            out.append(Text(one_line(m.ref), style="dim" if m.status == "retired" else ""))
        elif key == "rag":
            out.append(rag_text(s.rag))
        elif key == "latest":
            out.append(_cut(shown_value(s.value, m.unit)))
        elif key == "period":
            out.append(Text(s.period or ""))
        elif key == "target":
            out.append(_cut(target_text(m)))
        elif key == "prev":
            out.append(Text(travel_text(s.vs_previous)))
        elif key == "year":
            out.append(Text(travel_text(s.vs_last_year)))
        else:
            out.append(_name(m))
    return tuple(out)
