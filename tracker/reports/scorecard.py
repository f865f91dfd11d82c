"""The board paper's measures of impact: a scorecard per plan and the RED measures.

Kept apart from the rest of the paper: `paper.py` and `html.py` each call one function
here for the scorecard section and one for the RED measures among the exceptions. Each
measure shows its target, its last six readings (a small inline SVG chart with the target
line, whose text alternative lists the same figures), its RAG as a word and its direction
of travel in words.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from tracker.domain.measures import (
    MeasureRow,
    format_number,
    period_label,
    shown_value,
    travel_text,
)
from tracker.domain.text import one_line, printable

__all__ = [
    "LAST_READINGS",
    "RED_HEADING",
    "SCORECARD_HEADING",
    "red_measures_html",
    "red_measures_markdown",
    "scorecard_html",
    "scorecard_markdown",
    "sparkline_svg",
]

LAST_READINGS = 6
SCORECARD_HEADING = "Measures of impact"
RED_HEADING = "Measures at RED"
_RAG_COLOURS = {
    "RED": ("#c62828", "#ffffff"),
    "AMBER": ("#f2a900", "#1b1b1b"),
    "GREEN": ("#2e7d32", "#ffffff"),
}


def _md(value: object) -> str:
    from tracker.reports.paper import md

    return md(value)


def _h(value: object) -> str:
    return escape(printable(str(value) if value is not None else ""), quote=True)


def _target(m: MeasureRow) -> str:
    word = "at least" if m.direction == "up" else "at most"
    return f"{word} {shown_value(m.target, m.unit)}"


def _latest(m: MeasureRow) -> str:
    s = m.score
    if s.period is None:
        return "no reading yet"
    return f"{shown_value(s.value, m.unit, m.latest_count, m.latest_of)} ({period_label(s.period)})"


def _last_six_text(m: MeasureRow) -> str:
    points = m.recent[-LAST_READINGS:]
    return ", ".join(f"{period_label(p.period)} {shown_value(p.value, m.unit)}" for p in points)


def _last_six_short(m: MeasureRow) -> str:
    """`82.8, 81.2, 83.6 (Aug to Oct 2026)`: the figures, then the periods they cover."""
    points = m.recent[-LAST_READINGS:]
    if not points:
        return ""
    figures = ", ".join(format_number(p.value) for p in points)
    first, last = period_label(points[0].period), period_label(points[-1].period)
    return f"{figures} ({first} to {last})" if len(points) > 1 else f"{figures} ({last})"


def _rag(m: MeasureRow) -> str:
    return m.score.rag.value if m.score.rag else "no RAG"


def _travel(word: str) -> str:
    return travel_text(word) or "–"


# --- Markdown ---------------------------------------------------------------------------


def scorecard_markdown(measures: Sequence[MeasureRow]) -> str:
    """The plan's scorecard as a Markdown section (empty text when it has no measures)."""
    if not measures:
        return ""
    head = (
        "| Ref | Measure | Target | Last six readings | Latest | RAG | vs previous "
        "| vs last year |\n|---|---|---|---|---|---|---|---|\n"
    )
    rows = "".join(
        "| "
        + " | ".join(
            (
                _md(m.ref),
                _md(m.name),
                _md(_target(m)),
                _md(_last_six_short(m)) or "–",
                _md(_latest(m)),
                _rag(m),
                _travel(m.score.vs_previous),
                _travel(m.score.vs_last_year),
            )
        )
        + " |\n"
        for m in measures
    )
    return f"\n### {SCORECARD_HEADING}\n\n{head}{rows}"


def red_measures_markdown(measures: Sequence[MeasureRow]) -> str:
    """The plan's RED measures with their latest commentary, for the exceptions."""
    red = [m for m in measures if m.score.rag is not None and m.score.rag.value == "RED"]
    if not measures:
        return ""
    out = f"\n#### {RED_HEADING} ({len(red)})\n\n"
    if not red:
        return out + "None.\n"
    out += "| Ref | Measure | Latest | Target | Commentary |\n|---|---|---|---|---|\n"
    out += "".join(
        f"| {_md(m.ref)} | {_md(m.name)} | {_md(_latest(m))} | {_md(_target(m))} "
        f"| {_md(one_line(m.latest_note)) or '–'} |\n"
        for m in red
    )
    return out


# --- HTML -------------------------------------------------------------------------------


def sparkline_svg(m: MeasureRow, *, width: int = 150, height: int = 40) -> str:
    """The last six readings as a small line chart with the target as a dashed line.

    The chart is an image whose text alternative gives every figure it draws, so a
    screen reader (or a paper printed in black and white) loses nothing.
    """
    points = m.recent[-LAST_READINGS:]
    if not points:
        return '<span class="none">no readings yet</span>'
    values = [p.value for p in points]
    low = min(*values, m.target)
    high = max(*values, m.target)
    span = (high - low) or 1.0
    pad = 4

    def y(value: float) -> float:
        return pad + (height - 2 * pad) * (high - value) / span

    step = (width - 2 * pad) / max(len(points) - 1, 1)
    xy = [(pad + step * i, y(v)) for i, v in enumerate(values)]
    alt = (
        f"{m.name}: {_last_six_text(m)}; target {shown_value(m.target, m.unit)}"
        if m.name
        else _last_six_text(m)
    )
    line = " ".join(f"{x:.1f},{yy:.1f}" for x, yy in xy)
    target_y = y(m.target)
    dots = "".join(f'<circle cx="{x:.1f}" cy="{yy:.1f}" r="2" fill="#1d3557"/>' for x, yy in xy)
    return (
        f'<svg class="spark" width="{width}" height="{height}" role="img" '
        f'aria-label="{_h(alt)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{_h(alt)}</title>"
        f'<line x1="{pad}" x2="{width - pad}" y1="{target_y:.1f}" y2="{target_y:.1f}" '
        'stroke="#5b6470" stroke-dasharray="3 2"/>'
        f'<polyline points="{line}" fill="none" stroke="#1d3557" stroke-width="1.5"/>'
        f"{dots}</svg>"
    )


def _chip(m: MeasureRow) -> str:
    word = m.score.rag.value if m.score.rag else None
    if word is None:
        return '<span class="rag rag-none">NONE</span>'
    bg, fg = _RAG_COLOURS[word]
    return f'<span class="rag" style="background:{bg};color:{fg}">{word}</span>'


def _table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A table with a caption, column headers scoped to columns and the first cell of
    each row a header scoped to its row."""
    head = "".join(f'<th scope="col">{h}</th>' for h in headers)
    body = "".join(
        f'<tr><th scope="row">{cells[0]}</th>'
        + "".join(f"<td>{c}</td>" for c in cells[1:])
        + "</tr>"
        for cells in rows
    )
    return (
        f"<table><caption>{caption}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def scorecard_html(measures: Sequence[MeasureRow], *, plan_title: str = "") -> str:
    """The plan's scorecard as an HTML section (empty text when it has no measures)."""
    if not measures:
        return ""
    caption = f"Measures of impact{': ' + _h(plan_title) if plan_title else ''}"
    rows = [
        (
            f'<span class="nowrap">{_h(m.ref)}</span>',
            _h(m.name),
            _h(_target(m)),
            sparkline_svg(m),
            _h(_latest(m)),
            _chip(m),
            _h(_travel(m.score.vs_previous)),
            _h(_travel(m.score.vs_last_year)),
        )
        for m in measures
    ]
    return f"<h3>{SCORECARD_HEADING}</h3>" + _table(
        caption,
        (
            "Ref",
            "Measure",
            "Target",
            "Last six readings (dashed line: target)",
            "Latest",
            "RAG",
            "vs previous",
            "vs last year",
        ),
        rows,
    )


def red_measures_html(measures: Sequence[MeasureRow]) -> str:
    """The plan's RED measures with their latest commentary, for the exceptions."""
    if not measures:
        return ""
    red = [m for m in measures if m.score.rag is not None and m.score.rag.value == "RED"]
    out = f"<h4>{RED_HEADING} ({len(red)})</h4>"
    if not red:
        return out + '<p class="none">None.</p>'
    return out + _table(
        "Measures at RED and the commentary on their latest reading",
        ("Ref", "Measure", "Latest", "Target", "Commentary"),
        [
            (
                f'<span class="nowrap">{_h(m.ref)}</span>',
                _h(m.name),
                _h(_latest(m)),
                _h(_target(m)),
                _h(m.latest_note) or "–",
            )
            for m in red
        ],
    )
