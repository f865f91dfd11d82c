"""The floor for `tracker export --output FILE.xlsx`: a bare script writing the same cells.

`xlsx_floor.py STORE OUT.xlsx TODAY [--lib xlsxwriter|openpyxl]` reads the actions with
stdlib sqlite3, applies the rules, and writes the Actions sheet's cells (the same values,
types and formats: dates as day numbers shown dd/mm/yyyy, numbers, RAG fills, overdue
rows shaded, header frozen with a filter) with the library in its streaming mode:
XlsxWriter's constant_memory, or openpyxl's write_only. Deliberately free of tracker
imports, and of the roll-up sheet and width fitting: the cost of the cells themselves.

With XlsxWriter, a store with measures of impact also gets the Measures and Readings
sheets' cells (each active measure's scorecard row; its latest twelve readings, one row
each), the sums done in floats: the floor for the export's measures sheets.
"""

from __future__ import annotations

import argparse
import sqlite3
from datetime import date, datetime, timedelta
from typing import Any

COLUMNS = [
    "as_of",
    "plan",
    "authority",
    "recommendation",
    "recommendation_title",
    "action",
    "description",
    "owner",
    "partner",
    "start",
    "deadline",
    "original_deadline",
    "status",
    "progress",
    "rag",
    "overdue",
    "days_overdue",
    "due_soon",
    "measure",
    "evidence",
    "notes",
    "last_updated",
    "last_updated_by",
]
OPEN = ("not_started", "in_progress", "blocked")
SELECT = (
    "SELECT p.key, p.authority, r.ref, r.title, a.ref, a.description, a.owner, a.partner,"
    " a.start, a.deadline, a.original_deadline, a.status, a.progress, a.measure, a.evidence,"
    " a.notes, a.updated_at, a.updated_by"
    ' FROM action a JOIN "plan" p ON p.id = a.plan_id JOIN recommendation r'
    " ON r.id = a.recommendation_id ORDER BY a.order_key"
)
MEASURES = (
    "SELECT m.id, p.key, r.ref, m.ref, m.name, m.unit, m.direction, m.target, m.tolerance,"
    " m.baseline, m.frequency"
    ' FROM measure m JOIN "plan" p ON p.id = m.plan_id'
    " JOIN recommendation r ON r.id = m.recommendation_id"
    " WHERE m.status = 'active' ORDER BY m.order_key"
)
READINGS = (
    "SELECT d.measure_id, d.period, d.period_index, d.value, d.numerator, d.denominator, d.note"
    " FROM reading d JOIN (SELECT measure_id AS mid, max(period_index) AS top FROM reading"
    " GROUP BY measure_id) t ON t.mid = d.measure_id WHERE d.period_index >= t.top - 12"
    " ORDER BY d.measure_id, d.period_index"
)
FILLS = {"RED": "C62828", "AMBER": "F2A900", "GREEN": "2E7D32", "BLUE": "1F5FA8"}
EPOCH = date(1899, 12, 30).toordinal()


def rows(path: str, today: date) -> Any:
    """(cells, rag, late) per action: cells as (column, kind, value), kind t/d/s/n."""
    red_before = today - timedelta(days=30)
    soon = today + timedelta(days=14)
    as_of = today.toordinal() - EPOCH
    conn = sqlite3.connect(path)
    for (plan, authority, rec, rec_title, ref, description, owner, partner, start, deadline_t,
         original, status, progress, measure, evidence, notes, updated_at,
         updated_by) in conn.execute(SELECT):  # fmt: skip
        deadline = date.fromisoformat(deadline_t)
        is_open = status in OPEN
        late = (today - deadline).days if is_open and deadline < today else 0
        if status == "complete":
            rag = "BLUE"
        elif status == "cancelled":
            rag = ""
        elif status == "blocked" or deadline < red_before:
            rag = "RED"
        elif late or (status == "not_started" and deadline <= soon):
            rag = "AMBER"
        else:
            rag = "GREEN"
        stamp = datetime.fromisoformat(updated_at[:19])
        serial = (
            stamp.toordinal()
            - EPOCH
            + (stamp.hour * 3600 + stamp.minute * 60 + stamp.second) / 86400
        )
        yield (
            (
                ("d", as_of),
                ("t", plan),
                ("t", authority),
                ("t", rec),
                ("t", rec_title),
                ("t", ref),
                ("t", description),
                ("t", owner),
                ("t", partner),
                ("d", date.fromisoformat(start).toordinal() - EPOCH if start else None),
                ("d", deadline.toordinal() - EPOCH),
                ("d", date.fromisoformat(original).toordinal() - EPOCH if original else None),
                ("t", status),
                ("n", progress),
                ("r", rag),
                ("t", "yes" if late else "no"),
                ("n", late),
                ("t", "yes" if is_open and today <= deadline <= soon else "no"),
                ("t", measure),
                ("t", evidence),
                ("t", notes),
                ("s", serial),
                ("t", updated_by),
            ),
            rag,
            late,
        )


def with_xlsxwriter(store: str, out: str, today: date) -> None:
    """The leanest honest loop: one call per cell, straight from the SQL row."""
    import xlsxwriter

    book = xlsxwriter.Workbook(out, {"constant_memory": True})
    ws = book.add_worksheet("Actions")
    rose = {"bg_color": "#FCE4E4"}
    text_f = [book.add_format(), book.add_format(rose)]
    date_f = [book.add_format({"num_format": "dd/mm/yyyy"}),
              book.add_format({"num_format": "dd/mm/yyyy", **rose})]  # fmt: skip
    stamp_f = [book.add_format({"num_format": "dd/mm/yyyy hh:mm"}),
               book.add_format({"num_format": "dd/mm/yyyy hh:mm", **rose})]  # fmt: skip
    num_f = [book.add_format({"num_format": "0"}), book.add_format({"num_format": "0", **rose})]
    rag_f = {w: book.add_format({"bg_color": "#" + c, "bold": True}) for w, c in FILLS.items()}
    header = book.add_format({"bold": True})
    for c, name in enumerate(COLUMNS):
        ws.write_string(0, c, name, header)
    s, n, b = ws.write_string, ws.write_number, ws.write_blank
    red_before = today - timedelta(days=30)
    soon = today + timedelta(days=14)
    as_of = today.toordinal() - EPOCH
    r = 0
    for (plan, authority, rec, rec_title, ref, description, owner, partner, start, deadline_t,
         original, status, progress, measure, evidence, notes, updated_at,
         updated_by) in sqlite3.connect(store).execute(SELECT):  # fmt: skip
        r += 1
        deadline = date.fromisoformat(deadline_t)
        is_open = status in OPEN
        late = (today - deadline).days if is_open and deadline < today else 0
        o = 1 if late else 0
        tf, df = text_f[o], date_f[o]
        for c, value in ((1, plan), (2, authority), (3, rec), (4, rec_title), (5, ref),
                         (6, description), (7, owner), (8, partner), (12, status),
                         (18, measure), (19, evidence), (20, notes), (22, updated_by)):  # fmt: skip
            if value:
                s(r, c, value, tf)
            elif o:
                b(r, c, None, tf)
        n(r, 0, as_of, df)
        if start:
            n(r, 9, date.fromisoformat(start).toordinal() - EPOCH, df)
        elif o:
            b(r, 9, None, df)
        n(r, 10, deadline.toordinal() - EPOCH, df)
        if original:
            n(r, 11, date.fromisoformat(original).toordinal() - EPOCH, df)
        elif o:
            b(r, 11, None, df)
        n(r, 13, progress, num_f[o])
        if status == "complete":
            s(r, 14, "BLUE", rag_f["BLUE"])
        elif status == "cancelled":
            if o:
                b(r, 14, None, tf)
        elif status == "blocked" or deadline < red_before:
            s(r, 14, "RED", rag_f["RED"])
        elif late or (status == "not_started" and deadline <= soon):
            s(r, 14, "AMBER", rag_f["AMBER"])
        else:
            s(r, 14, "GREEN", rag_f["GREEN"])
        s(r, 15, "yes" if late else "no", tf)
        n(r, 16, late, num_f[o])
        s(r, 17, "yes" if is_open and today <= deadline <= soon else "no", tf)
        stamp = datetime.fromisoformat(updated_at[:19])
        n(r, 21, stamp.toordinal() - EPOCH + (stamp.hour * 3600 + stamp.minute * 60
                                               + stamp.second) / 86400, stamp_f[o])  # fmt: skip
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, r, len(COLUMNS) - 1)
    conn = sqlite3.connect(store)
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'measure'").fetchone():
        measures_xlsxwriter(book, conn, text_f[0], rag_f, header)
    book.close()


def measures_xlsxwriter(book: Any, conn: Any, tf: Any, rag_f: Any, header: Any) -> None:
    """The Measures and Readings sheets' cells, a measure's row and its readings together."""
    ms, rs = book.add_worksheet("Measures"), book.add_worksheet("Readings")
    for c, name in enumerate(("plan", "recommendation", "measure", "name", "unit", "direction",
                              "target", "period", "value", "rag", "vs_previous",
                              "vs_last_year")):  # fmt: skip
        ms.write_string(0, c, name, header)
    for c, name in enumerate(("plan", "measure", "name", "period", "value", "count", "of",
                              "note")):  # fmt: skip
        rs.write_string(0, c, name, header)
    points: dict[int, list[Any]] = {}
    for point in conn.execute(READINGS):
        points.setdefault(point[0], []).append(point)
    s, n, rs_s, rs_n = ms.write_string, ms.write_number, rs.write_string, rs.write_number
    r = k = 0
    for (mid, plan, rec, ref, name, unit, direction, target, tolerance, baseline,
         frequency) in conn.execute(MEASURES):  # fmt: skip
        r += 1
        for c, value in enumerate((plan, rec, ref, name, unit, direction)):
            if value:
                s(r, c, value, tf)
        n(r, 6, target, tf)
        mine = points.get(mid, [])
        if mine:
            by_index = {p[2]: p[3] for p in mine}
            last = mine[-1]
            value, top = last[3], last[2]
            before = by_index.get(top - 1)
            year = by_index.get(top - (4 if frequency == "quarterly" else 12))
            up = direction == "up"
            s(r, 7, last[1], tf)
            n(r, 8, value, tf)
            short = target - value if up else value - target
            compare = year if year is not None else baseline
            better = compare is not None and (value > compare if up else value < compare)
            word = (
                "GREEN" if short <= abs(target) * tolerance / 100 else "AMBER" if better else "RED"
            )
            s(r, 9, word, rag_f[word])
            for c, other in ((10, before), (11, year)):
                if other is not None:
                    travel = (
                        "same" if value == other
                        else "improved" if (value > other) == up else "worse"
                    )  # fmt: skip
                    s(r, c, travel, tf)
        for _, period, _, value, count, of, note in mine[-12:]:
            k += 1
            rs_s(k, 0, plan, tf)
            rs_s(k, 1, ref, tf)
            rs_s(k, 2, name, tf)
            rs_s(k, 3, period, tf)
            rs_n(k, 4, value, tf)
            if count is not None and of is not None:
                rs_n(k, 5, count, tf)
                rs_n(k, 6, of, tf)
            if note:
                rs_s(k, 7, note, tf)
    for sheet, rows, width in ((ms, r, 12), (rs, k, 8)):
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(rows, 1), width - 1)


def with_openpyxl(store: str, out: str, today: date) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill

    book = Workbook(write_only=True)
    ws = book.create_sheet("Actions")
    ws.freeze_panes = "A2"
    rose = PatternFill("solid", fgColor="FCE4E4")
    rag_fill = {w: PatternFill("solid", fgColor=c) for w, c in FILLS.items()}
    formats = {"d": "dd/mm/yyyy", "s": "dd/mm/yyyy hh:mm", "n": "0", "t": "General"}
    bold = Font(bold=True)
    head = []
    for name in COLUMNS:
        cell = WriteOnlyCell(ws, value=name)
        cell.font = bold
        head.append(cell)
    ws.append(head)
    n = 1
    for cells, rag, late in rows(store, today):
        n += 1
        line = []
        for kind, value in cells:
            if value is None or value == "":
                cell = WriteOnlyCell(ws, value=None)
            else:
                cell = WriteOnlyCell(ws, value=value)
                if kind == "t":
                    cell.data_type = "s"  # a string, even when it begins with '='
                elif kind != "r":
                    cell.number_format = formats[kind]
            if kind == "r" and rag:
                cell.fill = rag_fill[rag]
            elif late:
                cell.fill = rose
            line.append(cell)
        ws.append(line)
    ws.auto_filter.ref = f"A1:W{n}"
    book.save(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("store")
    parser.add_argument("out")
    parser.add_argument("today")
    parser.add_argument("--lib", choices=("xlsxwriter", "openpyxl"), default="xlsxwriter")
    args = parser.parse_args()
    today = date.fromisoformat(args.today)
    (with_xlsxwriter if args.lib == "xlsxwriter" else with_openpyxl)(args.store, args.out, today)


if __name__ == "__main__":
    main()
