"""A month's figures from the performance team: readings as CSV.

Columns `measure, period, value, note` (a header row, in any order; `count` and `of` may
be added for a percentage's numerator and denominator). Each row is checked here for what
the file alone can say (a number that is not a number, a missing cell); the store checks
the rest. Every problem names its line, and a file with any problem records nothing.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tracker.domain.errors import PlanFileError
from tracker.domain.measures import ReadingInput
from tracker.formats.plan_toml import read_input_file

__all__ = ["COLUMNS", "read_readings_file", "read_readings_text"]

COLUMNS = ("measure", "period", "value", "note")
OPTIONAL = ("count", "of")
MAX_BYTES = 50 * 1024 * 1024


def read_readings_file(path: Path, *, display: str | None = None) -> list[ReadingInput]:
    """The readings of one CSV file, or PlanFileError listing every bad row by its line."""
    name = display or str(path)
    data = read_input_file(
        path,
        name=name,
        what="a CSV file",
        max_bytes=MAX_BYTES,
        too_big=lambda _size: "is larger than 50 MB, the most a readings file may be",
    )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")  # Excel's "CSV" on Windows
        except UnicodeDecodeError:
            raise PlanFileError([f"{name}: is not UTF-8 text (save it as CSV UTF-8)"]) from None
    return read_readings_text(text, name=name)


def _number(cell: str) -> float | None:
    cleaned = cell.strip().replace(",", "").removesuffix("%").strip()
    if not cleaned:
        return None
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError(f"{cell.strip()!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{cell.strip()!r} is not a usable number")
    return value


def read_readings_text(text: str, *, name: str) -> list[ReadingInput]:
    """Check the rows of a readings CSV; see the module's description."""
    if "\x00" in text:
        raise PlanFileError([f"{name}: is a binary file, not CSV"])
    reader = csv.reader(io.StringIO(text, newline=""))
    problems: list[str] = []
    out: list[ReadingInput] = []
    header: dict[str, int] | None = None
    for record in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if header is None:
            names = [cell.strip().lower() for cell in record]
            missing = [c for c in COLUMNS[:3] if c not in names]
            if missing:
                raise PlanFileError(
                    [
                        f"{name}: line {line}: the header must name the columns "
                        f"{', '.join(COLUMNS)} (missing: {', '.join(missing)})"
                    ]
                )
            unknown = [n for n in names if n and n not in COLUMNS + OPTIONAL]
            if unknown:
                raise PlanFileError(
                    [
                        f"{name}: line {line}: unknown column {unknown[0]!r}: "
                        f"use {', '.join(COLUMNS)}"
                    ]
                )
            header = {n: i for i, n in enumerate(names) if n}
            continue
        columns = header

        def cell(column: str, record: list[str] = record, columns: dict[str, int] = columns) -> str:
            index = columns.get(column)
            return record[index] if index is not None and index < len(record) else ""

        place = f"{name}: line {line}"
        measure, period = cell("measure").strip(), cell("period").strip()
        bad: list[str] = []
        if not measure:
            bad.append("the measure is empty (write it as PLAN-KEY:REF)")
        if not period:
            bad.append("the period is empty (2026-10 or 2026-Q3)")
        numbers: dict[str, float | None] = {}
        for column in ("value", *OPTIONAL):
            try:
                numbers[column] = _number(cell(column))
            except ValueError as exc:
                bad.append(f"{column}: {exc}")
                numbers[column] = None
        if numbers["value"] is None and not any(b.startswith("value") for b in bad):
            bad.append("the value is empty")
        if bad:
            problems.extend(f"{place}: {b}" for b in bad)
            continue
        note = cell("note").strip() or None
        value = numbers["value"]
        assert value is not None
        out.append(
            ReadingInput(
                address=measure,
                period=period,
                value=value,
                note=note,
                count=numbers["count"],
                of=numbers["of"],
                place=place,
            )
        )
    if header is None:
        raise PlanFileError(
            [f"{name}: the file is empty (it needs a header: {', '.join(COLUMNS)})"]
        )
    if problems:
        raise PlanFileError(problems)
    if not out:
        raise PlanFileError([f"{name}: has a header but no readings"])
    return out
