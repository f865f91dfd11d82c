"""Reading an Excel RAG tracker (.xlsx) itself, into a plan.

The workbook is opened with openpyxl in read-only mode, which streams the sheet instead
of building it in memory. Each cell becomes the text the CSV import would have seen, and
the rows then go through exactly the CSV import's rules (`tracker.formats.sheets`):
grouping under recommendations, status words, refs, every problem reported and nothing
imported unless there are none. What a workbook adds:

- the named sheet (`--sheet NAME`), or the first sheet with a header row;
- merged cells: a cell merged down several rows gives its value to each of them (a
  recommendation merged down the left reads as written on every row);
- real date cells, numbers, percentages stored as fractions (0.6 shown as 60%), and the
  value Excel last calculated for a formula;
- places named as Excel names them: `FILE: Plan!D12: Target date: ...`.

Bad workbooks are refused in one line before anything is read into memory: a password-
protected file, an Excel 97-2003 .xls, a CSV renamed .xlsx, a damaged file, a sheet of more
than MAX_ROWS rows (judged from the sheet's own size record and by counting, never by
loading it), and formulas Excel never calculated (no saved value to read).
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import iterparse

from tracker.domain.errors import PlanFileError
from tracker.formats.plan_toml import read_input_file
from tracker.formats.sheets import SheetResult, find_header, read_records

__all__ = ["MAX_ROWS", "is_workbook_bytes", "read_workbook", "read_workbook_file"]

MAX_WORKBOOK_BYTES = 50 * 1024 * 1024
MAX_UNPACKED_BYTES = 400 * 1024 * 1024
MAX_ROWS = 100_000
_HEADER_SCAN_ROWS = 20

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the container of .xls and encrypted .xlsx
_ENCRYPTED = "EncryptionInfo".encode("utf-16-le")
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_CELL_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")
_PLACE = re.compile(r"^row (\d+): ")
_SIMPLE_SHEET = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def is_workbook_bytes(head: bytes) -> bool:
    """Whether a file's first bytes are those of an Excel workbook (new or old)."""
    return head.startswith((_ZIP, _OLE))


def read_workbook_file(
    path: Path,
    *,
    key: str,
    authority: str,
    title: str,
    display: str | None = None,
    sheet: str | None = None,
) -> SheetResult:
    """Read an .xlsx file (see `read_workbook`)."""
    name = display or str(path)
    data = read_input_file(
        path,
        name=name,
        what="an Excel workbook",
        max_bytes=MAX_WORKBOOK_BYTES,
        too_big=lambda _size: "is larger than 50 MB; is it really a tracker workbook?",
    )
    return read_workbook(data, name=name, key=key, authority=authority, title=title, sheet=sheet)


def _refuse(name: str, what: str) -> PlanFileError:
    return PlanFileError([f"{name}: {what}; nothing was imported"])


def _check_container(data: bytes, name: str) -> zipfile.ZipFile:
    """The workbook's zip archive, or one line saying what the file is instead."""
    if data.startswith(_OLE):
        if _ENCRYPTED in data:
            raise _refuse(
                name,
                "is protected by a password; save a copy without one "
                "(File > Info > Protect Workbook) and import that",
            )
        raise _refuse(name, "is an Excel 97-2003 (.xls) workbook; save it as .xlsx first")
    if not data.startswith(_ZIP):
        head = data[:4096]
        if head and b"\x00" not in head:
            raise _refuse(
                name,
                "is a text (CSV) file, not an Excel workbook; give it a .csv name to import it",
            )
        raise _refuse(name, "is not an Excel workbook (.xlsx): the file is damaged or another kind")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _refuse(name, "is damaged: it cannot be opened as an Excel workbook") from None
    if "xl/workbook.xml" not in names:
        raise _refuse(name, "is a zip archive but not an Excel workbook (.xlsx)")
    if unpacked > MAX_UNPACKED_BYTES:
        raise _refuse(name, "unpacks to more than 400 MB; is it really a tracker workbook?")
    return archive


def _open_book(data: bytes, name: str) -> Any:
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about extensions it skips
            return openpyxl.load_workbook(
                io.BytesIO(data), read_only=True, data_only=True, keep_links=False
            )
    except Exception as exc:  # a hostile archive can fail anywhere in a third-party parser
        raise _refuse(
            name, f"is damaged: it cannot be read as an Excel workbook ({type(exc).__name__})"
        ) from None


def cell_text(value: Any, number_format: str | None) -> str:
    """A cell's value as the text the CSV import reads: dates ISO, percentages with `%`."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float):
        if number_format and "%" in number_format:
            return f"{value * 100:g}%"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
    if isinstance(value, time | timedelta):
        return str(value)
    return str(value).strip()


def _quoted(sheet: str) -> str:
    """A sheet name as Excel writes it in a reference: quoted unless plain."""
    if _SIMPLE_SHEET.match(sheet):
        return sheet
    return "'" + sheet.replace("'", "''") + "'"


def _column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index


def _rows_text(ws: Any, limit: int | None) -> Iterator[list[str]]:
    for row in ws.iter_rows(max_row=limit):
        yield [cell_text(c.value, getattr(c, "number_format", None)) for c in row]


def _scan_sheet(ws: Any, name: str, where: str) -> list[tuple[int, int, int]]:
    """Count the sheet's rows and find its merged cells and uncalculated formulas, streaming
    its XML once: (first column, first row, last row) of each merge down rows."""
    rows = 0
    merges: list[tuple[int, int, int]] = []
    empty_formulas: list[str] = []
    try:
        with ws._get_source() as source:
            for _event, element in iterparse(source, events=("end",)):
                tag = element.tag
                if tag == f"{_MAIN}row":
                    rows += 1
                    if rows > MAX_ROWS:
                        raise _refuse(
                            name,
                            f"{where} has more than {MAX_ROWS:,} rows; tracker reads at most "
                            f"{MAX_ROWS:,} (delete the unused rows, or copy the plan to a "
                            "sheet of its own)",
                        )
                    element.clear()
                elif tag == f"{_MAIN}c":
                    formula = element.find(f"{_MAIN}f")
                    if formula is not None:
                        value = element.find(f"{_MAIN}v")
                        if value is None or not (value.text or "").strip():
                            empty_formulas.append(element.get("r", "?"))
                elif tag == f"{_MAIN}mergeCell":
                    merge = _merge_range(element.get("ref", ""))
                    if merge is not None:
                        merges.append(merge)
    except PlanFileError:
        raise
    except Exception as exc:  # broken XML or a broken zip member
        raise _refuse(
            name, f"{where} is damaged: it cannot be read ({type(exc).__name__})"
        ) from None
    if empty_formulas:
        first = empty_formulas[0]
        count = len(empty_formulas)
        cells = "a cell holds a formula" if count == 1 else f"{count:,} cells hold formulas"
        raise _refuse(
            name,
            f"{where}: {cells} with no saved value (first {_quoted(ws.title)}!{first}), as "
            "when a program other than Excel wrote it; open it in Excel, save it, and import "
            "it again",
        )
    return merges


def _merge_range(ref: str) -> tuple[int, int, int] | None:
    if ":" not in ref:
        return None
    first, last = ref.split(":", 1)
    a, b = _CELL_REF.match(first), _CELL_REF.match(last)
    if a is None or b is None:
        return None
    top, bottom = int(a.group(2)), int(b.group(2))
    if bottom <= top:
        return None
    return _column_index(a.group(1)), top, bottom


def _fill_merges(records: list[list[str]], merges: Sequence[tuple[int, int, int]]) -> None:
    """Give each row of a cell merged down the rows the merged cell's value."""
    for column, top, bottom in merges:
        if top > len(records):
            continue
        index = column - 1
        source = records[top - 1]
        value = source[index] if index < len(source) else ""
        for number in range(top + 1, min(bottom, len(records)) + 1):
            row = records[number - 1]
            if len(row) <= index:
                row.extend([""] * (index + 1 - len(row)))
            if not row[index]:
                row[index] = value


def _choose_sheet(book: Any, name: str, wanted: str | None) -> Any:
    sheets = list(book.worksheets)
    listed = ", ".join(repr(ws.title) for ws in sheets) or "none"
    if wanted is not None:
        for ws in sheets:
            if ws.title == wanted:
                return ws
        for ws in sheets:
            if ws.title.casefold() == wanted.strip().casefold():
                return ws
        raise _refuse(name, f"no sheet named {wanted!r} (the sheets are {listed})")
    for ws in sheets:
        try:
            head = list(_rows_text(ws, _HEADER_SCAN_ROWS))
        except Exception as exc:
            raise _refuse(
                name, f"sheet {ws.title!r} is damaged: it cannot be read ({type(exc).__name__})"
            ) from None
        if find_header(head) is not None:
            return ws
    raise _refuse(
        name,
        f"no sheet has a header row naming the action (Action or Description) in its first "
        f"{_HEADER_SCAN_ROWS} rows (the sheets are {listed}); name one with --sheet",
    )


def read_workbook(
    data: bytes, *, name: str, key: str, authority: str, title: str, sheet: str | None = None
) -> SheetResult:
    """Read an .xlsx workbook's tracker sheet into a plan, noting every problem by its cell."""
    archive = _check_container(data, name)
    archive.close()
    book = _open_book(data, name)
    try:
        ws = _choose_sheet(book, name, sheet)
        where = f"sheet {ws.title!r}"
        declared = ws.max_row
        if declared is not None and declared > MAX_ROWS:
            raise _refuse(
                name,
                f"{where} has {declared:,} rows; tracker reads at most {MAX_ROWS:,} (delete "
                "the unused rows, or copy the plan to a sheet of its own)",
            )
        merges = _scan_sheet(ws, name, where)
        try:
            records = list(_rows_text(ws, MAX_ROWS))
        except Exception as exc:
            raise _refuse(
                name, f"{where} is damaged: it cannot be read ({type(exc).__name__})"
            ) from None
        _fill_merges(records, merges)
        result = read_records(records, name=name, key=key, authority=authority, title=title)
        result.problems = _places(result, records, name, _quoted(ws.title))
        return result
    finally:
        book.close()


def _places(result: SheetResult, records: list[list[str]], name: str, sheet: str) -> list[str]:
    """The CSV import's `FILE: row 12: Target date: ...` as `FILE: Plan!D12: Target date: ...`.

    The cell is the column the problem names (by its header as written), else the row's
    first cell.
    """
    header: list[tuple[str, int]] = []
    if 0 < result.header_row <= len(records):
        header = [(text.strip(), i + 1) for i, text in enumerate(records[result.header_row - 1])]
        header = sorted((h for h in header if h[0]), key=lambda h: -len(h[0]))
    by_field = {f: h for h, f in result.columns.items()}
    lookup = dict(header)
    prefix = f"{name}: "
    out = []
    for problem in result.problems:
        if not problem.startswith(prefix):
            out.append(problem)
            continue
        rest = problem[len(prefix) :]
        m = _PLACE.match(rest)
        if m is None:
            out.append(problem)
            continue
        number = int(m.group(1))
        text = rest[m.end() :]
        column = _problem_column(text, header, by_field, lookup)
        out.append(f"{prefix}{sheet}!{_column_letter(column)}{number}: {text}")
    return out


_FIELD_WORDS = (
    ("no action description", "description"),
    ("no lead officer", "owner"),
    ("ref ", "ref"),
    ("start date ", "start"),
    ("an action with no recommendation", "recommendation"),
    ("recommendation ", "recommendation"),
)


def _problem_column(
    text: str, header: list[tuple[str, int]], by_field: dict[str, str], lookup: dict[str, int]
) -> int:
    for label, column in header:
        for lead in (label + ":", label + " ", "no " + label):
            if text.startswith(lead):
                return column
    if text.startswith("column "):
        quoted = re.match(r"column '(.*?)' ", text)
        if quoted and quoted.group(1) in lookup:
            return lookup[quoted.group(1)]
    for words, field in _FIELD_WORDS:
        if text.startswith(words) and field in by_field:
            return lookup.get(by_field[field], 1)
    return 1
