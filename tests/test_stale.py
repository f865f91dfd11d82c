"""Stale actions: open with no history entry of any kind for more than `update_days`.

The clock is pinned with `TRACKER_NOW` for each write and `TRACKER_TODAY` (or `--today`)
for the judgement; days are whole UTC days, so an action last touched exactly
`update_days` days ago is not yet stale and one touched the day before is.
"""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import date, datetime

import pytest
from conftest import SAMPLES

from tracker.cli import main
from tracker.domain.records import ActionChanges, Filters
from tracker.domain.rules import RuleSettings, days_since_update, is_stale
from tracker.formats.plan_toml import load_plan_file
from tracker.storage.fastread import FastReader
from tracker.storage.store import Store
from tracker.storage.timeline import actions_as_of, changes_between

PLAN = "staffordshire-2024-ilacs"
TODAY = date(2026, 11, 25)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("touched", "stale", "days"),
    [
        ("2026-10-25T00:00:00", False, 31),  # exactly 31 days: not stale
        ("2026-10-25T23:59:59", False, 31),
        ("2026-10-24T23:59:59", True, 32),  # one day more: stale
        ("2026-11-25T09:00:00", False, 0),
        ("2026-12-01T09:00:00", False, 0),  # touched "after" today (a pinned past today)
    ],
)
def test_the_boundary_in_whole_utc_days(touched: str, stale: bool, days: int) -> None:
    settings = RuleSettings(today=TODAY)
    assert settings.update_days == 31
    assert is_stale("in_progress", _at(touched), settings) is stale
    assert days_since_update(_at(touched), TODAY) == days


@pytest.mark.parametrize("status", ["complete", "cancelled"])
def test_closed_actions_are_never_stale(status: str) -> None:
    assert not is_stale(status, _at("2020-01-01T00:00:00"), RuleSettings(today=TODAY))


def test_update_days_moves_the_window() -> None:
    settings = RuleSettings(today=TODAY, update_days=7)
    assert is_stale("blocked", _at("2026-11-17T12:00:00"), settings)
    assert not is_stale("blocked", _at("2026-11-18T00:00:00"), settings)


# --- through the store, with TRACKER_NOW pinned for each write ------------------------------


def _load(store: Store, monkeypatch: pytest.MonkeyPatch, moment: str) -> None:
    path = SAMPLES / f"{PLAN}.toml"
    monkeypatch.setenv("TRACKER_NOW", moment)
    store.import_plans([(path.name, load_plan_file(path))], user="seed")


def _touch(store: Store, monkeypatch: pytest.MonkeyPatch, moment: str, ref: str) -> None:
    monkeypatch.setenv("TRACKER_NOW", moment)
    store.update_action(f"{PLAN}:{ref}", ActionChanges(note="checked in"), user="amy")


@pytest.fixture
def aged(empty_store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    """The plan imported on 24 October late in the day (32 days before 25 November, so
    every open action is stale), then R1.4 noted exactly 31 days back and R2.2 today."""
    _load(empty_store, monkeypatch, "2026-10-24T23:30:00Z")
    _touch(empty_store, monkeypatch, "2026-10-25T00:00:00Z", "R1.4")
    _touch(empty_store, monkeypatch, "2026-11-25T10:00:00Z", "R2.2")
    return empty_store


def _stale_refs(store: Store, settings: RuleSettings, **filters: object) -> list[str]:
    rows = store.iter_actions(filters=Filters(stale=True, **filters), settings=settings)  # type: ignore[arg-type]
    return [r.ref for r in rows]


def test_store_lists_stale_actions_at_the_boundary(aged: Store) -> None:
    settings = RuleSettings(today=TODAY)
    stale = _stale_refs(aged, settings)
    every_open = [
        r.ref
        for r in aged.iter_actions(settings=settings)
        if r.status in ("not_started", "in_progress", "blocked")
    ]
    assert "R1.4" not in stale  # a note exactly 31 days ago keeps it current
    assert "R2.2" not in stale
    assert set(stale) == set(every_open) - {"R1.4", "R2.2"}
    assert stale
    counts = aged.view_counts(filters=Filters(stale=True), settings=settings)
    assert counts.total == len(stale)
    # A day later R1.4 is 32 days old too.
    later = _stale_refs(aged, replace(settings, today=date(2026, 11, 26)))
    assert "R1.4" in later


def test_any_history_entry_counts_as_an_update(
    aged: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = RuleSettings(today=TODAY)
    assert "R3.3" in _stale_refs(aged, settings)
    monkeypatch.setenv("TRACKER_NOW", "2026-11-20T10:00:00Z")
    aged.update_action(f"{PLAN}:R3.3", ActionChanges(progress=55), user="amy")
    assert "R3.3" not in _stale_refs(aged, settings)
    # An import --replace that changes an action is an entry too.
    monkeypatch.setenv("TRACKER_NOW", "2026-11-21T10:00:00Z")
    plan = aged.plan_data(PLAN)
    plan.recommendations[3].actions[0].progress = 61
    changed = plan.recommendations[3].actions[0].ref
    aged.import_plans([("again.toml", plan)], replace=True, user="seed")
    assert changed not in _stale_refs(aged, settings)
    # The action's last-touched time is the time of its latest history entry.
    for ref in ("R3.3", changed, "R1.4"):
        row = aged.get_action(f"{PLAN}:{ref}", settings=settings)
        assert row.updated_at == max(h.at for h in aged.history(row.id))


def test_the_fast_reader_agrees_with_the_store(aged: Store, db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("the light reader reads SQLite files only")
    reader = FastReader.open(aged.location)
    assert reader is not None
    try:
        for days in (0, 7, 31, 32, 400):
            settings = RuleSettings(today=TODAY, update_days=days)
            for filters in (
                Filters(stale=True),
                Filters(stale=True, owner="head"),
                Filters(stale=True, overdue=True),
                Filters(stale=True, statuses=("blocked",)),
                Filters(stale=True, rag="RED"),
            ):
                store_rows = list(aged.iter_actions(filters=filters, settings=settings))
                fast_rows = list(reader.iter_actions(filters=filters, settings=settings))
                assert fast_rows == store_rows, (days, filters)
                assert reader.view_counts(filters=filters, settings=settings) == (
                    aged.view_counts(filters=filters, settings=settings)
                )
                page = reader.page_actions(filters=filters, settings=settings, limit=3)
                assert page == aged.page_actions(filters=filters, settings=settings, limit=3)
    finally:
        reader.close()


def test_as_of_a_date_judges_the_rolled_back_update_time(aged: Store) -> None:
    # On 24 November with a 30-day window, R2.2 (noted on the 25th) had last been touched
    # at import, 31 days before: stale. R1.4, noted 30 days before, was not.
    day = date(2026, 11, 24)
    settings = RuleSettings(today=day, update_days=30)
    rows = actions_as_of(aged, day=day, filters=Filters(stale=True), settings=settings)
    refs = {r.ref for r in rows}
    assert "R2.2" in refs
    assert "R1.4" not in refs


def test_changes_counts_stale_actions_at_its_end(aged: Store) -> None:
    settings = RuleSettings(today=TODAY)
    log = changes_between(aged, since=date(2026, 11, 1), until=TODAY, settings=settings)
    assert log.summary()["stale"] == len(_stale_refs(aged, settings))


# --- the command line -------------------------------------------------------------------------


def _run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(args), out=out)
    return code, out.getvalue()


def test_list_stale_and_the_flag(aged: Store, db_url: str) -> None:
    db = db_url
    code, text = _run("--db", db, "list", "--stale", "--format", "json")
    assert code == 0
    refs = [r["action"] for r in json.loads(text)]
    assert refs == _stale_refs(aged, RuleSettings(today=TODAY))
    assert "stale" not in json.loads(text)[0]  # stale adds no column to the snapshot
    code, text = _run("--db", db, "list", "--stale")
    assert code == 0
    # The flag column says how long, where no OVERDUE or due soon mark takes it.
    assert "no update 32d" in text
    assert "R1.4 " not in text


def test_update_days_option_and_environment(
    aged: Store, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = db_url
    _, wide = _run("--db", db, "list", "--stale", "--format", "json", "--update-days", "40")
    assert json.loads(wide) == []
    _, narrow = _run("--db", db, "list", "--stale", "--format", "json", "--update-days", "30")
    assert "R1.4" in [r["action"] for r in json.loads(narrow)]
    monkeypatch.setenv("TRACKER_UPDATE_DAYS", "40")
    _, env = _run("--db", db, "list", "--stale", "--format", "json")
    assert json.loads(env) == []
    monkeypatch.setenv("TRACKER_UPDATE_DAYS", "a month")
    code, _ = _run("--db", db, "list", "--stale")
    assert code == 2


def test_a_bad_update_days_is_a_usage_error(
    aged: Store, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = _run("--db", db_url, "list", "--stale", "--update-days", "-1")
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("tracker: error:")
    assert "--update-days" in err


def test_changes_summary_counts_stale(aged: Store, db_url: str) -> None:
    db = db_url
    code, text = _run("--db", db, "changes", "--since", "2026-11-01", "--format", "json")
    assert code == 0
    data = json.loads(text)
    assert data["summary"]["stale"] == len(data["stale"]) > 0
    _, table = _run("--db", db, "changes", "--since", "2026-11-01")
    assert f"{data['summary']['stale']} stale (not updated)" in table


def test_every_writer_keeps_the_last_touched_time(
    aged: Store, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stale reads `updated_at`: each command that writes history sets it to that time."""
    steps = [
        ("2026-11-21T09:00:00Z", ["add-action", f"{PLAN}:R1", "--description", "New check",
                                  "--owner", "LADO Manager", "--deadline", "2027-01-31"]),
        ("2026-11-22T09:00:00Z", ["move", f"{PLAN}:R3.3", "--to", f"{PLAN}:R1"]),
        ("2026-11-23T09:00:00Z", ["update", f"{PLAN}:R4.2", "--notes", "panel met"]),
        ("2026-11-24T09:00:00Z", ["owner", "rename", "Head of Leaving Care Service",
                                  "Head of Care Leavers"]),
        ("2026-11-25T09:00:00Z", ["undo"]),
    ]  # fmt: skip
    for moment, args in steps:
        monkeypatch.setenv("TRACKER_NOW", moment)
        code, out = _run("--db", db_url, *args)
        assert code == 0, (args, out)
    settings = RuleSettings(today=TODAY)
    for row in aged.iter_actions(settings=settings):
        history = aged.history(row.id)
        if history:
            assert row.updated_at == max(h.at for h in history), row.address
