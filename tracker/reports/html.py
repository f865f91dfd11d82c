"""The board paper as HTML: one self-contained, printable file.

Inline CSS and SVG, no scripts, no links out, every piece of plan text escaped. The
content comes from `tracker.reports.paper.build_board_paper`; this module only draws it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from tracker.domain.rules import Rag
from tracker.reports.paper import (
    STALE_HEADING,
    BoardPaper,
    PlanSection,
    as_sentence,
    change_tables,
    import_lines,
    inspection_line,
    key_points,
    long_date,
    prepared_line,
    short_date,
    slipped_table,
    stale_groups,
    stale_intro,
    summary_sentence,
)
from tracker.reports.scorecard import red_measures_html, scorecard_html
from tracker.storage.timeline import ChangeLog, TrendPoint

__all__ = ["board_paper_html", "progress_bar", "rag_chip"]


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
.page { max-width: 1050px; margin: 24px auto; background: #fff; padding: 36px 48px;
  box-shadow: 0 1px 4px rgba(0,0,0,.15); }
.skip { position: absolute; left: -10000px; top: 8px; background: #fff; color: var(--accent);
  padding: 6px 10px; border: 2px solid var(--accent); font-weight: 600; z-index: 10; }
.skip:focus { left: 8px; }
a { color: var(--accent); }
a:focus-visible { outline: 3px solid #f2a900; outline-offset: 2px; }
caption { caption-side: top; text-align: left; color: var(--muted); font-size: 8.5pt;
  padding: 0 0 3px; }
th[scope="row"] { background: none; border-bottom: 1px solid var(--rule); font-weight: 600;
  padding: 4px 6px; vertical-align: top; }
th[scope="row"] .meta { font-weight: 400; }
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
  .page { box-shadow: none; margin: 0; padding: 0; max-width: none; }
  .skip { display: none; }
  tr, .tile { break-inside: avoid; }
  .tile { flex-basis: 70px; padding: 6px 8px; }
  .tile .n { font-size: 14pt; }
  h2, h3, h4 { break-after: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def _h(value: object) -> str:
    """Plan text as HTML text: escaped, control characters removed."""
    from tracker.domain.text import printable

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
        'focusable="false" '
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
        'aria-label="Chart: open, overdue and complete actions at the end of each month; '
        'the figures are in the table below it" focusable="false" '
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
        "<table><caption>The chart's figures: actions at each month end</caption>"
        '<thead><tr><th scope="col">Month end</th>'
        + "".join(f'<th scope="col">{escape(t.label)}</th>' for t in points)
        + "</tr></thead><tbody>"
        + "".join(
            f'<tr><th scope="row">{name.capitalize()}</th>'
            + "".join(f'<td class="num">{getattr(t, name)}</td>' for t in points)
            + "</tr>"
            for name, _ in _TREND_SERIES
        )
        + "</tbody></table>"
    )
    return "".join(parts) + f'<p class="legend">{legend}</p>' + table


def _html_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    caption: str,
    numeric: Sequence[int] = (),
    row_headers: bool = True,
) -> str:
    """A data table a screen reader can navigate: a caption saying what it holds, column
    headers with `scope="col"` and, with `row_headers`, each row's first cell as its header
    (`scope="row"`). `caption` is HTML (escape plan text in it); the rest are cells' HTML."""
    head = "".join(
        f'<th scope="col" class="num">{h}</th>' if i in numeric else f'<th scope="col">{h}</th>'
        for i, h in enumerate(headers)
    )

    def cell(i: int, c: str) -> str:
        if i == 0 and row_headers:
            return f'<th scope="row">{c}</th>'
        return f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"

    body = "".join(
        "<tr>" + "".join(cell(i, c) for i, c in enumerate(cells)) + "</tr>" for cells in rows
    )
    return (
        f"<table><caption>{caption}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


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


_NOWRAP = frozenset({"Action", "When (UTC)", "Deadline", "From", "To", "Original", "Now"})


def _html_changes(log: ChangeLog) -> str:
    parts = [f"<p>{_h(summary_sentence(log))}.</p>"]
    parts += [f"<p>{_h(line)}.</p>" for line in import_lines(log, with_plan=False)]
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
                caption=f"{title}: {len(rows)} {'entry' if len(rows) == 1 else 'entries'}",
            )
        )
    return "".join(parts)


def _html_plan(p: PlanSection, paper: BoardPaper) -> str:
    today = paper.settings.today
    parts = [f'<section class="plan" id="{_h(p.key)}">']
    parts.append(f"<h2>{_h(p.authority)}: {_h(p.title)}</h2>")
    parts.append(f'<p class="meta">Plan {_h(p.key)}.{as_sentence(_h(inspection_line(p)))}</p>')
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
        parts.append(
            _html_table(
                ("Area", "Grade"),
                ((_h(a), _h(g)) for a, g in p.judgements),
                caption="The inspection's judgements, by area",
            )
        )
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
            caption="Each recommendation's RAG, average progress, actions and overdue actions",
            numeric=(4, 5),
        )
    )
    parts.append(scorecard_html(p.measures, plan_title=p.title))
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
                    f'<span class="nowrap">{short_date(r.deadline)}</span>',
                    f"OVERDUE {r.days_overdue(today)}d",
                    rag_chip(r.rag(paper.settings)),
                )
                for r in p.overdue
            ),
            caption="Overdue actions, longest overdue first",
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
                    f'<span class="nowrap">{short_date(r.deadline)}</span>',
                    _h(r.notes),
                )
                for r in p.blocked
            ),
            caption="Blocked actions, with their notes",
        )
        if p.blocked
        else _none()
    )
    parts.append(red_measures_html(p.measures))
    parts.append(f"<h4>Slipped deadlines ({len(p.slipped)})</h4>")
    headers, rows = slipped_table(p)
    parts.append(
        _html_table(
            headers,
            (
                [
                    f'<span class="nowrap">{_h(c)}</span>' if h in _NOWRAP else _h(c)
                    for h, c in zip(headers, row, strict=True)
                ]
                for row in rows
            ),
            caption="Actions whose deadline has moved: original and current deadline",
            numeric=(5, 6),
        )
        if rows
        else _none()
    )
    parts.append(f"<h4>{STALE_HEADING} ({len(p.stale)})</h4>")
    if p.stale:
        parts.append(f"<p>{_h(stale_intro(paper.settings))}</p>")
        parts.append(
            _html_table(
                ("Owner", "Action", "Description", "Deadline", "Last update", "Days"),
                (
                    (
                        f"<strong>{_h(owner)}</strong>" if i == 0 else "",
                        f'<span class="nowrap">{_h(r.ref)}</span>',
                        _h(r.description),
                        f'<span class="nowrap">{short_date(r.deadline)}</span>',
                        f'<span class="nowrap">{short_date(r.updated_at.date())}</span>',
                        f"no update {r.days_since_update(today)}d",
                    )
                    for owner, rows in stale_groups(p.stale)
                    for i, r in enumerate(rows)
                ),
                caption="Open actions with no update since the last board, by owner",
                numeric=(5,),
                row_headers=False,  # the owner is written once per group, not on each row
            )
        )
    else:
        parts.append(_none())
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
        caption="Each plan's RAG, average progress and counts of actions",
        numeric=(3, 4, 5, 6, 7),
    )
    body = "".join(_html_plan(p, paper) for p in paper.plans)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_h(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        '<a class="skip" href="#content">Skip to the summary</a>\n<div class="page">\n'
        '<header class="paper"><p class="kicker">Children\'s services improvement board</p>'
        f"<h1>{_h(title)}</h1>"
        f'<p class="meta">As at <strong>{long_date(paper.today)}</strong> &middot; changes since '
        f"{long_date(paper.since)} &middot; {_h(prepared_line(paper))}</p></header>\n"
        '<main id="content" tabindex="-1">\n'
        "<h2>Summary</h2>"
        f"{summary}"
        f'<p class="legend">RAG: {rag_chip("RED")} blocked, or more than {s.tolerance_days} days '
        f"overdue &nbsp; {rag_chip('AMBER')} overdue, or due within {s.due_soon_days} days and "
        f"not started &nbsp; {rag_chip('GREEN')} on track &nbsp; {rag_chip('BLUE')} complete</p>\n"
        f"{body}\n</main>\n"
        f"<footer>Produced by tracker from the improvement plan store. RAG and overdue are "
        f"judged as at {long_date(paper.today)}; an action is due at the end of its deadline "
        "day.</footer>\n"
        "</div>\n</body>\n</html>\n"
    )
