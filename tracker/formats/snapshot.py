"""The CSV status snapshot: one row per action, exactly the columns of the product contract.

UTF-8 with a byte-order mark and CRLF line ends so Excel opens it as it is; a cell that
begins with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'` so a
spreadsheet never runs it as a formula. Rows are streamed, never held in memory.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import IO, Any

from tracker.domain.dates import format_date, format_utc
from tracker.domain.records import ActionRow
from tracker.domain.rules import RuleSettings, days_overdue, is_due_soon, rag
from tracker.domain.text import json_text

__all__ = [
    "COLUMNS",
    "SLIPPAGE_COLUMNS",
    "neutralise",
    "row_values",
    "snapshot_dicts",
    "write_json",
    "write_snapshot",
]

COLUMNS: tuple[str, ...] = (
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
)

# Opt-in columns (`--slippage`) appended after the contract's 23, never in between.
SLIPPAGE_COLUMNS: tuple[str, ...] = ("slippage_days", "revisions")

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The same characters as a set of one-character strings, for the snapshot's inner loop.
_FORMULA_FIRST = frozenset(_FORMULA_STARTS)


def neutralise(cell: str) -> str:
    """Prefix `'` to a cell a spreadsheet would otherwise read as a formula."""
    if cell and cell.startswith(_FORMULA_STARTS):
        return "'" + cell
    return cell


def row_values(row: ActionRow, settings: RuleSettings) -> list[Any]:
    """The snapshot's values for one action, typed: ints for numbers, bools for yes/no."""
    today = settings.today
    status, deadline = row.status, row.deadline
    late = days_overdue(status, deadline, today)
    rating = rag(status, deadline, settings)
    return [
        today,
        row.plan_key,
        row.authority,
        row.rec_ref,
        row.rec_title,
        row.ref,
        row.description,
        row.owner,
        row.partner,
        row.start,
        deadline,
        row.original_deadline,
        status,
        row.progress,
        rating.value if rating is not None else None,
        late > 0,
        late,
        is_due_soon(status, deadline, settings),
        row.measure,
        row.evidence,
        row.notes,
        row.updated_at,
        row.updated_by,
    ]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, datetime):  # last_updated, the only time: written as UTC
        return format_utc(value)
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, int):
        return str(value)
    return neutralise(str(value))


def snapshot_cells(
    rows: Iterable[ActionRow], settings: RuleSettings, *, slippage: bool = False
) -> Iterator[list[str]]:
    """Each action's snapshot row as the strings written to the CSV.

    The same cells as `_cell` makes of `row_values`, written out column by column because
    this loop runs once per action of a national store (tests compare the two).
    """
    today = settings.today
    as_of = today.isoformat()
    first = _FORMULA_FIRST
    stamps: dict[datetime, str] = {}
    for row in rows:
        (_, plan_key, authority, rec_ref, rec_title, ref, description, owner, partner, start,
         deadline, original, status, progress, measure, evidence, notes, _, _, updated_at,
         updated_by) = row  # fmt: skip
        late = days_overdue(status, deadline, today)
        rating = rag(status, deadline, settings)
        stamp = stamps.get(updated_at)
        if stamp is None:
            stamp = stamps[updated_at] = format_utc(updated_at)
        cells = [
            as_of,
            "'" + plan_key if plan_key[:1] in first else plan_key,
            "'" + authority if authority[:1] in first else authority,
            "'" + rec_ref if rec_ref[:1] in first else rec_ref,
            "'" + rec_title if rec_title[:1] in first else rec_title,
            "'" + ref if ref[:1] in first else ref,
            "'" + description if description[:1] in first else description,
            "'" + owner if owner[:1] in first else owner,
            "" if partner is None else ("'" + partner if partner[:1] in first else partner),
            "" if start is None else start.isoformat(),
            deadline.isoformat(),
            "" if original is None else original.isoformat(),
            "'" + status if status[:1] in first else status,
            str(progress),
            "" if rating is None else rating.value,
            "yes" if late else "no",
            str(late),
            "yes" if is_due_soon(status, deadline, settings) else "no",
            "" if measure is None else ("'" + measure if measure[:1] in first else measure),
            "" if evidence is None else ("'" + evidence if evidence[:1] in first else evidence),
            "" if notes is None else ("'" + notes if notes[:1] in first else notes),
            stamp,
            "'" + updated_by if updated_by[:1] in first else updated_by,
        ]
        if slippage:
            cells += [str(row.slippage_days), str(row.revisions)]
        yield cells


def write_snapshot(
    rows: Iterable[ActionRow],
    settings: RuleSettings,
    out: IO[str],
    *,
    bom: bool = True,
    slippage: bool = False,
) -> int:
    """Write the CSV snapshot to a text stream opened with newline=''; returns the row count.

    With `slippage`, the columns `slippage_days` and `revisions` follow the contract's 23.
    """
    if bom:
        out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS + SLIPPAGE_COLUMNS if slippage else COLUMNS)
    count = 0
    for cells in snapshot_cells(rows, settings, slippage=slippage):
        writer.writerow(cells)
        count += 1
    return count


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, datetime):
        return format_utc(value)
    if isinstance(value, date):
        return format_date(value)
    text = str(value)
    return text if text != "" else None


_NUMERIC = {"progress", "days_overdue"}


def snapshot_dicts(
    rows: Iterable[ActionRow], settings: RuleSettings, *, slippage: bool = False
) -> Iterator[dict[str, Any]]:
    """The snapshot as JSON-ready objects: numbers, true/false, null for empty."""
    names = COLUMNS
    for row in rows:
        values = row_values(row, settings)
        obj = {
            name: (value if name in _NUMERIC else _json_value(value))
            for name, value in zip(names, values, strict=True)
        }
        if slippage:
            obj["slippage_days"] = row.slippage_days
            obj["revisions"] = row.revisions
        yield obj


def write_json(
    rows: Iterable[ActionRow], settings: RuleSettings, out: IO[str], *, slippage: bool = False
) -> int:
    """A JSON array of snapshot objects, streamed one object at a time."""
    count = 0
    out.write("[")
    for obj in snapshot_dicts(rows, settings, slippage=slippage):
        out.write(",\n " if count else "\n ")
        out.write(json_text(obj))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count
