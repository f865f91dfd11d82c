"""The owners screen (`w`) and the stale filter (`n`) in the terminal UI, driven by Pilot,
and a snapshot of the owners screen."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input
from tui_support import SIZE, build, main_screen, notifications, settle, visible_lines

from tracker.domain.records import ActionChanges
from tracker.domain.rules import RuleSettings
from tracker.formats.plan_toml import load_plan_file
from tracker.storage.owners import owner_email, owner_history, set_email
from tracker.storage.store import Store
from tracker.tui.app import TrackerApp
from tracker.tui.screens.owners import AddressScreen, OwnersScreen
from tracker.tui.widgets.detail import DetailPanel

SAMPLES = Path(__file__).resolve().parent.parent / "sample_plans"
PLAN = "staffordshire-2024-ilacs"
LADO = "LADO Manager"
TODAY = date(2026, 11, 25)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """Staffordshire's plan loaded on 1 October (its quiet actions are stale by 25 November),
    an action noted since, and one owner with an address."""
    store = Store.open(f"sqlite:///{tmp_path / 'owners.db'}")
    path = SAMPLES / f"{PLAN}.toml"
    monkeypatch.setenv("TRACKER_NOW", "2026-10-01T09:00:00Z")
    store.import_plans([(path.name, load_plan_file(path))], user="seed")
    monkeypatch.setenv("TRACKER_NOW", "2026-11-20T09:00:00Z")
    store.update_action(f"{PLAN}:R3.4", ActionChanges(note="briefings booked"), user="amy")
    monkeypatch.setenv("TRACKER_NOW", "2026-11-25T10:00:00Z")
    set_email(store, "Head of Safeguarding", "hos@staffs.example.gov.uk", user="seed")
    yield store
    store.close()


@pytest.fixture
def app(store: Store) -> TrackerApp:
    return build(store, RuleSettings(today=TODAY), location="owners.db")


def _owners_screen(app: TrackerApp) -> OwnersScreen:
    assert isinstance(app.screen, OwnersScreen)
    return app.screen


def _owner_row(screen: OwnersScreen, name: str) -> int:
    return [s.name for s in screen.owners].index(name)


async def test_w_lists_owners_and_enter_shows_that_owners_actions(
    app: TrackerApp, store: Store
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        screen = _owners_screen(app)
        counts = {s.name: s for s in screen.owners}
        lado = counts[LADO]
        assert (lado.open, lado.overdue, lado.due_soon, lado.stale) == (2, 1, 1, 1)
        assert counts["Head of Safeguarding"].email == "hos@staffs.example.gov.uk"
        table = screen.query_one(DataTable)
        assert table.row_count == len(counts)
        table.move_cursor(row=_owner_row(screen, LADO))
        await pilot.press("enter")
        await settle(pilot)
        main = main_screen(app)
        assert app.screen is main
        assert main.state.filters.owner_is == LADO
        lines = visible_lines(app)
        rows = [line for line in lines[1:] if line.strip()]
        owned = [r for r in store.iter_actions(settings=main.settings) if r.owner == LADO]
        assert len(rows) == len(owned) == 3  # exactly this owner, not every "LADO" match
        assert "owner 'LADO Manager'" in str(main.query_one("#summary").render())
        await pilot.press("escape")
        await settle(pilot)
        assert main.state.filters.owner_is is None


async def test_an_address_is_recorded_from_the_owners_screen(app: TrackerApp, store: Store) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        screen = _owners_screen(app)
        screen.query_one(DataTable).move_cursor(row=_owner_row(screen, LADO))
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, AddressScreen)
        field = app.screen.query_one("#address", Input)
        field.value = "not an address"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, AddressScreen)  # refused in the form, nothing saved
        assert "is not an email address" in str(app.screen.query_one("#address-problem").render())
        field.value = "lado@staffs.example.gov.uk"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, OwnersScreen)
        assert owner_email(store, LADO) == ("lado@staffs.example.gov.uk", 1)
        [entry] = owner_history(store, LADO)
        assert (entry.by, entry.field, entry.new) == ("test.secretary", "email", entry.new)
        assert any("address lado@staffs.example.gov.uk recorded" in n for n in notifications(app))
        emails = {s.name: s.email for s in _owners_screen(app).owners}
        assert emails[LADO] == "lado@staffs.example.gov.uk"


async def test_a_stale_address_change_is_refused(app: TrackerApp, store: Store) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        screen = _owners_screen(app)
        screen.query_one(DataTable).move_cursor(row=_owner_row(screen, "Head of Safeguarding"))
        # Someone else changes the address after the screen read it.
        set_email(store, "Head of Safeguarding", "other@staffs.example.gov.uk", user="ben")
        await pilot.press("a")
        await settle(pilot)
        app.screen.query_one("#address", Input).value = "mine@staffs.example.gov.uk"
        await pilot.press("enter")
        await settle(pilot)
        assert owner_email(store, "Head of Safeguarding")[0] == "other@staffs.example.gov.uk"
        assert any("someone else changed this owner" in n for n in notifications(app))


async def test_read_only_refuses_an_address(store: Store) -> None:
    app = build(store, RuleSettings(today=TODAY), read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, OwnersScreen)
        assert any("read-only" in n.lower() for n in notifications(app))


async def test_n_shows_only_stale_actions_with_their_days(app: TrackerApp, store: Store) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        main = main_screen(app)
        assert main.state.filters.stale
        settings = main.settings
        stale = [r for r in store.iter_actions(settings=settings) if r.stale(settings)]
        rows = [line for line in visible_lines(app)[1:] if line.strip()]
        assert len(rows) == len(stale) > 0
        assert "R3.4 " not in "\n".join(rows)  # noted on 20 November
        # Where no OVERDUE or due soon mark takes the flag column, it says how long.
        quiet = [r for r in stale if not r.overdue(TODAY) and not r.due_soon(settings)]
        assert quiet
        assert any("no update 55d" in line for line in rows), rows
        assert "not updated" in str(main.query_one("#summary").render())
        detail = str(main.query_one(DetailPanel).query_one("#detail-body").render())
        assert "no update 55d" in detail
        await pilot.press("n")
        await settle(pilot)
        assert not main.state.filters.stale


def test_owners_screen_snapshot(app: TrackerApp, snap_compare: Any) -> None:
    """`w`: owners with open, overdue, due-soon and stale counts and their addresses."""

    async def owners(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(120, 30), run_before=owners)
