"""Reading the CSV an Excel RAG tracker saves, into a plan.

Councils keep improvement plans in spreadsheets: one row per action, the recommendation
in a merged cell down the left, a status or RAG word, a target date written day first.
`read_sheet` finds the header row, recognises the usual column names whatever their case
and spacing, groups actions under their recommendation, and maps status and RAG words to
statuses. Every row it cannot read is reported with its row number and why; the caller
imports nothing unless there are none.

Grouping: a blank recommendation cell continues the one above, as a merged cell does. The
same recommendation written again, on the next row or further down, is the same one: by
its number where the sheet gives one (`1. Improve ...`, a Rec ref column, or the Ref cell
of a heading row with no action on it), else by its text (whitespace and case aside). A
recommendation the sheet does not number takes the number its actions' refs name (`1.2`
-> R1) when no other claims it, else the next free `R<n>` by position. An action ref that
names another recommendation than the one the action is under keeps the action's
recommendation: `2.1` under R1 becomes R1.1.

Status words, checked in the Status column first and then the RAG column:
complete/completed/done/closed/achieved/blue -> complete; on track/green/in progress/
ongoing/started -> in_progress; not started/not yet started -> not_started; off track/
red/amber/at risk/delayed/behind -> in_progress, because tracker works out RED and AMBER
itself from the deadline, and a late action can still be worked on (the sheet's word is
kept in the action's notes); blocked/on hold/paused/stalled -> blocked; cancelled/
withdrawn/superseded/no longer required -> cancelled. With neither column filled, the
progress decides: 100% complete, more than 0 in progress, else not started.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from tracker.domain.dates import FIRST_YEAR, LAST_YEAR, DateError, in_range, parse_date
from tracker.domain.errors import PlanFileError
from tracker.domain.rules import RuleSettings, rag
from tracker.domain.text import counted
from tracker.formats.plan_toml import ActionData, PlanData, RecommendationData, read_input_file

__all__ = [
    "FIELDS",
    "UNDATED",
    "SheetResult",
    "find_header",
    "map_status",
    "read_records",
    "read_sheet",
    "read_sheet_file",
    "settle_deadlines",
]

MAX_SHEET_BYTES = 50 * 1024 * 1024
TITLE_MAX = 150

# Field -> header names it answers to, compared after `_norm` (case, spaces, punctuation).
FIELDS: dict[str, tuple[str, ...]] = {
    "rec_ref": (
        "rec ref",
        "rec no",
        "recommendation ref",
        "recommendation no",
        "recommendation number",
        "rec",
    ),
    "recommendation": (
        "recommendation",
        "recommendations",
        "ofsted recommendation",
        "area for improvement",
        "areas for improvement",
        "recommendation area for improvement",
    ),
    "ref": ("ref", "reference", "action ref", "action no", "action number", "no", "id"),
    "description": (
        "action",
        "actions",
        "action description",
        "description",
        "what we will do",
        "key actions",
        "action to be taken",
    ),
    "owner": (
        "lead officer",
        "owner",
        "lead",
        "action owner",
        "responsible officer",
        "lead officer owner",
        "responsible",
        "who",
    ),
    "deadline": (
        "target date",
        "deadline",
        "due date",
        "due",
        "completion date",
        "target completion date",
        "by when",
        "timescale",
        "target",
    ),
    "start": ("start date", "start"),
    "status": ("status", "progress status", "current status"),
    "rag": ("rag", "rag status", "rag rating", "rating"),
    "progress": ("% complete", "progress", "percent complete", "% progress", "complete %", "%"),
    "notes": (
        "update",
        "commentary",
        "progress update",
        "latest update",
        "update commentary",
        "comments",
        "notes",
        "progress commentary",
    ),
    "evidence": ("evidence", "evidence of impact", "evidence of progress"),
    "measure": ("success measure", "measure", "measures of success", "impact measure", "kpi"),
    "partner": ("partner", "partners", "partner agencies"),
}

_STATUS_WORDS: dict[str, str] = {}
for _status, _words in (
    ("complete", ("complete", "completed", "done", "closed", "achieved", "blue")),
    ("in_progress", ("on track", "green", "in progress", "ongoing", "started", "on going")),
    ("not_started", ("not started", "not yet started", "to start", "planned")),
    ("in_progress", ("off track", "red", "amber", "at risk", "delayed", "behind", "slipped")),
    ("blocked", ("blocked", "on hold", "paused", "stalled")),
    ("cancelled", ("cancelled", "canceled", "withdrawn", "superseded", "no longer required")),
):
    for _word in _words:
        _STATUS_WORDS[_word] = _status
_LATE_WORDS = frozenset({"off track", "red", "amber", "at risk", "delayed", "behind", "slipped"})
# Target dates a sheet gives as a word, not a date: with `--default-deadline` such a row takes
# that date and keeps the word in its notes; without it the import names the rows.
_UNDATED_WORDS = frozenset(
    {
        "tbc",
        "tba",
        "tbd",
        "to be confirmed",
        "to be agreed",
        "to be decided",
        "ongoing",
        "on going",
        "continuous",
        "rolling",
        "n a",
        "na",
        "none",
        "various",
    }
)
UNDATED = date.max  # the deadline of a row whose date is still to be settled

_NON_WORD = re.compile(r"[^0-9a-z%]+")
_REC_PREFIX = re.compile(
    r"^\s*(?:recommendation\s*|rec\.?\s*)?(R?\d+[a-z]?)\s*[.:)\-–]\s+(.+)$", re.IGNORECASE | re.S
)
_REC_REF = re.compile(r"^\s*R?\d+[a-z]?\s*$", re.IGNORECASE)  # a heading row's Ref: 2, R2
_ACTION_REF = re.compile(r"^(R?\d+[a-z]?)\.(\S+)$", re.IGNORECASE)  # 1.2, R1.2: of R1
_SERIAL = re.compile(r"^[34]\d{4}$")  # Excel day numbers for 1982-2173
_EXCEL_EPOCH = date(1899, 12, 30)
_MIDNIGHT = re.compile(r"^(.+?)[ t]00:00(?::00)?$")
_MONTH_YEAR = re.compile(r"^\s*([a-z]{3,9})[\s\-/]+(\d{2}|\d{4})\s*$", re.IGNORECASE)


def _norm(text: str) -> str:
    """A header or word as compared: lower case, punctuation and spaces folded."""
    return _NON_WORD.sub(" ", text.casefold()).strip()


_LOOKUP = {_norm(name): key for key, names in FIELDS.items() for name in names}


def map_status(word: str) -> str | None:
    """The status a sheet's status or RAG word stands for, or None if not recognised."""
    return _STATUS_WORDS.get(_norm(word))


@dataclass(slots=True)
class SheetRow:
    """One action read from the sheet, with where it came from."""

    row: int
    rec_ref: str
    action: ActionData
    status_word: str
    sheet_ref: str = ""  # the Ref cell, when the action's ref had to differ from it
    sheet_rag: str = ""  # the sheet's own RAG word, kept beside the one tracker derives
    undated: str | None = None  # the target date cell ("" if blank) when it was not a date


@dataclass(slots=True)
class SheetResult:
    """What a sheet holds: the plan, how its columns were read, and every problem."""

    plan: PlanData
    columns: dict[str, str]  # header as written -> field
    ignored: list[str]
    header_row: int
    rows: list[SheetRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    blank_rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _header_field(cell: str) -> str | None:
    norm = _norm(cell)
    if not norm:
        return None
    if norm in _LOOKUP:
        return _LOOKUP[norm]
    for part in re.split(r"[/&]| or | and ", cell):
        found = _LOOKUP.get(_norm(part))
        if found:
            return found
    return None


def _find_header(records: Sequence[list[str]]) -> int | None:
    """The index of the header row: the first of the first 20 rows naming an action."""
    for i, cells in enumerate(records[:20]):
        fields = {_header_field(c) for c in cells} - {None}
        if "description" in fields and len(fields) >= 3:
            return i
    return None


find_header = _find_header  # for the workbook reader: which sheet has the header row


def _decode(data: bytes, name: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad_at = exc.start
    # "CSV (Comma delimited)" from Excel on Windows is Windows-1252, not UTF-8. A file
    # that is partly valid UTF-8 beyond ASCII (a line pasted from another sheet) is not
    # one encoding: decoding it all as Windows-1252 would store `café` as `cafÃ©`.
    head = data[:bad_at]
    if any(b >= 0x80 for b in head) or _utf8_sequences(data[bad_at:]):
        line = data.count(b"\n", 0, bad_at) + 1
        raise PlanFileError(
            [
                f"{name}: line {line}: not UTF-8, although other lines are: the file mixes "
                "encodings; save the sheet again as 'CSV UTF-8' and import that"
            ]
        )
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise PlanFileError([f"{name}: is not a text CSV file"]) from None


_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def _utf8_sequences(data: bytes) -> bool:
    """Whether bytes hold well-formed multi-byte UTF-8 (evidence that a line is UTF-8).

    In Windows-1252 text such pairs (`Ã©`, `â€™`) are mojibake nobody types.
    """
    return _UTF8_MULTIBYTE.search(data) is not None


def read_sheet_file(
    path: Path, *, key: str, authority: str, title: str, display: str | None = None
) -> SheetResult:
    """Read a CSV file saved from a spreadsheet tracker (see `read_sheet`)."""
    name = display or str(path)
    data = read_input_file(
        path,
        name=name,
        what="a CSV file",
        max_bytes=MAX_SHEET_BYTES,
        too_big=lambda _size: "is larger than 50 MB; is it really a tracker sheet?",
    )
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise PlanFileError(
            [f"{name}: is a binary file; save the sheet from Excel as 'CSV UTF-8' first"]
        )
    return read_sheet(_decode(data, name), name=name, key=key, authority=authority, title=title)


def read_sheet(text: str, *, name: str, key: str, authority: str, title: str) -> SheetResult:
    """Read the text of a tracker CSV into a plan, noting every row that cannot be read."""
    dialect: type[csv.Dialect] | csv.Dialect = csv.excel
    try:
        sample = text[:20_000]
        if sample.count(";") > sample.count(","):
            dialect = csv.Sniffer().sniff(sample, delimiters=";,\t")
    except csv.Error:
        dialect = csv.excel
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as exc:
        raise PlanFileError([f"{name}: is not a readable CSV file ({exc})"]) from None
    return read_records(records, name=name, key=key, authority=authority, title=title)


def read_records(
    records: Sequence[list[str]], *, name: str, key: str, authority: str, title: str
) -> SheetResult:
    """Read a sheet's rows of text cells (from a CSV or a workbook) into a plan."""
    header_at = _find_header(records)
    if header_at is None:
        raise PlanFileError(
            [
                f"{name}: no header row found: the first 20 rows need one naming the action "
                "(Action or Description) and at least two of Ref, Recommendation, "
                "Lead officer/Owner, Target date/Deadline, Status, RAG, % complete"
            ]
        )
    headers = records[header_at]
    columns: dict[int, str] = {}
    shown: dict[str, str] = {}
    ignored: list[str] = []
    problems: list[str] = []
    for i, cell in enumerate(headers):
        found = _header_field(cell)
        if found is None:
            if cell.strip():
                ignored.append(cell.strip())
            continue
        if found in columns.values():
            problems.append(
                f"{name}: row {header_at + 1}: column {cell.strip()!r} is a second "
                f"{found.replace('_', ' ')} column; rename or remove one"
            )
            continue
        columns[i] = found
        shown[cell.strip()] = found
    for needed, words in (
        ("owner", "Lead officer or Owner"),
        ("deadline", "Target date, Deadline or Due date"),
    ):
        if needed not in columns.values():
            problems.append(f"{name}: row {header_at + 1}: no {words} column")
    result = SheetResult(
        plan=PlanData(key=key, authority=authority, title=title),
        columns=shown,
        ignored=ignored,
        header_row=header_at + 1,
        problems=problems,
    )
    if problems:
        return result
    _read_rows(records, header_at, columns, result, name)
    return result


def _cells(record: list[str], columns: dict[int, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for i, key in columns.items():
        if i < len(record):
            out[key] = record[i].strip()
    return out


@dataclass(slots=True)
class _Group:
    """One recommendation as the rows name it, before its ref is settled."""

    ref: str | None  # the sheet's own number for it, if it gives one
    title: str
    text: str | None
    key: str  # its text as compared: whitespace folded, any case
    row: int
    refs: list[str] = field(default_factory=list)  # its actions' Ref cells


@dataclass(slots=True)
class _Entry:
    """A row to act on once every recommendation's ref is known: an action or a problem."""

    row: int
    cells: dict[str, str]
    group: _Group | None
    problem: str | None = None


def _fold(text: str) -> str:
    """Recommendation text as compared: stripped, whitespace folded, any case."""
    return " ".join(text.split()).casefold()


def _ref_key(ref: str) -> str:
    return ref.casefold()


def _rec_of_action_ref(ref: str) -> tuple[str, str] | None:
    """(recommendation ref, rest) of an action ref such as `1.2` or `R1.2`, else None."""
    m = _ACTION_REF.match(ref.strip())
    if not m:
        return None
    rec = m.group(1)
    rec = f"R{rec}" if rec[0].isdigit() else rec
    return rec.upper(), m.group(2)


def _read_rows(
    records: Sequence[list[str]],
    header_at: int,
    columns: dict[int, str],
    result: SheetResult,
    name: str,
) -> None:
    groups, entries = _group_rows(records, header_at, columns, result, name)
    _number_groups(groups)
    recs: dict[int, RecommendationData] = {}
    for g in groups:
        assert g.ref is not None
        recs[id(g)] = RecommendationData(ref=g.ref, title=g.title, text=g.text)
    rec_refs = {_ref_key(r.ref) for r in recs.values()}
    refs: dict[str, tuple[int, str]] = {}
    counters: dict[str, int] = {}
    labels = {key: header for header, key in result.columns.items()}
    for entry in entries:
        if entry.problem is not None:
            result.problems.append(entry.problem)
            continue
        assert entry.group is not None
        where = f"{name}: row {entry.row}"
        current = recs[id(entry.group)]
        read = _action(entry.cells, where, current.ref, counters, labels)
        if isinstance(read, list):
            result.problems.extend(read)
            continue
        action, word = read
        sheet_ref = entry.cells.get("ref", "").strip()
        shown_ref = sheet_ref if _rec_of_action_ref(sheet_ref) is not None else ""
        if shown_ref and action.ref in (sheet_ref, f"R{sheet_ref}"):
            shown_ref = ""  # the ref is the sheet's own
        if action.ref in refs:
            first, first_ref = refs[action.ref]
            was = f" (from the sheet's ref {shown_ref!r})" if shown_ref else ""
            also = f", from the sheet's ref {first_ref!r}" if first_ref else ""
            result.problems.append(
                f"{where}: ref {action.ref!r}{was} is used twice (also at row {first}{also})"
            )
            continue
        if _ref_key(action.ref) in rec_refs and action.ref != current.ref:
            result.problems.append(f"{where}: ref {action.ref!r} is also a recommendation's ref")
            continue
        refs[action.ref] = (entry.row, shown_ref)
        current.actions.append(action)
        result.rows.append(
            SheetRow(
                row=entry.row,
                rec_ref=current.ref,
                action=action,
                status_word=word,
                sheet_ref=shown_ref,
                sheet_rag=entry.cells.get("rag", ""),
                undated=entry.cells.get("deadline", "") if action.deadline == UNDATED else None,
            )
        )
    result.plan.recommendations = [recs[id(g)] for g in groups if recs[id(g)].actions]
    if not result.rows and not result.problems:
        result.problems.append(f"{name}: no actions found below the header row")


def _group_rows(
    records: Sequence[list[str]],
    header_at: int,
    columns: dict[int, str],
    result: SheetResult,
    name: str,
) -> tuple[list[_Group], list[_Entry]]:
    """Each row's recommendation: a blank cell continues the one above; the same number,
    or with no number the same text, is the same recommendation wherever it appears."""
    groups: list[_Group] = []
    by_ref: dict[str, _Group] = {}
    by_text: dict[str, _Group] = {}
    entries: list[_Entry] = []
    current: _Group | None = None
    for index in range(header_at + 1, len(records)):
        number = index + 1
        cells = _cells(records[index], columns)
        if not any(cells.values()):
            result.blank_rows += 1
            continue
        where = f"{name}: row {number}"
        rec_text = cells.get("recommendation", "")
        rec_ref_cell = cells.get("rec_ref", "")
        action_part = any(
            cells.get(k) for k in ("description", "owner", "deadline", "status", "rag")
        )
        if rec_text or rec_ref_cell:
            # A heading row (no action on it) may number its recommendation in the Ref column.
            heading_ref = cells.get("ref", "") if not action_part else ""
            if not _REC_REF.match(heading_ref):
                heading_ref = ""
            ref, title, body = _recommendation(rec_text, rec_ref_cell, heading_ref)
            key = _fold(body or title) if rec_text.strip() else ""
            found = by_ref.get(_ref_key(ref)) if ref else None
            if ref and found is None and key in by_text and by_text[key].ref is None:
                found = by_text[key]  # the same text, numbered here but not before
                found.ref = ref
                by_ref[_ref_key(ref)] = found
            elif ref is None:
                found = by_text.get(key)
            if (
                found is not None
                and found is not current
                and key
                and found.key
                and key != found.key
            ):
                entries.append(
                    _Entry(
                        number,
                        cells,
                        None,
                        f"{where}: recommendation {ref!r} appears again after others "
                        f"with different text (first at row {found.row}); give each "
                        "recommendation its own number",
                    )
                )
                continue
            if found is None:
                found = _Group(ref=ref, title=title, text=body, key=key, row=number)
                groups.append(found)
                if ref:
                    by_ref[_ref_key(ref)] = found
                if key:
                    by_text.setdefault(key, found)
            elif key and not found.key:
                # Numbered before with no text (a Rec ref cell alone); the text is here.
                found.title, found.text, found.key = title, body, key
                by_text.setdefault(key, found)
            current = found
        if not action_part:
            continue  # a recommendation heading row
        if current is None:
            entries.append(
                _Entry(
                    number,
                    cells,
                    None,
                    f"{where}: an action with no recommendation above it; fill in the "
                    "Recommendation column",
                )
            )
            continue
        current.refs.append(cells.get("ref", ""))
        entries.append(_Entry(number, cells, current))
    return groups, entries


def _number_groups(groups: list[_Group]) -> None:
    """Give each recommendation the sheet gives no number a ref: the one its actions' refs
    name (`1.2` -> R1) when only it claims that one, else the next free by position."""
    taken = {_ref_key(g.ref) for g in groups if g.ref}
    wanted: dict[int, str] = {}
    for g in groups:
        if g.ref is None:
            named = {p[0] for r in g.refs if (p := _rec_of_action_ref(r)) is not None}
            if len(named) == 1:
                wanted[id(g)] = named.pop()
    claims = Counter(_ref_key(ref) for ref in wanted.values())
    for g in groups:
        ref = wanted.get(id(g))
        if g.ref is None and ref and claims[_ref_key(ref)] == 1 and _ref_key(ref) not in taken:
            g.ref = ref
            taken.add(_ref_key(ref))
    for position, g in enumerate(groups, start=1):
        if g.ref is None:
            while _ref_key(f"R{position}") in taken:
                position += 1
            g.ref = f"R{position}"
            taken.add(_ref_key(g.ref))


def _recommendation(
    text: str, ref_cell: str, heading_ref: str = ""
) -> tuple[str | None, str, str | None]:
    """(ref or None, title, full text) of a recommendation cell such as `1. Improve the ...`;
    the ref is None when neither the cell nor a Rec ref or heading row's Ref numbers it."""
    body = " ".join(text.split())
    ref = ref_cell.strip()
    m = _REC_PREFIX.match(body)
    if m:
        if not ref:
            ref = m.group(1)
        body = " ".join(m.group(2).split())
    if not ref:
        ref = heading_ref.strip()
    if ref and ref[0].isdigit():
        ref = f"R{ref}"
    if ref[:1] in ("r", "R"):
        ref = ref.upper()
    if not body:
        body = f"Recommendation {ref}"
    title = body
    if len(title) > TITLE_MAX:
        cut = title[:TITLE_MAX].rsplit(" ", 1)[0]
        title = cut.rstrip(",;:") + "…"
    return ref or None, title, body if body != title else None


def _sheet_date(text: str) -> date:
    """A date as a sheet writes it, in the years every door accepts (1900 to 2199)."""
    try:
        value = _sheet_date_any(text)
    except DateError:
        raise
    except (OverflowError, ValueError):
        raise DateError(
            f"{text.strip()!r}: a date must be in the years {FIRST_YEAR} to {LAST_YEAR}"
        ) from None
    if not in_range(value):
        raise DateError(
            f"{text.strip()!r} is {value.isoformat()}: a date must be in the years "
            f"{FIRST_YEAR} to {LAST_YEAR}"
        )
    return value


def _sheet_date_any(text: str) -> date:
    """A date as a sheet writes it: day first; `Mar-25` or `March 2025` means the month's end;
    an Excel serial number or a date with a midnight time are read as the date."""
    m = _MONTH_YEAR.match(text)
    if m:
        from dateutil import parser

        try:
            first = parser.parse(f"1 {m.group(1)} {m.group(2)}", dayfirst=True).date()
        except (ValueError, OverflowError):
            raise DateError(f"{text!r} is not a date") from None
        return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    lowered = text.strip().lower()
    if lowered in {"today", "tomorrow", "yesterday"} or lowered[:1] in {"+", "-"}:
        raise DateError(f"{text!r} is not a fixed date")
    if _SERIAL.match(lowered):
        # A date cell saved as its Excel serial number (days since 30 December 1899).
        return _EXCEL_EPOCH + timedelta(days=int(lowered))
    if m := _MIDNIGHT.match(lowered):
        text = m.group(1)  # `2024-04-23 00:00:00`: a date written with its (empty) time
    return parse_date(text, today_=date(2000, 1, 1))


def _cell_date(
    cells: dict[str, str],
    key: str,
    default_label: str,
    where: str,
    labels: dict[str, str],
    problems: list[str],
) -> date | None:
    """The date in one cell (None if blank); a cell that is not a date adds a problem."""
    text = cells.get(key, "")
    if not text:
        return None
    try:
        return _sheet_date(text)
    except DateError as exc:
        problems.append(f"{where}: {labels.get(key, default_label)}: {_date_problem(text, exc)}")
        return None


def _date_problem(text: str, exc: DateError) -> str:
    if "not a real date" in str(exc) or "must be in the years" in str(exc):
        return str(exc)
    return f"{text!r} is not a date: write it as 23/04/2024, 2024-04-23 or March 2025"


def _progress(text: str) -> int:
    raw = text.strip().replace(" ", "")
    percent = raw.endswith("%")
    raw = raw.rstrip("%")
    value = float(raw)
    if not percent and "." in raw and 0 <= value <= 1:
        value *= 100  # a percentage cell saved as a fraction: 0.6 is 60%
    if not 0 <= value <= 100:
        raise ValueError(text)
    return round(value)


def _action(
    cells: dict[str, str],
    where: str,
    rec_ref: str,
    counters: dict[str, int],
    labels: dict[str, str],
) -> tuple[ActionData, str] | list[str]:
    """One row's action, or what is wrong with it (each problem names the column)."""
    problems: list[str] = []
    description = cells.get("description", "")
    owner = cells.get("owner", "")
    if not description:
        problems.append(f"{where}: no action description")
    if not owner:
        problems.append(f"{where}: no lead officer/owner")
    deadline_cell = cells.get("deadline", "")
    undated = not _norm(deadline_cell) or _norm(deadline_cell) in _UNDATED_WORDS
    deadline = (
        UNDATED
        if undated
        else _cell_date(cells, "deadline", "target date", where, labels, problems)
    )
    start = _cell_date(cells, "start", "start date", where, labels, problems)
    progress: int | None = None
    if cells.get("progress"):
        try:
            progress = _progress(cells["progress"])
        except ValueError:
            problems.append(
                f"{where}: {labels.get('progress', '% complete')}: {cells['progress']!r} "
                "is not a percentage 0-100"
            )
    status_word = cells.get("status", "")
    rag_word = cells.get("rag", "")
    status: str | None = None
    word = ""
    for column, value in (
        (labels.get("status", "status"), status_word),
        (labels.get("rag", "RAG"), rag_word),
    ):
        if value:
            status = map_status(value)
            word = value
            if status is None:
                problems.append(
                    f"{where}: {column} {value!r} is not a word tracker knows: use Complete, "
                    "On track, Not started, Off track, Blocked, On hold, Cancelled or "
                    "Red, Amber, Green, Blue"
                )
            break
    if problems:
        return problems
    assert deadline is not None
    if status is None:
        status = "complete" if progress == 100 else ("in_progress" if progress else "not_started")
    if status == "complete":
        progress = 100
    if start is not None and start > deadline and not undated:
        return [f"{where}: start date {start} is after the target date {deadline}"]
    ref = cells.get("ref", "").strip()
    if not ref:
        counters[rec_ref] = counters.get(rec_ref, 0) + 1
        ref = f"{rec_ref}.{counters[rec_ref]}"
    elif (named := _rec_of_action_ref(ref)) is not None:
        # `1.2` is action 2 of recommendation 1 (R1.2). Under a recommendation with another
        # number, it keeps that recommendation's ref: `2.1` under R1 is R1.1.
        if named[0] != rec_ref.upper():
            ref = f"{rec_ref}.{named[1]}"
        elif ref[0].isdigit():
            ref = f"R{ref}"
    elif ref[0].isdigit():
        # A bare `2` counts within its own recommendation.
        ref = f"R{ref}" if "." in ref else f"{rec_ref}.{ref}"
    if ":" in ref or any(c.isspace() for c in ref):
        return [f"{where}: ref {ref!r} must not contain ':' or spaces"]
    notes_parts = [cells.get("notes", "")]
    if _norm(word) in _LATE_WORDS and word != rag_word:
        notes_parts.append(f"Spreadsheet status: {word}.")
    if rag_word:
        notes_parts.append(f"Spreadsheet RAG: {rag_word}.")
    notes = "\n".join(p for p in notes_parts if p) or None
    return (
        ActionData(
            ref=ref,
            description=description,
            owner=owner,
            deadline=deadline,
            status=status,
            progress=progress or 0,
            partner=cells.get("partner") or None,
            start=start,
            measure=cells.get("measure") or None,
            evidence=cells.get("evidence") or None,
            notes=notes,
        ),
        word,
    )


def settle_deadlines(result: SheetResult, name: str, default: date | None) -> None:
    """Give the rows whose target date is blank or a word (`TBC`, `Ongoing`) the `default`
    deadline, keeping the sheet's word in their notes; with no default, one problem names
    those rows and says how to import them."""
    waiting = [row for row in result.rows if row.action.deadline == UNDATED]
    if not waiting:
        return
    if default is None:
        words = sorted({row.undated or "blank" for row in waiting}, key=str.casefold)
        rows = ", ".join(str(row.row) for row in waiting)
        noun = "row" if len(waiting) == 1 else "rows"
        result.problems.append(
            f"{name}: {noun} {rows}: no target date ({', '.join(words)}); give "
            f"{'it' if len(waiting) == 1 else 'them'} one with --default-deadline DATE "
            "(the sheet's word is kept in the notes), or fill in the dates"
        )
        return
    for row in waiting:
        action = row.action
        if action.start is not None and action.start > default:
            result.problems.append(
                f"{name}: row {row.row}: start date {action.start} is after the default "
                f"deadline {default}"
            )
            continue
        action.deadline = default
        word = f"'{row.undated}'" if row.undated else "blank"
        note = f"Spreadsheet target date: {word}; deadline set to {default.isoformat()} on import."
        action.notes = f"{action.notes}\n{note}" if action.notes else note


def check_plan(result: SheetResult, name: str) -> PlanData:
    """The sheet's plan checked by the plan-file rules (lengths, refs, key), or the problems.

    The plan is written out as a plan file and read back, so a sheet import meets exactly
    the rules `tracker import` does.
    """
    from tracker.formats.plan_toml import dump_plan, parse_plan_text

    if not result.problems:
        settle_deadlines(result, name, None)  # rows still without a date are refused
    if result.problems:
        raise PlanFileError([*result.problems, "nothing was imported"])
    try:
        return parse_plan_text(dump_plan(result.plan), name=name, default_key=result.plan.key)
    except PlanFileError as exc:
        raise PlanFileError([*exc.problems, "nothing was imported"]) from None


def describe_mapping(result: SheetResult, settings: RuleSettings | None = None) -> Iterable[str]:
    """The dry run's report: how columns were read and what each row became; with
    `settings`, the RAG tracker derives beside the sheet's own, marked where they differ."""
    yield f"header row: {result.header_row}"
    for header, key in result.columns.items():
        yield f"  column {header!r} -> {key}"
    for header in result.ignored:
        yield f"  column {header!r} -> (not read)"
    recs = {r.ref: r for r in result.plan.recommendations}
    yield (
        f"{counted(len(result.rows), 'action')} under "
        f"{counted(len(recs), 'recommendation')}; {counted(result.blank_rows, 'blank row')} skipped"
    )
    by_rec: dict[str, list[SheetRow]] = {}
    for row in result.rows:
        by_rec.setdefault(row.rec_ref, []).append(row)
    for ref, rows in by_rec.items():
        rec = recs.get(ref)
        yield f"{ref}: {rec.title if rec else ''}"
        for row in rows:
            a = row.action
            word = f" (from {row.status_word!r})" if row.status_word else ""
            was = f" (sheet ref {row.sheet_ref})" if row.sheet_ref else ""
            due = "no date" if a.deadline == UNDATED else a.deadline.isoformat()
            yield (
                f"  row {row.row}: {a.ref}{was}  {a.status}{word}  {a.progress}%  "
                f"due {due}  {a.owner}{_rag_beside(row, settings)}"
            )


def _rag_beside(row: SheetRow, settings: RuleSettings | None) -> str:
    """`  RAG: sheet Green, tracker RED (differ)`: the sheet's RAG beside the derived one."""
    if not row.sheet_rag:
        return ""
    if settings is None or row.action.deadline == UNDATED:
        return f"  RAG: sheet {row.sheet_rag}"
    derived = rag(row.action.status, row.action.deadline, settings)
    ours = derived.value if derived else "none"
    differ = "" if _norm(row.sheet_rag) == ours.lower() else " (differ)"
    return f"  RAG: sheet {row.sheet_rag}, tracker {ours}{differ}"
