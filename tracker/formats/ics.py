"""Open actions' deadlines as an iCalendar file (RFC 5545) that Outlook and others import.

Each action is one all-day event on its deadline day. Lines end in CRLF and are folded at
75 octets without splitting a character; text values escape backslash, comma, semicolon
and newlines. The UID comes from the action's address, so importing a newer file updates
the same events instead of adding copies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import IO

from tracker.domain.dates import in_range
from tracker.domain.records import ActionRow
from tracker.domain.rules import OPEN_STATUSES, RuleSettings
from tracker.domain.text import counted, one_line, printable

__all__ = ["escape_text", "event_text", "fold", "write_calendar"]

PRODID = "-//tracker//Improvement plan deadlines//EN"
MAX_OCTETS = 75


def escape_text(value: str) -> str:
    """A TEXT value: backslash, semicolon, comma and newline escaped (RFC 5545 3.3.11)."""
    text = printable(value)
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """One content line folded so no physical line exceeds 75 octets, CRLF-terminated.

    Continuation lines begin with a space; a multi-byte UTF-8 character is never split,
    nor a backslash escape (`\\,` `\\;` `\\n` `\\\\`): RFC 5545 allows either, but some
    clients read a backslash that ends a physical line as a literal one.
    """
    data = line.encode("utf-8")
    if len(data) <= MAX_OCTETS:
        return line + "\r\n"
    parts: list[bytes] = []
    start, limit = 0, MAX_OCTETS
    while len(data) - start > limit:
        cut = start + limit
        while data[cut] & 0xC0 == 0x80:  # a UTF-8 continuation byte: step back
            cut -= 1
        run = 0  # the backslashes the piece would end with
        while cut - 1 - run >= 0 and data[cut - 1 - run] == 0x5C:
            run += 1
        if run % 2:  # the last one starts an escape: it goes with what it escapes
            cut -= 1
        parts.append(data[start:cut])
        start, limit = cut, MAX_OCTETS - 1
    parts.append(data[start:])
    return b"\r\n ".join(parts).decode("utf-8") + "\r\n"


def uid(row: ActionRow) -> str:
    """A UID that stays the same for an action across exports and stores."""
    digest = hashlib.sha256(row.address.encode("utf-8")).hexdigest()[:32]
    return f"{digest}@tracker"


def _stamp(value: datetime) -> str:
    return value.strftime("%Y%m%dT%H%M%SZ")


def _day(value: date) -> str:
    return value.strftime("%Y%m%d")


def event_text(row: ActionRow, settings: RuleSettings) -> tuple[str, str]:
    """An action's SUMMARY and DESCRIPTION as plain text, before escaping."""
    late = row.days_overdue(settings.today)
    rating = row.rag(settings)
    summary = f"Due: {row.ref} {one_line(row.description)}"
    if len(summary) > 120:
        summary = summary[:119] + "…"
    details = [
        f"Action: {row.address}",
        f"Plan: {one_line(row.authority)} ({row.plan_key})",
        f"Recommendation: {row.rec_ref} {one_line(row.rec_title)}",
        f"Owner: {one_line(row.owner)}",
        f"Status: {row.status}, {row.progress}% complete"
        + (f", RAG {rating.value}" if rating else ""),
        f"Deadline: {row.deadline.isoformat()}"
        + (f" (OVERDUE {late}d)" if late else "")
        + (
            f"; originally {row.original_deadline.isoformat()}, "
            f"{counted(row.revisions, 'revision')}"
            if row.original_deadline and row.original_deadline != row.deadline
            else ""
        ),
        "",
        printable(row.description),
    ]
    return summary, "\n".join(details)


def _event(row: ActionRow, settings: RuleSettings, now: datetime) -> list[str]:
    summary, description = event_text(row, settings)
    return [
        "BEGIN:VEVENT",
        f"UID:{uid(row)}",
        f"DTSTAMP:{_stamp(now)}",
        f"DTSTART;VALUE=DATE:{_day(row.deadline)}",
        f"DTEND;VALUE=DATE:{_day(row.deadline + timedelta(days=1))}",
        f"SUMMARY:{escape_text(summary)}",
        f"DESCRIPTION:{escape_text(description)}",
        f"CATEGORIES:{escape_text(row.plan_key)}",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    ]


def write_calendar(
    rows: Iterable[ActionRow],
    settings: RuleSettings,
    out: IO[str],
    *,
    now: datetime,
    name: str = "Improvement plan deadlines",
) -> int:
    """Write one VCALENDAR with an all-day event per open action; return the event count.

    `out` must be opened with newline="" so the CRLF line ends are written as they are.
    """
    out.write(fold("BEGIN:VCALENDAR"))
    for line in (
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ):
        out.write(fold(line))
    count = 0
    for row in rows:
        if row.status not in OPEN_STATUSES or not in_range(row.deadline):
            continue  # a date outside 1900-2199 (an older store's) cannot be an event
        for line in _event(row, settings, now):
            out.write(fold(line))
        count += 1
    out.write(fold("END:VCALENDAR"))
    return count
