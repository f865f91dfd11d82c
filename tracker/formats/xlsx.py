"""The status snapshot as an Excel workbook (`export --output FILE.xlsx`).

Sheet "Actions" holds the CSV snapshot's columns and rows: dates as date cells shown
dd/mm/yyyy, progress and days as numbers, overdue and due_soon as yes/no, the header row
frozen with a filter on it, widths fitted to the text, each RAG cell filled in its colour
with the word kept, and every cell of an overdue row shaded (its `overdue` cell says
`yes`, so the colour never carries the meaning alone). Sheet "Recommendations" rolls the
same rows up per recommendation.

When the caller passes the measures of impact (the command does: those of the plan and
recommendation chosen, as at `--as-of` when given), two more sheets follow. "Measures" is
the scorecard, one row per active measure in natural order with product.md's scorecard
columns: target and value as number cells, period as text (`2026-10`, `2026-Q3`), the
RAG cell filled in its colour with the word kept, direction of travel as the words
`improved`, `worse` or `same`. "Readings" is long-form for pivot tables and charts: one
row per reading, each measure's latest (up to twelve) oldest first, with plan, measure,
name, period, value, count, of and note. With no measures, each sheet keeps its header
and says so in one row, so the workbook has the same sheets whatever the store holds.

No cell is ever a formula: every piece of text is written as a string cell, whatever it
begins with, so `=cmd|...` or `@SUM(...)` is shown, never run. XlsxWriter in its
constant-memory mode streams the rows to disk, so a national store of 100,000 actions is
written in a bounded amount of memory (README, "Excel": why XlsxWriter over openpyxl).
That mode needs each sheet's rows in order, not the sheets one after another: the
measures are read once the actions are written, and each measure's scorecard row and
its readings go out together, a row on each sheet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any
from xml.sax.saxutils import escape as xml_escape

from tracker.domain.measures import SCORECARD_KEYS, MeasureRow
from tracker.domain.records import ActionRow
from tracker.domain.rules import OPEN_STATUSES, Rag, RuleSettings, rag, roll_up
from tracker.formats.snapshot import COLUMNS, SLIPPAGE_COLUMNS

__all__ = [
    "MEASURE_COLUMNS",
    "NO_MEASURES",
    "NO_READINGS",
    "RAG_FILLS",
    "READING_COLUMNS",
    "ROLLUP_COLUMNS",
    "write_workbook",
]

# Fill and text colour of each RAG word; contrast of text on fill is at least 4.5:1.
RAG_FILLS: dict[str, tuple[str, str]] = {
    "RED": ("#C62828", "#FFFFFF"),
    "AMBER": ("#F2A900", "#1A1A1A"),
    "GREEN": ("#2E7D32", "#FFFFFF"),
    "BLUE": ("#1F5FA8", "#FFFFFF"),
}
OVERDUE_FILL = "#FCE4E4"  # a light rose behind every cell of an overdue row
HEADER_FILL = "#1D3557"

ROLLUP_COLUMNS: tuple[str, ...] = (
    "plan",
    "authority",
    "recommendation",
    "recommendation_title",
    "rag",
    "progress",
    "actions",
    "open",
    "overdue",
    "blocked",
    "complete",
    "cancelled",
)

MEASURE_COLUMNS: tuple[str, ...] = SCORECARD_KEYS
READING_COLUMNS: tuple[str, ...] = (
    "plan",
    "measure",
    "name",
    "period",
    "value",
    "count",
    "of",
    "note",
)
NO_MEASURES = "no measures of impact in this export"
NO_READINGS = "no readings of the measures in this export"

# Columns whose cells are dates, date-times, numbers; the rest are text.
_DATE_COLUMNS = frozenset({0, 9, 10, 11})  # as_of, start, deadline, original_deadline
_STAMP_COLUMN = 21  # last_updated (UTC)
_EXCEL_EPOCH = date(1899, 12, 30).toordinal()
_MAX_WIDTH = 60  # characters; longer text wraps in Excel's own way when the cell is opened
_MIN_WIDTH = 6


def _serial(day: date) -> int:
    """A date as Excel's day number (days since 30 December 1899)."""
    return day.toordinal() - _EXCEL_EPOCH


def _stamp_serial(at: datetime) -> float:
    return at.toordinal() - _EXCEL_EPOCH + (at.hour * 3600 + at.minute * 60 + at.second) / 86400.0


def _inert(text: str) -> str:
    """Text exactly as stored, safe from XlsxWriter's one raw path.

    XlsxWriter writes a string that begins `<r>` and ends `</r>` as raw rich-text XML;
    such a string is handed over as one escaped rich-text run instead, which reads back
    as the same text.
    """
    if text.startswith("<r>") and text.endswith("</r>"):
        return f'<r><t xml:space="preserve">{xml_escape(text)}</t></r>'
    return text


@dataclass(slots=True)
class _Rec:
    """One recommendation's running totals for the roll-up sheet."""

    plan: str
    authority: str
    ref: str
    title: str
    ratings: list[Rag | None] = field(default_factory=list)
    progress_sum: int = 0
    counted: int = 0
    open: int = 0
    overdue: int = 0
    blocked: int = 0
    complete: int = 0
    cancelled: int = 0


class _Formats:
    """The workbook's cell formats: plain and on an overdue row, for each kind of cell."""

    def __init__(self, book: Any) -> None:
        def fmt(**props: Any) -> Any:
            return book.add_format({"valign": "top", **props})

        self.header = fmt(bold=True, font_color="#FFFFFF", bg_color=HEADER_FILL)
        self.text = [fmt(), fmt(bg_color=OVERDUE_FILL)]
        self.date = [
            fmt(num_format="dd/mm/yyyy"),
            fmt(num_format="dd/mm/yyyy", bg_color=OVERDUE_FILL),
        ]
        self.stamp = [
            fmt(num_format="dd/mm/yyyy hh:mm"),
            fmt(num_format="dd/mm/yyyy hh:mm", bg_color=OVERDUE_FILL),
        ]
        self.number = [fmt(num_format="0"), fmt(num_format="0", bg_color=OVERDUE_FILL)]
        self.figure = fmt(num_format="General")  # a measure's figures keep their decimals
        self.note = fmt(italic=True)
        self.flag = fmt(bold=True, font_color="#8B0000", bg_color=OVERDUE_FILL)
        self.rag = {
            word: fmt(bold=True, align="center", bg_color=bg, font_color=fg)
            for word, (bg, fg) in RAG_FILLS.items()
        }


def write_workbook(
    rows: Iterable[ActionRow],
    settings: RuleSettings,
    out: IO[bytes] | str,
    *,
    slippage: bool = False,
    tmpdir: str | None = None,
    measures: Iterable[MeasureRow] | None = None,
) -> int:
    """Write the snapshot workbook to a binary stream or a path; returns the action count.

    With `measures` (the scorecard's rows, each with its latest readings), the sheets
    "Measures" and "Readings" follow; they are iterated once, after the actions, so a
    generator that reads them then keeps the two reads' memory apart.
    """
    import xlsxwriter

    book = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,
            "tmpdir": tmpdir,
            # Belt and braces: only write_string/write_number are used, never write().
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    try:
        f = _Formats(book)
        sheet = book.add_worksheet("Actions")
        rollup_sheet = book.add_worksheet("Recommendations")
        measure_sheets = (
            None
            if measures is None
            else (book.add_worksheet("Measures"), book.add_worksheet("Readings"))
        )
        names = COLUMNS + SLIPPAGE_COLUMNS if slippage else COLUMNS
        count, widths, recs = _write_actions(sheet, f, rows, settings, names, slippage)
        last_col = len(names) - 1
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(count, 1), last_col)
        for col, width in enumerate(widths):
            sheet.set_column(col, col, width)
        _write_rollup(rollup_sheet, f, recs)
        if measure_sheets is not None and measures is not None:
            _write_measures(*measure_sheets, f, measures)
    finally:
        book.close()
    return count


def _write_actions(
    sheet: Any,
    f: _Formats,
    rows: Iterable[ActionRow],
    settings: RuleSettings,
    names: tuple[str, ...],
    slippage: bool,
) -> tuple[int, list[int], dict[tuple[str, str], _Rec]]:
    """The Actions sheet, row by row; returns the count, column widths and roll-ups."""
    write_string = sheet.write_string
    write_number = sheet.write_number
    write_blank = sheet.write_blank
    for col, name in enumerate(names):
        write_string(0, col, name, f.header)
    widths = [max(len(name) + 3, _MIN_WIDTH) for name in names]  # + room for the filter
    widths[0] = widths[9] = widths[10] = widths[11] = max(widths[0], 11)
    widths[_STAMP_COLUMN] = max(widths[_STAMP_COLUMN], 17)
    today = settings.today
    as_of = _serial(today)
    soon = settings.due_soon_limit
    recs: dict[tuple[str, str], _Rec] = {}
    stamps: dict[datetime, float] = {}
    text_f, date_f, stamp_f, number_f, rag_f = f.text, f.date, f.stamp, f.number, f.rag
    flag_f = f.flag
    r = 0
    for row in rows:
        r += 1
        (_, plan_key, authority, rec_ref, rec_title, ref, description, owner, partner, start,
         deadline, original, status, progress, measure, evidence, notes, revisions, _,
         updated_at, updated_by) = row  # fmt: skip
        is_open = status in OPEN_STATUSES
        late = (today - deadline).days if is_open and deadline < today else 0
        rating = rag(status, deadline, settings)
        o = 1 if late else 0
        tf = text_f[o]
        stamp = stamps.get(updated_at)
        if stamp is None:
            stamp = stamps[updated_at] = _stamp_serial(updated_at)
        texts = (
            (1, plan_key),
            (2, authority),
            (3, rec_ref),
            (4, rec_title),
            (5, ref),
            (6, description),
            (7, owner),
            (8, partner),
            (12, status),
            (18, measure),
            (19, evidence),
            (20, notes),
            (22, updated_by),
        )
        for col, value in texts:
            if value:
                write_string(r, col, _inert(value), tf)
                if widths[col] < _MAX_WIDTH:
                    n = len(value)
                    if n > widths[col]:
                        widths[col] = min(n + 1, _MAX_WIDTH)
            elif o:
                write_blank(r, col, None, tf)
        df = date_f[o]
        write_number(r, 0, as_of, df)
        if start is not None:
            write_number(r, 9, _serial(start), df)
        elif o:
            write_blank(r, 9, None, df)
        write_number(r, 10, _serial(deadline), df)
        if original is not None:
            write_number(r, 11, _serial(original), df)
        elif o:
            write_blank(r, 11, None, df)
        nf = number_f[o]
        write_number(r, 13, progress, nf)
        if rating is not None:
            write_string(r, 14, rating.value, rag_f[rating.value])
        elif o:
            write_blank(r, 14, None, tf)
        if late:
            write_string(r, 15, "yes", flag_f)
            write_number(r, 16, late, flag_f)
        else:
            write_string(r, 15, "no", tf)
            write_number(r, 16, 0, nf)
        write_string(r, 17, "yes" if is_open and today <= deadline <= soon else "no", tf)
        write_number(r, _STAMP_COLUMN, stamp, stamp_f[o])
        if slippage:
            write_number(r, 23, row.slippage_days, nf)
            write_number(r, 24, revisions, nf)

        key = (plan_key, rec_ref)
        rec = recs.get(key)
        if rec is None:
            rec = recs[key] = _Rec(plan_key, authority, rec_ref, rec_title)
        rec.ratings.append(rating)
        if status == "cancelled":
            rec.cancelled += 1
        else:
            rec.progress_sum += progress
            rec.counted += 1
            if status == "complete":
                rec.complete += 1
            else:
                rec.open += 1
                if status == "blocked":
                    rec.blocked += 1
                if late:
                    rec.overdue += 1
    return r, widths, recs


def _write_rollup(sheet: Any, f: _Formats, recs: dict[tuple[str, str], _Rec]) -> None:
    """One row per recommendation, in the order the actions came (natural order)."""
    widths = [max(len(name) + 3, _MIN_WIDTH) for name in ROLLUP_COLUMNS]
    for col, name in enumerate(ROLLUP_COLUMNS):
        sheet.write_string(0, col, name, f.header)
    tf, nf = f.text[0], f.number[0]
    r = 0
    for rec in recs.values():
        r += 1
        for col, value in enumerate((rec.plan, rec.authority, rec.ref, rec.title)):
            sheet.write_string(r, col, _inert(value), tf)
            widths[col] = min(max(widths[col], len(value) + 1), _MAX_WIDTH)
        rating = roll_up(rec.ratings)
        if rating is not None:
            sheet.write_string(r, 4, rating.value, f.rag[rating.value])
        if rec.counted:
            sheet.write_number(r, 5, rec.progress_sum / rec.counted, nf)
        numbers = (
            len(rec.ratings),
            rec.open,
            rec.overdue,
            rec.blocked,
            rec.complete,
            rec.cancelled,
        )
        for col, number in enumerate(numbers, start=6):
            sheet.write_number(r, col, number, nf)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(r, 1), len(ROLLUP_COLUMNS) - 1)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)


def _write_measures(
    sheet: Any, readings_sheet: Any, f: _Formats, measures: Iterable[MeasureRow]
) -> None:
    """The scorecard, a row per measure, and its readings long-form, a row per reading;
    each measure's two parts written together (constant-memory mode: rows in order)."""
    widths = [max(len(name) + 3, _MIN_WIDTH) for name in MEASURE_COLUMNS]
    reading_widths = [max(len(name) + 3, _MIN_WIDTH) for name in READING_COLUMNS]
    for col, name in enumerate(MEASURE_COLUMNS):
        sheet.write_string(0, col, name, f.header)
    for col, name in enumerate(READING_COLUMNS):
        readings_sheet.write_string(0, col, name, f.header)
    tf, nf, rag_f = f.text[0], f.figure, f.rag
    write_string, write_number = sheet.write_string, sheet.write_number
    put_string, put_number = readings_sheet.write_string, readings_sheet.write_number

    def fit(w: list[int], col: int, value: str) -> None:
        if w[col] < _MAX_WIDTH and len(value) >= w[col]:
            w[col] = min(len(value) + 1, _MAX_WIDTH)

    r = n = 0
    for m in measures:
        r += 1
        s = m.score
        for col, value in enumerate((m.plan, m.recommendation, m.ref, m.name, m.unit, m.direction)):
            if value:
                write_string(r, col, _inert(value), tf)
                fit(widths, col, value)
        write_number(r, 6, m.target, nf)
        if s.period is not None and s.value is not None:
            write_string(r, 7, s.period, tf)
            write_number(r, 8, s.value, nf)
        if s.rag is not None:
            write_string(r, 9, s.rag.value, rag_f[s.rag.value])
        if s.vs_previous:
            write_string(r, 10, s.vs_previous, tf)
        if s.vs_last_year:
            write_string(r, 11, s.vs_last_year, tf)
        if not m.recent:
            continue
        plan, ref, name = _inert(m.plan), _inert(m.ref), _inert(m.name)
        for col, value in ((0, m.plan), (1, m.ref), (2, m.name)):
            fit(reading_widths, col, value)
        for point in m.recent:
            n += 1
            put_string(n, 0, plan, tf)
            put_string(n, 1, ref, tf)
            put_string(n, 2, name, tf)
            put_string(n, 3, point.period, tf)
            put_number(n, 4, point.value, nf)
            if point.count is not None and point.of is not None:
                put_number(n, 5, point.count, nf)
                put_number(n, 6, point.of, nf)
            if point.note:
                put_string(n, 7, _inert(point.note), tf)
                fit(reading_widths, 7, point.note)
    for target, w, rows, names, empty in (
        (sheet, widths, r, MEASURE_COLUMNS, NO_MEASURES),
        (readings_sheet, reading_widths, n, READING_COLUMNS, NO_READINGS),
    ):
        if rows:
            target.autofilter(0, 0, rows, len(names) - 1)
        else:
            target.write_string(1, 0, empty, f.note)
        target.freeze_panes(1, 0)
        for col, width in enumerate(w):
            target.set_column(col, col, width)
