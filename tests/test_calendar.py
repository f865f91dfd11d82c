"""Calendars: open actions' deadlines as an RFC 5545 file that parses back as written."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import icalendar
import pytest

from tracker.cli import main
from tracker.domain.records import ActionChanges, Filters
from tracker.domain.rules import OPEN_STATUSES, RuleSettings
from tracker.formats.ics import escape_text, fold
from tracker.storage.store import Store

PLAN = "staffordshire-2024-ilacs"


def test_fold_keeps_lines_within_75_octets_without_splitting_characters() -> None:
    line = "DESCRIPTION:" + "é" * 100 + "x" * 30
    folded = fold(line)
    physical = folded.split("\r\n")[:-1]
    assert all(len(p.encode("utf-8")) <= 75 for p in physical)
    assert all(p.startswith(" ") for p in physical[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(physical)) == line
    assert fold("SHORT:x") == "SHORT:x\r\n"


def test_escape_text() -> None:
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


def _calendar(db_url: str, tmp_path: Path, *args: str) -> tuple[bytes, icalendar.Calendar]:
    target = tmp_path / "deadlines.ics"
    assert main(["--db", db_url, "calendar", *args, "--output", str(target)]) == 0
    raw = target.read_bytes()
    return raw, icalendar.Calendar.from_ical(raw)


def test_calendar_parses_back(one_plan_store: Store, db_url: str, tmp_path: Path) -> None:
    one_plan_store.update_action(f"{PLAN}:R1.6", ActionChanges(owner="Anna Lee; Ops"), user="x")
    raw, cal = _calendar(db_url, tmp_path, "--plan", PLAN)
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    assert cal["VERSION"] == "2.0"
    events = list(cal.walk("VEVENT"))
    settings = RuleSettings(today=date(2026, 11, 25))
    open_rows = list(
        one_plan_store.iter_actions(
            filters=Filters(plan=PLAN, statuses=tuple(sorted(OPEN_STATUSES))), settings=settings
        )
    )
    assert len(events) == len(open_rows) > 0
    by_summary = {str(e["SUMMARY"]).split()[1]: e for e in events}
    for row in open_rows:
        event = by_summary[row.ref]
        start = event["DTSTART"].dt
        assert type(start) is date  # all-day
        assert start == row.deadline
        assert (event["DTEND"].dt - start).days == 1
        assert event["DTSTAMP"].dt.replace(tzinfo=None) == datetime(2026, 11, 25, 10, 0)
        assert f"Owner: {row.owner}" in str(event["DESCRIPTION"])
    assert "Owner: Anna Lee; Ops" in str(by_summary["R1.6"]["DESCRIPTION"])
    assert "OVERDUE" in str(by_summary["R3.6"]["DESCRIPTION"])


def test_text_with_commas_semicolons_and_newlines_round_trips(
    one_plan_store: Store, db_url: str, tmp_path: Path
) -> None:
    from tracker.formats.ics import write_calendar

    row = one_plan_store.get_action(f"{PLAN}:R1.6")
    text = "Review, with police; health \\ schools\nthen report – to the board ✓ " + "é" * 40
    row = row._replace(description=text)
    out = tmp_path / "one.ics"
    with open(out, "w", encoding="utf-8", newline="") as handle:
        write_calendar(
            [row], RuleSettings(today=date(2026, 11, 25)), handle, now=datetime(2026, 11, 25, 10)
        )
    raw = out.read_bytes()
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    event = next(iter(icalendar.Calendar.from_ical(raw).walk("VEVENT")))
    assert str(event["DESCRIPTION"]).endswith(text)


def test_uid_is_stable_per_action(one_plan_store: Store, db_url: str, tmp_path: Path) -> None:
    _, first = _calendar(db_url, tmp_path)
    one_plan_store.update_action(f"{PLAN}:R1.6", ActionChanges(progress=80), user="x")
    _, second = _calendar(db_url, tmp_path)
    uids = [str(e["UID"]) for e in first.walk("VEVENT")]
    assert uids == [str(e["UID"]) for e in second.walk("VEVENT")]
    assert len(set(uids)) == len(uids)


def test_owner_filter(one_plan_store: Store, db_url: str, tmp_path: Path) -> None:
    _, cal = _calendar(db_url, tmp_path, "--owner", "lado")
    owners = {str(e["DESCRIPTION"]).split("Owner: ")[1].split("\n")[0] for e in cal.walk("VEVENT")}
    assert owners == {"LADO Manager"}
    assert str(cal["X-WR-CALNAME"]) == "Improvement plan deadlines: lado"


def test_calendar_unknown_plan(
    one_plan_store: Store, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", db_url, "calendar", "--plan", "nope"]) == 1
    assert "no plan 'nope'" in capsys.readouterr().err
