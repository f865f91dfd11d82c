"""The calendar writer by hand against the icalendar library: correctness, size and speed.

`python bench/ics.py [N]` (default 10,000 events) writes the same N open actions with
tracker's hand-written RFC 5545 writer (tracker/formats/ics.py) and with icalendar's
Calendar/Event objects, then reads each file back with icalendar's parser and prints:
how many text values came back other than written (hostile text: Windows paths, a
literal backslash-N, commas, semicolons, CR, escape sequences, emoji, CJK, combining
marks, 2,000-character evidence), the longest physical line in octets, line ends, the
time to write (best of three), the file size, and icalendar's import time. The README's
developer section quotes its figures.
"""

from __future__ import annotations

import io
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import icalendar

from tracker.domain.records import ActionRow
from tracker.domain.rules import RuleSettings
from tracker.domain.text import printable
from tracker.formats.ics import PRODID, event_text, uid, write_calendar

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
HOSTILE = (
    "Evidence saved in C:\\New folder\\Notes\\2026; see \\n and \\N, too",
    "Audit, re-audit; then sign-off, by the DCS; (all of them)",
    "Line one\r\nline two\rline three\nline four",
    "\x1b[31mred\x1b[0m and a bell\x07 and a tab\there",
    "Émilie Brontë–Ōkubo 👩🏽‍⚕️ 社会福祉 café (combining é) 🇬🇧",
    "Long: " + "x" * 70 + "é" * 30 + "\\;," * 40,
)


def rows(count: int) -> list[ActionRow]:
    """`count` open actions, their text cycling through HOSTILE, some with long evidence."""
    made = []
    for i in range(count):
        text = HOSTILE[i % len(HOSTILE)]
        description = text if i % 50 else text + " " + "evidence, more; " * 125  # 2,000 chars
        made.append(
            ActionRow(
                id=i,
                plan_key=f"plan-{i % 7},b;c",
                authority="Staffordshire; County, Council",
                rec_ref=f"R{i % 12}",
                rec_title=HOSTILE[(i + 1) % len(HOSTILE)],
                ref=f"R{i % 12}.{i}",
                description=description,
                owner=HOSTILE[(i + 2) % len(HOSTILE)][:60],
                partner=None,
                start=None,
                deadline=TODAY + timedelta(days=i % 400 - 200),
                original_deadline=None,
                status="in_progress",
                progress=i % 100,
                measure=None,
                evidence=None,
                notes=None,
                revisions=0,
                version=1,
                updated_at=NOW,
                updated_by="bench",
            )
        )
    return made


def by_hand(events: list[ActionRow], settings: RuleSettings) -> bytes:
    out = io.StringIO(newline="")
    write_calendar(events, settings, out, now=NOW)
    return out.getvalue().encode("utf-8")


def by_library(events: list[ActionRow], settings: RuleSettings) -> bytes:
    """The same calendar through icalendar, the text cleaned as tracker cleans it."""
    calendar = icalendar.Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", PRODID)
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "Improvement plan deadlines")
    for row in events:
        summary, description = event_text(row, settings)
        event = icalendar.Event()
        event.add("uid", uid(row))
        event.add("dtstamp", NOW)
        event.add("dtstart", row.deadline)
        event.add("dtend", row.deadline + timedelta(days=1))
        event.add("summary", printable(summary))
        event.add("description", printable(description))
        event.add("categories", [printable(row.plan_key)])
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return bytes(calendar.to_ical())


def wrong_values(raw: bytes, events: list[ActionRow], settings: RuleSettings) -> int:
    """How many SUMMARY, DESCRIPTION and CATEGORIES values read back other than meant."""
    wrong = 0
    parsed = icalendar.Calendar.from_ical(raw).walk("VEVENT")
    for row, event in zip(events, parsed, strict=True):
        summary, description = event_text(row, settings)
        categories = [str(c) for c in event["categories"].cats]
        wrong += str(event["summary"]) != printable(summary)
        wrong += str(event["description"]) != printable(description)
        wrong += categories != [printable(row.plan_key)]
    return wrong


def best_of(runs: int, work: Callable[[], bytes]) -> tuple[float, bytes]:
    best, raw = float("inf"), b""
    for _ in range(runs):
        start = time.perf_counter()
        raw = work()
        best = min(best, time.perf_counter() - start)
    return best, raw


def import_seconds(module: str) -> float:
    code = f"import time; s = time.perf_counter(); import {module}; print(time.perf_counter() - s)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    settings = RuleSettings(today=TODAY)
    events = rows(count)
    print(f"{count:,} events, hostile text in every one")
    print(f"{'writer':<12}{'seconds':>9}{'MB':>8}{'longest line':>14}{'bare LF':>9}{'wrong':>7}")
    for name, writer in (("by hand", by_hand), ("icalendar", by_library)):
        seconds, raw = best_of(3, lambda w=writer: w(events, settings))  # type: ignore[misc]
        lines = raw.split(b"\r\n")
        longest = max(len(line) for line in lines)
        bare = sum(line.count(b"\n") for line in lines)
        wrong = wrong_values(raw, events, settings)
        print(f"{name:<12}{seconds:>9.2f}{len(raw) / 1e6:>8.2f}{longest:>14}{bare:>9}{wrong:>7}")
    print(f"import icalendar: {import_seconds('icalendar'):.2f} s (tracker.formats.ics: ", end="")
    print(f"{import_seconds('tracker.formats.ics'):.2f} s)")
    package = Path(icalendar.__file__).parent
    size = sum(p.stat().st_size for p in package.rglob("*") if p.is_file())
    print(f"icalendar {icalendar.__version__}: {size / 1e6:.1f} MB installed (tests included)")


if __name__ == "__main__":
    main()
