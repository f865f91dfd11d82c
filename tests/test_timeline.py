"""History over time: the clock, `changes` in a period, actions as at a date, the trend.

A plan is loaded on 1 September and updated on several days with `TRACKER_NOW` pinned to
each, as a board secretary back-filling paper updates would; `changes` and
`export --as-of` are then read at dates in between.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from pathlib import Path

import pytest
from board_support import PLAN, tell_story
from conftest import TODAY
from sqlalchemy import event

from tracker.cli import main
from tracker.domain.records import ActionChanges, Filters
from tracker.domain.rules import RuleSettings
from tracker.storage.store import Store
from tracker.storage.timeline import actions_as_of, changes_between, monthly_trend


def at(settings_today: date) -> RuleSettings:
    return RuleSettings(today=settings_today)


@pytest.fixture
def story(empty_store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    """Staffordshire's plan loaded on 1 September, then updated through the autumn."""
    return tell_story(empty_store, monkeypatch)


def test_history_takes_its_time_from_the_pinned_clock(story: Store) -> None:
    row = story.get_action(f"{PLAN}:R1.3")
    times = [(h.at, h.by, h.field) for h in story.history(row.id)]
    assert times == [
        (datetime(2026, 10, 5, 10, 0), "amy", "progress"),
        (datetime(2026, 10, 20, 10, 0), "ben", "deadline"),
        (datetime(2026, 11, 2, 10, 0), "amy", "status"),
        (datetime(2026, 11, 2, 10, 0), "amy", "progress"),
    ]
    assert row.updated_at == datetime(2026, 11, 2, 10, 0)


def _as_of(store: Store, day: date, **filters: object) -> dict[str, object]:
    return {
        r.ref: r
        for r in actions_as_of(
            store,
            day=day,
            filters=Filters(plan=PLAN, **filters),  # type: ignore[arg-type]
            settings=at(day),
        )
    }


def test_as_of_rolls_each_field_back_to_the_end_of_the_day(story: Store) -> None:
    before = _as_of(story, date(2026, 10, 4))["R1.3"]
    assert (before.progress, before.status, before.deadline) == (
        60,
        "in_progress",
        date(2027, 3, 31),
    )  # type: ignore[attr-defined]
    assert before.updated_at == datetime(2026, 9, 1, 9, 0)  # type: ignore[attr-defined]
    assert before.updated_by == "seed"  # type: ignore[attr-defined]

    mid = _as_of(story, date(2026, 10, 10))["R1.3"]
    assert (mid.progress, mid.deadline, mid.original_deadline, mid.revisions) == (  # type: ignore[attr-defined]
        70,
        date(2027, 3, 31),
        None,
        0,
    )
    assert (mid.updated_at, mid.updated_by) == (datetime(2026, 10, 5, 10, 0), "amy")  # type: ignore[attr-defined]

    later = _as_of(story, date(2026, 10, 25))["R1.3"]
    assert (later.deadline, later.original_deadline, later.revisions) == (  # type: ignore[attr-defined]
        date(2027, 6, 30),
        date(2027, 3, 31),
        1,
    )
    assert later.status == "in_progress"  # type: ignore[attr-defined]

    owner_then = _as_of(story, date(2026, 11, 9))["R1.6"]
    assert owner_then.owner == "Head of Service, Front Door"  # type: ignore[attr-defined]
    assert _as_of(story, TODAY)["R1.6"].owner == "Head of Early Help"  # type: ignore[attr-defined]


def test_as_of_leaves_out_actions_not_yet_created(story: Store) -> None:
    assert _as_of(story, date(2026, 8, 31)) == {}
    assert "R1.7" not in _as_of(story, date(2026, 10, 11))
    assert "R1.7" in _as_of(story, date(2026, 10, 12))


def test_as_of_filters_judge_the_rolled_back_values(story: Store) -> None:
    # On 2 November R1.3 was complete; on 1 November it was still in progress.
    assert "R1.3" in _as_of(story, date(2026, 11, 1), statuses=("in_progress",))
    assert "R1.3" not in _as_of(story, date(2026, 11, 2), statuses=("in_progress",))
    overdue = _as_of(story, date(2026, 10, 10), overdue=True)
    assert "R1.4" in overdue  # deadline 30 September
    assert "R3.3" not in overdue  # deadline 16 October: not yet
    assert "R3.3" in _as_of(story, date(2026, 10, 17), overdue=True)
    assert "R1.6" in _as_of(story, date(2026, 11, 9), owner="front door")
    assert "R1.6" not in _as_of(story, date(2026, 11, 10), owner="front door")


def test_as_of_reads_history_in_a_fixed_number_of_queries(story: Store) -> None:
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(story.engine, "before_cursor_execute", count)
    try:
        rows = list(actions_as_of(story, day=date(2026, 10, 10), settings=at(date(2026, 10, 10))))
    finally:
        event.remove(story.engine, "before_cursor_execute", count)
    assert len(rows) == 23  # R1.7 came on 12 October
    # Five reads whatever the number of actions or changes: none per action.
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 5


def test_export_as_of_on_the_command_line(story: Store, db_url: str) -> None:
    out = io.StringIO()
    assert main(["--db", db_url, "export", "--plan", PLAN, "--as-of", "2026-10-10"], out=out) == 0
    rows = list(csv.DictReader(io.StringIO(out.getvalue().lstrip("\ufeff"))))
    assert len(rows) == 23
    assert {r["as_of"] for r in rows} == {"2026-10-10"}
    by_ref = {r["action"]: r for r in rows}
    assert by_ref["R1.3"]["progress"] == "70"
    assert by_ref["R1.3"]["deadline"] == "2027-03-31"
    assert by_ref["R1.3"]["original_deadline"] == ""
    assert by_ref["R1.3"]["last_updated"] == "2026-10-05T10:00:00Z"
    # Overdue and RAG judged on 10 October: R1.4 was 10 days late, so AMBER, not RED.
    assert (by_ref["R1.4"]["overdue"], by_ref["R1.4"]["days_overdue"]) == ("yes", "10")
    assert by_ref["R1.4"]["rag"] == "AMBER"
    assert list(rows[0].keys())[-1] == "last_updated_by"


def test_list_as_of_counts_and_json(story: Store, db_url: str) -> None:
    out = io.StringIO()
    args = ["--db", db_url, "list", "--plan", PLAN, "--as-of", "2026-10-25", "--overdue"]
    assert main(args, out=out) == 0
    text = out.getvalue()
    assert "R3.3" in text
    assert "R1.4" in text
    assert "(as at 2026-10-25)" in text
    out = io.StringIO()
    args = ["--db", db_url, "list", "--plan", PLAN, "--as-of", "2026-10-25", "--format", "json"]
    assert main([*args, "--slippage"], out=out) == 0
    objs = {o["action"]: o for o in json.loads(out.getvalue())}
    assert objs["R1.3"]["slippage_days"] == 91
    assert objs["R1.3"]["revisions"] == 1


def test_as_of_after_today_is_refused(
    story: Store, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", db_url, "list", "--as-of", "2026-12-01"]) == 2
    assert "tracker: error: --as-of 2026-12-01 is after today" in capsys.readouterr().err


def test_changes_in_october(story: Store, settings: RuleSettings) -> None:
    log = changes_between(
        story, since=date(2026, 10, 1), until=date(2026, 10, 31), plan=PLAN, settings=settings
    )
    assert [(e.ref, e.field) for e in log.entries] == [("R1.3", "progress"), ("R1.3", "deadline")]
    assert log.entries[1].note == "Extended for the new cohort"
    assert log.completed == []
    assert [r.ref for r in log.added] == ["R1.7"]
    assert len(log.deadlines_moved) == 1
    assert log.status_changes == []
    newly = {r.ref for r in log.newly_overdue}
    # R3.3 (16 October) and the new R1.7 (30 October) fell due in October and stayed open;
    # R1.4 (30 September) was already overdue on 1 October.
    assert {"R3.3", "R1.7"} <= newly
    assert "R1.4" not in newly
    assert log.summary()["changes"] == 2


def test_changes_in_november_count_the_completion(story: Store, settings: RuleSettings) -> None:
    log = changes_between(story, since=date(2026, 11, 1), until=TODAY, settings=settings)
    assert [r.ref for r in log.completed] == ["R1.3"]
    assert [e.field for e in log.status_changes] == ["status"]
    assert [(e.field, e.old, e.new) for e in log.entries if e.ref == "R1.6"] == [
        ("owner", "Head of Service, Front Door", "Head of Early Help")
    ]
    assert log.added == []


def test_changes_command_formats(story: Store, db_url: str, tmp_path: Path) -> None:
    base = ["--db", db_url, "changes", "--since", "2026-10-01", "--until", "31/10/2026"]
    out = io.StringIO()
    assert main(base, out=out) == 0
    text = out.getvalue()
    assert "Changes from 1 October 2026 to 31 October 2026" in text
    assert "2 changes: 0 completed" in text
    assert "1 action added" in text
    assert "Extended for the new cohort" in text

    target = tmp_path / "changes.csv"
    assert main([*base, "--format", "csv", "--output", str(target)]) == 0
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in raw
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["field"] for r in rows] == ["progress", "deadline"]
    assert rows[0]["at"] == "2026-10-05T10:00:00Z"
    assert rows[0]["by"] == "amy"
    assert rows[0]["action"] == f"{PLAN}:R1.3"

    out = io.StringIO()
    assert main([*base, "--format", "json"], out=out) == 0
    obj = json.loads(out.getvalue())
    assert obj["summary"]["deadlines_moved"] == 1
    assert obj["actions_added"] == [f"{PLAN}:R1.7"]
    assert obj["changes"][1]["old"] == "2027-03-31"

    out = io.StringIO()
    assert main([*base, "--format", "markdown"], out=out) == 0
    assert out.getvalue().startswith("# Changes from 1 October 2026 to 31 October 2026")
    assert "| Action | From | To | Reason | By |" in out.getvalue()


def test_changes_bad_period_is_a_usage_error(
    story: Store, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", db_url, "changes", "--since", "2026-11-01", "--until", "2026-10-01"]) == 2
    assert "is before --since" in capsys.readouterr().err
    assert main(["--db", db_url, "changes", "--since", "31/02/2026"]) == 2
    assert "--since: '31/02/2026' is not a real date" in capsys.readouterr().err


def test_monthly_trend_from_history(story: Store, settings: RuleSettings) -> None:
    points = monthly_trend(story, settings=settings, months=6, plan=PLAN)
    # Months before the plan was loaded (June to August) are left out.
    assert [p.label for p in points] == ["Sep 2026", "Oct 2026", "Nov 2026"]
    sep, oct_, nov = points
    assert sep.total == 23
    assert oct_.total == 24
    assert nov.total == 24
    assert nov.complete == oct_.complete + 1  # R1.3 completed on 2 November
    assert nov.as_at == TODAY
    assert oct_.as_at == date(2026, 10, 31)
    assert all(p.open + p.complete <= p.total for p in points)
    assert oct_.overdue >= sep.overdue


def test_snapshot_keeps_23_columns_unless_slippage_is_asked(story: Store, db_url: str) -> None:
    out = io.StringIO()
    assert main(["--db", db_url, "export", "--plan", PLAN], out=out) == 0
    header = next(csv.reader(io.StringIO(out.getvalue().lstrip("\ufeff"))))
    assert len(header) == 23
    out = io.StringIO()
    assert main(["--db", db_url, "list", "--format", "csv", "--slippage"], out=out) == 0
    reader = csv.DictReader(io.StringIO(out.getvalue().lstrip("\ufeff")))
    rows = {r["action"]: r for r in reader}
    assert reader.fieldnames is not None
    assert reader.fieldnames[23:] == [
        "slippage_days",
        "revisions",
    ]
    assert (rows["R1.3"]["slippage_days"], rows["R1.3"]["revisions"]) == ("91", "1")
    assert (rows["R1.1"]["slippage_days"], rows["R1.1"]["revisions"]) == ("0", "0")


def test_list_table_shows_slippage(story: Store, db_url: str) -> None:
    out = io.StringIO()
    assert (
        main(["--db", db_url, "list", "--plan", PLAN, "--search", "monthly themed"], out=out) == 0
    )
    header, line = out.getvalue().splitlines()[:2]
    assert "SLIP" in header
    assert "REV" in header
    assert "+91d" in line
    assert " 1 " in line


def test_a_bad_tracker_now_is_a_usage_error(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRACKER_NOW", "last tuesday")
    assert main(["--db", db_url, "plans"]) == 2
    assert "tracker: error: TRACKER_NOW: 'last tuesday' is not an ISO timestamp" in (
        capsys.readouterr().err
    )


def test_tracker_now_with_an_offset_is_stored_as_utc(
    one_plan_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_NOW", "2026-06-15T10:30:00+01:00")
    result = one_plan_store.update_action(f"{PLAN}:R1.6", ActionChanges(progress=75), user="x")
    assert [e.at for e in result.entries] == [datetime(2026, 6, 15, 9, 30)]
    assert one_plan_store.history(result.row.id)[-1].at == datetime(2026, 6, 15, 9, 30)


def test_list_csv_as_of_is_export_as_of(story: Store, db_url: str) -> None:
    args = ["--as-of", "2026-10-25", "--plan", PLAN, "--slippage"]
    listed, exported = io.StringIO(), io.StringIO()
    assert main(["--db", db_url, "list", "--format", "csv", *args], out=listed) == 0
    assert main(["--db", db_url, "export", *args], out=exported) == 0
    assert listed.getvalue() == exported.getvalue()
    overdue = io.StringIO()
    assert (
        main(["--db", db_url, "overdue", "--as-of", "2026-10-10", "--format", "json"], out=overdue)
        == 0
    )
    assert {o["action"] for o in json.loads(overdue.getvalue())} >= {"R1.4"}
    assert all(o["as_of"] == "2026-10-10" for o in json.loads(overdue.getvalue()))
