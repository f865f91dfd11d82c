"""Owners: `tracker owners`, addresses with history, and renames in one transaction."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from conftest import SAMPLES
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tracker.cli import main
from tracker.domain.errors import NotFoundError, StaleWriteError, ValidationError
from tracker.domain.owners import check_email
from tracker.domain.records import ActionChanges, Filters
from tracker.domain.rules import RuleSettings
from tracker.formats.plan_toml import load_plan_file
from tracker.storage.owners import (
    owner_email,
    owner_history,
    owner_summaries,
    rename_owner,
    set_email,
)
from tracker.storage.store import Store

PLAN = "staffordshire-2024-ilacs"
LADO = "LADO Manager"


@pytest.fixture
def store(empty_store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    """The plan imported on 1 October; R3.4 (a LADO Manager action) noted on 20 November."""
    path = SAMPLES / f"{PLAN}.toml"
    monkeypatch.setenv("TRACKER_NOW", "2026-10-01T09:00:00Z")
    empty_store.import_plans([(path.name, load_plan_file(path))], user="seed")
    monkeypatch.setenv("TRACKER_NOW", "2026-11-20T09:00:00Z")
    empty_store.update_action(f"{PLAN}:R3.4", ActionChanges(note="on track"), user="amy")
    monkeypatch.setenv("TRACKER_NOW", "2026-11-25T10:00:00Z")
    return empty_store


def _run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(args), out=out), out.getvalue()


SETTINGS = RuleSettings(today=date(2026, 11, 25))


def test_owner_counts_agree_with_the_rules_row_by_row(store: Store) -> None:
    rows = list(store.iter_actions(settings=SETTINGS))
    summaries = {s.name: s for s in owner_summaries(store, settings=SETTINGS)}
    assert set(summaries) == {r.owner for r in rows}
    for name, s in summaries.items():
        mine = [r for r in rows if r.owner == name]
        assert s.actions == len(mine)
        assert s.open == sum(r.status in ("not_started", "in_progress", "blocked") for r in mine)
        assert s.overdue == sum(r.overdue(SETTINGS.today) for r in mine)
        assert s.due_soon == sum(r.due_soon(SETTINGS) for r in mine)
        assert s.stale == sum(r.stale(SETTINGS) for r in mine)
    assert summaries[LADO].stale == summaries[LADO].open - 1  # R3.4 was noted


def test_owners_command_formats(store: Store, db_url: str) -> None:
    set_email(store, LADO, "lado@staffs.example.gov.uk", user="amy")
    code, out = _run("--db", db_url, "owners", "--format", "json")
    assert code == 0
    data = {r["owner"]: r for r in json.loads(out)}
    assert data[LADO]["email"] == "lado@staffs.example.gov.uk"
    assert set(data[LADO]) == {"owner", "email", "actions", "open", "overdue", "due_soon", "stale"}
    code, out = _run("--db", db_url, "owners")
    assert code == 0
    assert out.splitlines()[0].split() == [
        "OWNER",
        "OPEN",
        "OVERDUE",
        "DUE",
        "SOON",
        "STALE",
        "EMAIL",
    ]
    assert "lado@staffs.example.gov.uk" in out
    assert "(no address)" in out
    code, out = _run("--db", db_url, "owners", "--format", "csv")
    assert out.startswith("\ufeffowner,email,actions,open,overdue,due_soon,stale\r\n")
    code, out = _run("--db", db_url, "owners", "--owner", "lado", "--format", "json")
    assert [r["owner"] for r in json.loads(out)] == [LADO]
    code, _ = _run("--db", db_url, "owners", "--plan", "no-such-plan")
    assert code == 1


@pytest.mark.parametrize(
    "address",
    [
        "lado@staffs.example.gov.uk",
        "first.last+board@council.org",
        "  padded@example.org  ",
    ],
)
def test_well_formed_addresses_are_taken(address: str) -> None:
    assert check_email(address) == address.strip()


@pytest.mark.parametrize(
    "address",
    [
        "",
        "no-at-sign",
        "two@@example.org",
        "a@localhost",
        "space in@example.org",
        "a@example.org, b@example.org",
        "Name <a@example.org>",
        "a@example.org\nBcc: evil@example.org",
        "a@example.org\r\nX-Injected: yes",
        "a@-bad-.org",
        "a@example.123",
        "x" * 65 + "@example.org",
        "é@example.org",
        ".a@example.org",
    ],
)
def test_malformed_addresses_are_refused(address: str) -> None:
    with pytest.raises(ValidationError):
        check_email(address)


def test_set_records_history_and_refuses_stale_writes(store: Store) -> None:
    change = set_email(store, LADO, "lado@example.org", user="amy", expected_version=0)
    assert (change.old, change.new, change.version) == (None, "lado@example.org", 1)
    assert set_email(store, LADO, "lado@example.org", user="amy").changed is False
    with pytest.raises(StaleWriteError):
        set_email(store, LADO, "other@example.org", user="ben", expected_version=0)
    set_email(store, LADO, "new@example.org", user="ben", expected_version=1, note="moved team")
    set_email(store, LADO, None, user="cy")
    assert owner_email(store, LADO) == (None, 3)
    history = owner_history(store, LADO)
    assert [(h.by, h.field, h.old, h.new, h.note) for h in history] == [
        ("amy", "email", None, "lado@example.org", None),
        ("ben", "email", "lado@example.org", "new@example.org", "moved team"),
        ("cy", "email", "new@example.org", None, None),
    ]


def test_set_for_an_unknown_owner_is_refused(store: Store) -> None:
    with pytest.raises(NotFoundError, match="exact owner text"):
        set_email(store, "lado manager", "x@example.org", user="amy")  # case matters


def test_owner_history_is_append_only(store: Store) -> None:
    set_email(store, LADO, "lado@example.org", user="amy")
    with pytest.raises(DBAPIError), store.engine.begin() as conn:
        conn.execute(text("UPDATE owner_history SET new = 'x@example.org'"))
    with pytest.raises(DBAPIError), store.engine.begin() as conn:
        conn.execute(text("DELETE FROM owner_history"))
    assert len(owner_history(store, LADO)) == 1


def test_rename_moves_every_action_with_history_in_one_go(store: Store) -> None:
    set_email(store, LADO, "lado@example.org", user="amy")
    before = {
        r.id: r.version
        for r in store.iter_actions(filters=Filters(), settings=SETTINGS)
        if r.owner == LADO
    }
    result = rename_owner(store, LADO, "LADO Lead", user="ben")
    assert result.actions == len(before) == 3
    assert result.email == "lado@example.org"
    for action_id, version in before.items():
        row = store.get_action(action_id, settings=SETTINGS)
        assert row.owner == "LADO Lead"
        assert row.version == version + 1
        last = store.history(action_id)[-1]
        assert (last.field, last.old, last.new, last.by) == ("owner", LADO, "LADO Lead", "ben")
        assert not row.stale(SETTINGS)  # the rename is an update
    assert owner_email(store, "LADO Lead") == ("lado@example.org", 2)
    assert owner_email(store, LADO) == (None, 0)
    assert [h.field for h in owner_history(store, "LADO Lead")] == ["email", "name"]


def test_rename_onto_an_owner_with_an_address_keeps_theirs(store: Store) -> None:
    set_email(store, LADO, "lado@example.org", user="amy")
    set_email(store, "Head of Safeguarding", "hos@example.org", user="amy")
    result = rename_owner(store, LADO, "Head of Safeguarding", user="ben")
    assert result.email == "hos@example.org"
    assert result.dropped_email == "lado@example.org"
    assert owner_email(store, LADO)[0] is None
    assert not [r for r in store.iter_actions(settings=SETTINGS) if r.owner == LADO]


def test_bad_renames_change_nothing(store: Store, db_url: str) -> None:
    stamp = store.data_stamp()
    with pytest.raises(NotFoundError):
        rename_owner(store, "Nobody", "Somebody", user="ben")
    with pytest.raises(ValidationError):
        rename_owner(store, LADO, "two\nlines", user="ben")
    with pytest.raises(ValidationError):
        rename_owner(store, LADO, LADO, user="ben")
    assert store.data_stamp() == stamp
    code, _ = _run("--db", db_url, "owner", "rename", LADO, "  ")
    assert code == 2
    assert store.data_stamp() == stamp


def test_owner_commands(store: Store, db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run("--db", db_url, "owner", "set", LADO, "--email", "lado@example.org")
    assert code == 0
    assert out == f"{LADO}: email (none) -> lado@example.org (by test.secretary)\n"
    code, out = _run("--db", db_url, "owner", "set", LADO, "--email", "lado@example.org")
    assert out == f"{LADO}: no change\n"
    code, _ = _run("--db", db_url, "owner", "set", LADO, "--email", "not an address")
    assert code == 2
    assert capsys.readouterr().err.startswith("tracker: error: --email: 'not an address'")
    code, _ = _run("--db", db_url, "owner", "set", "Nobody", "--email", "a@example.org")
    assert code == 1
    code, out = _run("--db", db_url, "owner", "rename", LADO, "LADO Lead")
    assert code == 0
    assert out.startswith("renamed 'LADO Manager' to 'LADO Lead': 3 actions (by test.secretary)")
    code, out = _run("--db", db_url, "owner", "show", "LADO Lead")
    assert code == 0
    assert "Email:    lado@example.org" in out
    assert "name: LADO Manager -> LADO Lead" in out


def test_read_only_store_refuses_owner_changes(store: Store, sqlite_url: str) -> None:
    if not store.location.endswith(".db"):
        pytest.skip("a SQLite file opened read-only")
    reader = Store.open(store.location, read_only=True)
    try:
        from tracker.domain.errors import ReadOnlyError

        with pytest.raises(ReadOnlyError):
            set_email(reader, LADO, "a@example.org", user="amy")
        with pytest.raises(ReadOnlyError):
            rename_owner(reader, LADO, "X", user="amy")
    finally:
        reader.close()


def test_exact_owner_filter_in_both_readers(store: Store, db_url: str) -> None:
    """`owner_is` (the owners screen's enter) is exact; `owner` is the typed substring."""
    from tracker.domain.filtering import matches
    from tracker.storage.fastread import FastReader

    exact = Filters(owner_is="Head of Service, Front Door")
    rows = list(store.iter_actions(filters=exact, settings=SETTINGS))
    assert rows
    assert {r.owner for r in rows} == {"Head of Service, Front Door"}
    loose = list(store.iter_actions(filters=Filters(owner="Head of Service"), settings=SETTINGS))
    assert len(loose) > len(rows)
    assert all(matches(r, exact, SETTINGS) == (r.owner == exact.owner_is) for r in loose)
    assert not list(
        store.iter_actions(
            filters=Filters(owner_is="head of service, front door"), settings=SETTINGS
        )
    )
    if db_url.startswith("sqlite"):
        reader = FastReader.open(store.location)
        assert reader is not None
        try:
            for filters in (exact, Filters(owner_is=LADO, stale=True)):
                assert list(reader.iter_actions(filters=filters, settings=SETTINGS)) == list(
                    store.iter_actions(filters=filters, settings=SETTINGS)
                )
        finally:
            reader.close()


def test_undo_takes_a_rename_back(store: Store, db_url: str) -> None:
    """A rename is one change group: `tracker undo` gives the actions back to the old name."""
    rename_owner(store, LADO, "LADO Lead", user="test.secretary")
    code, out = _run("--db", db_url, "undo")
    assert code == 0, out
    owners = {r.owner for r in store.iter_actions(settings=SETTINGS)}
    assert LADO in owners
    assert "LADO Lead" not in owners
    row = next(r for r in store.iter_actions(settings=SETTINGS) if r.owner == LADO)
    assert [(h.field, h.old, h.new) for h in store.history(row.id)[-2:]] == [
        ("owner", LADO, "LADO Lead"),
        ("owner", "LADO Lead", LADO),
    ]
