"""Pilot tests of the terminal UI: each flow a user relies on, on a temporary store."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from textual import events
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Button, Input, Markdown, Static, TextArea
from tui_support import (
    SIZE,
    build,
    count,
    main_screen,
    notifications,
    settle,
    table,
    visible_lines,
)

from tracker.domain.errors import StoreError, ValidationError
from tracker.domain.records import ActionChanges, ActionRow
from tracker.domain.rules import RuleSettings
from tracker.formats.plan_toml import load_plan_file
from tracker.storage.store import MAX_TEXT, Store
from tracker.tui.app import TrackerApp
from tracker.tui.screens.edit import EditScreen
from tracker.tui.screens.export import ExportScreen
from tracker.tui.screens.help import HelpScreen, help_text
from tracker.tui.screens.history import HistoryScreen
from tracker.tui.widgets.action_table import ActionTable
from tracker.tui.widgets.bars import SummaryLine, TopBar
from tracker.tui.widgets.plan_tree import PlanTree
from tracker.tui.widgets.welcome import Welcome

ROOT = Path(__file__).resolve().parent.parent


def _plain(widget: Static) -> str:
    return str(widget.render())


async def test_main_screen_shows_the_view_and_its_summary(
    sample_store: Store, settings: RuleSettings
) -> None:
    app = build(sample_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        total = count(sample_store, settings)
        overdue = count(sample_store, settings, overdue=True)
        assert table(app).total == total
        summary = _plain(main_screen(app).query_one(SummaryLine))
        assert f"{total} actions" in summary
        assert f"{overdue} overdue" in summary
        lines = visible_lines(app)
        assert lines[0].split()[:3] == ["Plan", "Ref", "▲"]  # the view spans three plans
        assert any("OVERDUE" in line for line in lines)
        top = _plain(main_screen(app).query_one(TopBar))
        assert "2026-11-25" in top
        assert "READ-ONLY" not in top


async def test_overdue_filter_toggles(sample_store: Store, settings: RuleSettings) -> None:
    app = build(sample_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        overdue = count(sample_store, settings, overdue=True)
        assert 0 < overdue < count(sample_store, settings)
        assert table(app).total == overdue
        rows = table(app).loaded_rows()
        assert rows
        assert all(r.overdue(settings.today) for r in rows)
        assert "overdue only" in _plain(main_screen(app).query_one(SummaryLine))
        await pilot.press("o")
        await settle(pilot)
        assert table(app).total == count(sample_store, settings)


async def test_search_by_text_and_escape_clears(
    sample_store: Store, settings: RuleSettings
) -> None:
    app = build(sample_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await pilot.press(*"q?/")  # typed into the search box, not quit, help or search
        await settle(pilot)
        assert app.is_running
        assert main_screen(app).query_one("#search", Input).value == "q?/"
        await pilot.press("backspace", "backspace", "backspace")
        await pilot.press(*"lado")
        await settle(pilot)
        rows = table(app).loaded_rows()
        assert rows
        assert table(app).total == count(sample_store, settings, search="lado")
        for row in rows:
            assert "lado" in f"{row.ref} {row.description} {row.owner}".lower()
        await pilot.press("enter")
        await pilot.press("escape")
        await settle(pilot)
        assert table(app).total == count(sample_store, settings)
        assert not main_screen(app).query_one("#search", Input).display


def _type_at_once(app: TrackerApp, keys: list[tuple[str, str]]) -> None:
    """Keys (name, character) through the terminal's own input path, with no pause between."""
    driver = app._driver
    assert driver is not None
    for name, char in keys:
        key = events.Key(name, char)
        key.set_sender(app)
        driver.send_message(key)


async def test_letters_typed_straight_after_slash_reach_the_search_box(
    sample_store: Store, settings: RuleSettings
) -> None:
    """Keys already queued behind "/" (a fast typist, a paste) go to the search, not the table."""
    app = build(sample_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        _type_at_once(app, [("slash" if c == "/" else c, c) for c in "/LADO"])
        await settle(pilot)
        assert main_screen(app).query_one("#search", Input).value == "LADO"
        assert table(app).total == count(sample_store, settings, search="LADO")


async def test_keys_queued_behind_e_open_one_form_not_two(
    sample_store: Store, settings: RuleSettings
) -> None:
    """`e` then `enter` (or `h`) arriving together, as in a paste: one form, nothing stacked."""
    app = build(sample_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        _type_at_once(app, [("e", "e"), ("enter", "\r"), ("h", "h")])
        await settle(pilot)
        assert isinstance(app.screen, EditScreen)
        assert [type(s).__name__ for s in app.screen_stack[1:]] == ["MainScreen", "EditScreen"]


async def test_tree_selects_a_recommendation(sample_store: Store, settings: RuleSettings) -> None:
    app = build(sample_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tree = main_screen(app).query_one(PlanTree)
        tree.focus()
        await pilot.press("down", "down", "enter")  # the first plan's first recommendation
        await settle(pilot)
        place = tree.cursor_node.data if tree.cursor_node else None
        assert place is not None
        assert place.rec is not None
        rows = table(app).loaded_rows()
        assert rows
        assert {(r.plan_key, r.rec_ref) for r in rows} == {(place.plan, place.rec)}
        assert table(app).total == count(sample_store, settings, plan=place.plan, rec=place.rec)
        await pilot.press("up", "up", "enter")  # All plans
        await settle(pilot)
        assert table(app).total == count(sample_store, settings)


async def _open_form(pilot: object, app: object, key: str = "e") -> EditScreen:
    await pilot.press(key)  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, EditScreen)
    return screen


async def _save_refused(
    pilot: Pilot[object],
    app: TrackerApp,
    form: EditScreen,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    error: ValidationError,
) -> EditScreen:
    """Save the form while the store refuses with `error`; the form that reopens."""

    def refuse(*_: object, **__: object) -> None:
        raise error

    monkeypatch.setattr(store, "update_action", refuse)
    await pilot.press("ctrl+s")
    await settle(pilot)
    again = app.screen
    assert isinstance(again, EditScreen)
    assert again is not form
    return again


async def _edit_an_overdue_action(
    pilot: Pilot[object], app: TrackerApp
) -> tuple[ActionRow, EditScreen]:
    """The overdue view's first action (overdue actions are open) and its edit form."""
    await settle(pilot)
    await pilot.press("o")
    await settle(pilot)
    row = main_screen(app).selected
    assert row is not None
    return row, await _open_form(pilot, app)


async def test_edit_and_save_writes_history(sample_store: Store, settings: RuleSettings) -> None:
    app = build(sample_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "down")
        await settle(pilot)
        row = main_screen(app).selected
        assert row is not None
        form = await _open_form(pilot, app, "enter")
        new_progress = 7 if row.progress != 7 else 8
        form.query_one("#progress", Input).value = str(new_progress)
        form.query_one("#note", Input).value = "checked at board"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, EditScreen)
        stored = sample_store.get_action(row.id, settings=settings)
        assert stored.progress == new_progress
        last = sample_store.history(row.id)[-1]
        assert (last.field, last.old, last.new) == (
            "progress",
            str(row.progress),
            str(new_progress),
        )
        assert (last.by, last.note) == ("test.secretary", "checked at board")
        assert any("Saved" in n for n in notifications(app))
        assert main_screen(app).selected is not None
        assert main_screen(app).selected.id == row.id


async def test_stale_save_is_refused_and_can_be_reapplied(
    sample_store: Store, settings: RuleSettings
) -> None:
    app = build(sample_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        row, form = await _edit_an_overdue_action(pilot, app)
        # Someone else changes the owner while the form is open.
        sample_store.update_action(
            row.id, ActionChanges(owner="Another Person"), user="someone.else"
        )
        form.query_one("#progress", Input).value = "55" if row.progress != 55 else "56"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        stored = sample_store.get_action(row.id, settings=settings)
        assert stored.owner == "Another Person"
        assert stored.progress == row.progress  # nothing of ours was written
        refusal = next(n for n in notifications(app) if "someone else changed" in n)
        # The action is named as users know it, never by its internal id.
        assert refusal.startswith(f"{row.address}: "), refusal
        again = app.screen
        assert isinstance(again, EditScreen)
        assert again.query_one("#owner", Input).value == "Another Person"
        assert again.query_one("#progress", Input).value in ("55", "56")
        assert "Someone else changed" in _plain(again.query_one("#conflict", Static))
        await pilot.press("ctrl+s")
        await settle(pilot)
        stored = sample_store.get_action(row.id, settings=settings)
        assert str(stored.progress) in ("55", "56")
        assert stored.owner == "Another Person"


async def test_invalid_input_keeps_save_disabled(
    sample_store: Store, settings: RuleSettings
) -> None:
    app = build(sample_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        row = main_screen(app).selected
        assert row is not None
        form = await _open_form(pilot, app)
        save = form.query_one("#save-button", Button)
        assert not save.disabled
        await pilot.press("q")  # never leaves a form with the work unsaved
        await settle(pilot)
        assert app.is_running
        assert app.screen is form
        form.query_one("#progress", Input).value = "lots"
        await pilot.pause()
        assert save.disabled
        assert "0-100" in _plain(form.query_one("#progress-error", Static))
        form.query_one("#progress", Input).value = str(row.progress)
        form.query_one("#deadline", Input).value = "31/02/2027"
        await pilot.pause()
        assert save.disabled
        assert "not a real date" in _plain(form.query_one("#deadline-error", Static))
        form.query_one("#deadline", Input).value = "+3m"
        await pilot.pause()
        assert save.disabled
        assert "reason" in _plain(form.query_one("#reason-error", Static))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form  # still open: nothing saved
        assert sample_store.get_action(row.id).version == row.version
        form.query_one("#reason", Input).value = "waiting for the new system"
        await pilot.pause()
        assert not save.disabled


async def test_export_writes_the_current_view(
    sample_store: Store, settings: RuleSettings, tmp_path: Path
) -> None:
    app = build(sample_store, settings)
    target = tmp_path / "board.csv"
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ExportScreen)
        field = dialog.query_one("#path", Input)
        assert field.value == "tracker-snapshot-2026-11-25-overdue-only.csv"
        field.value = str(target)
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        with open(target, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        overdue = count(sample_store, settings, overdue=True)
        assert len(rows) == overdue
        assert {r["overdue"] for r in rows} == {"yes"}
        assert any(str(target) in n and f"{overdue} actions" in n for n in notifications(app))


async def test_escape_closes_the_export_dialog_and_keys_work_after(
    sample_store: Store, settings: RuleSettings
) -> None:
    """Escape leaves the export dialog as Cancel does, and the main screen takes keys again."""
    app = build(sample_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ExportScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ExportScreen)
        await pilot.press("o")
        await settle(pilot)
        assert table(app).total == count(sample_store, settings, overdue=True)


async def test_read_only_refuses_edits_and_says_why(
    sample_store: Store, settings: RuleSettings, db_url: str
) -> None:
    reader = Store.open(db_url, read_only=True)
    try:
        app = build(reader, settings, read_only=True)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert "READ-ONLY" in _plain(main_screen(app).query_one(TopBar))
            await pilot.press("e")
            await settle(pilot)
            assert not isinstance(app.screen, EditScreen)
            assert any("read-only" in n for n in notifications(app))
            await pilot.press("h")  # history is still there to read
            await settle(pilot)
            assert isinstance(app.screen, HistoryScreen)
    finally:
        reader.close()


async def test_change_from_another_process_appears_without_a_key(
    sample_store: Store, settings: RuleSettings, db_url: str
) -> None:
    app = build(sample_store, settings, poll_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "down")
        await settle(pilot)
        selected = main_screen(app).selected
        assert selected is not None
        target = next(r for r in table(app).loaded_rows() if r.status != "blocked")
        env = dict(os.environ)
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "tracker",
                "--db",
                db_url,
                "update",
                target.address,
                "--status",
                "blocked",
                "--note",
                "from another terminal",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        for _ in range(150):  # a busy machine can be slow to poll
            await pilot.pause(0.1)
            rows = {r.id: r for r in table(app).loaded_rows()}
            if rows[target.id].status == "blocked":
                break
        assert rows[target.id].status == "blocked"
        assert main_screen(app).selected is not None
        assert main_screen(app).selected.id == selected.id


async def test_plan_text_is_shown_literally(
    empty_store: Store, settings: RuleSettings, tmp_path: Path
) -> None:
    source = (ROOT / "sample_plans" / "staffordshire-2024-ilacs.toml").read_text(encoding="utf-8")
    start = source.index('description = "', source.index("[[recommendations.actions]]"))
    end = source.index("\n", start)
    hostile = "[bold red]x[/] [link=https://example.com]click[/link] \\u001b[31mred"
    plan_file = tmp_path / "hostile.toml"
    source = source[:start] + f'description = "{hostile}"' + source[end:]
    owner_start = source.index('owner = "', start)
    owner_end = source.index("\n", owner_start)
    source = source[:owner_start] + 'owner = "[bold]Boss[/bold]"' + source[owner_end:]
    plan_file.write_text(source, encoding="utf-8")
    empty_store.import_plans([(plan_file.name, load_plan_file(plan_file))], user="seed")
    app = build(empty_store, settings)
    async with app.run_test(size=(220, 40)) as pilot:
        await settle(pilot)
        first = visible_lines(app)[1]
        assert "[bold red]x[/] [link=https://example.com]click[/link]" in first
        assert "\x1b" not in first
        detail = _plain(main_screen(app).query_one("#detail-body", Static))
        assert "[bold red]x[/] [link=https://example.com]click[/link] red" in detail
        assert "\x1b" not in detail
        titles = [Content.from_markup(c.title).plain for c in app.get_system_commands(app.screen)]
        assert "filter: Owner [bold]Boss[/bold]" in titles


async def test_empty_store_welcomes(empty_store: Store, settings: RuleSettings) -> None:
    app = build(empty_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        welcome = main_screen(app).query_one(Welcome)
        assert welcome.display
        text = _plain(welcome)
        assert "tracker import" in text
        assert "tracker demo" in text


async def test_help_is_the_markdown_page(sample_store: Store, settings: RuleSettings) -> None:
    app = build(sample_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert app.screen.query_one(Markdown)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_palette_commands_read_noun_verb(sample_store: Store, settings: RuleSettings) -> None:
    app = build(sample_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        for title in ("filter: Overdue only", "export: CSV snapshot", "filter: RAG RED"):
            assert title in commands
        owner = next(t for t in commands if t.startswith("filter: Owner "))
        assert owner
        commands["filter: Status blocked"].callback()
        await settle(pilot)
        assert table(app).total == count(sample_store, settings, statuses=("blocked",))
        assert {r.status for r in table(app).loaded_rows()} == {"blocked"}


async def test_sorting_by_deadline(sample_store: Store, settings: RuleSettings) -> None:
    app = build(sample_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main_screen(app).action_sort_by("deadline")
        await settle(pilot)
        deadlines = [r.deadline for r in table(app).loaded_rows()]
        assert deadlines == sorted(deadlines)
        await pilot.press("S")
        await settle(pilot)
        deadlines = [r.deadline for r in table(app).loaded_rows()]
        assert deadlines == sorted(deadlines, reverse=True)


async def test_s_reaches_the_rag_sort_and_the_header_names_it(
    sample_store: Store, settings: RuleSettings
) -> None:
    worst_first = {"RED": 0, "AMBER": 1, "GREEN": 2, "BLUE": 3, None: 4}
    app = build(sample_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        for _ in range(5):
            await pilot.press("down")
        await settle(pilot)
        chosen = screen.selected
        assert chosen is not None
        presses = 0
        while screen.state.sort != "rag":
            await pilot.press("s")
            await settle(pilot)
            presses += 1
            assert presses < 10, "the s cycle never reaches the RAG sort"
        header = visible_lines(app)[0]
        assert "RAG ▲" in header
        assert "by RAG, worst first" in _plain(screen.query_one(SummaryLine))
        assert table(app).cursor == 0  # a new order starts at its top: the worst first
        rows = table(app).loaded_rows()
        assert len(rows) == table(app).total
        ranks = [worst_first[r.rag(settings)] for r in rows]
        assert ranks == sorted(ranks)
        assert ranks[0] == 0
        # The view starts at its top (issue 12 item 7): the rows shown are the worst,
        # and the first of them is selected.
        assert screen.selected is not None
        assert screen.selected.id == rows[0].id != chosen.id

        await pilot.press("S")
        await settle(pilot)
        assert "RAG ▼" in visible_lines(app)[0]
        assert "by RAG, best first" in _plain(screen.query_one(SummaryLine))
        rows = table(app).loaded_rows()
        assert rows[0].rag(settings) == "BLUE"
        assert table(app).cursor == 0


async def test_clicking_the_rag_header_sorts_by_rag(
    sample_store: Store, settings: RuleSettings
) -> None:
    app = build(sample_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        grid = table(app)
        x = 1
        for column, width in grid._layout(grid.scrollable_content_region.width):
            if column.key == "rag":
                break
            x += width + 1
        else:
            raise AssertionError("no RAG column at this size")
        await pilot.click(ActionTable, offset=(x + 1, 0))
        await settle(pilot)
        assert main_screen(app).state.sort == "rag"
        assert "RAG ▲" in visible_lines(app)[0]


async def test_a_failing_store_becomes_a_notification(
    sample_store: Store, settings: RuleSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = build(sample_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

        def broken(**_: object) -> None:
            raise StoreError("the store is unreachable")

        monkeypatch.setattr(sample_store, "view_counts", broken)
        await pilot.press("o")
        await settle(pilot)
        assert any("unreachable" in n for n in notifications(app))
        assert app.is_running


async def test_rows_name_their_plan_while_the_view_spans_several(
    sample_store: Store, settings: RuleSettings
) -> None:
    app = build(sample_store, settings)
    async with app.run_test(size=(120, 40)) as pilot:  # the tree leaves the table 80 cells
        await settle(pilot)
        lines = visible_lines(app)
        assert lines[0].split()[:2] == ["Plan", "Ref"]
        assert lines[1].split()[:2] == ["sta…24-ilacs", "R1.1"]
        await pilot.press("end")
        await settle(pilot)
        assert visible_lines(app)[-1].split()[0] == "sto…22-ilacs"
        await pilot.press(*["up"] * 17)  # back into the focused visit's actions
        await settle(pilot)
        assert table(app).row is not None
        assert table(app).row.plan_key == "staffordshire-2025-focused-visit"
        assert any(line.split()[:1] == ["sta…ed-visit"] for line in visible_lines(app))
        tree = main_screen(app).query_one(PlanTree)
        tree.focus()
        await pilot.press("down", "enter")  # one plan: its rows need no label
        await settle(pilot)
        assert visible_lines(app)[0].split()[:2] == ["Ref", "▲"]
        await pilot.press("up", "enter")  # All plans again
        await settle(pilot)
        assert visible_lines(app)[0].split()[0] == "Plan"


async def test_a_store_of_one_plan_shows_no_plan_column(
    one_plan_store: Store, settings: RuleSettings
) -> None:
    app = build(one_plan_store, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert visible_lines(app)[0].split()[:2] == ["Ref", "▲"]


def test_help_states_the_thresholds_in_force(settings: RuleSettings) -> None:
    text = help_text(RuleSettings(today=settings.today, due_soon_days=7, tolerance_days=1))
    assert "due within the next 7 days" in text
    assert "overdue by more than 1 day " in text
    assert "overdue by up to 1 day," in text
    assert "14 days" not in text
    assert "30 days" not in text
    assert "{" not in text
    assert "due within the next 14 days" in help_text(settings)


async def test_help_page_uses_the_session_thresholds(sample_store: Store) -> None:
    custom = RuleSettings(today=date(2026, 11, 25), due_soon_days=21, tolerance_days=45)
    app = build(sample_store, custom)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        source = app.screen.query_one(Markdown).source
        assert "next 21 days" in source
        assert "more than 45 days" in source


async def test_progress_takes_only_ascii_digits(
    sample_store: Store, settings: RuleSettings
) -> None:
    app = build(sample_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        row, form = await _edit_an_overdue_action(pilot, app)
        save = form.query_one("#save-button", Button)
        # Arabic-Indic, fullwidth, mixed and superscript digits: int() reads most of them.
        for typed in ("\u0665\u0660", "\uff15\uff10", "5\u0660", "\u00b2"):
            form.query_one("#progress", Input).value = typed
            await pilot.pause()
            assert save.disabled, typed
            assert "0-100" in _plain(form.query_one("#progress-error", Static))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert sample_store.get_action(row.id).version == row.version
        for typed in (" 50 ", "50%", " 50 % "):
            form.query_one("#progress", Input).value = typed
            await pilot.pause()
            assert not save.disabled, typed
        assert form.changes().progress == (50 if row.progress != 50 else None)


async def test_a_deadline_before_the_start_is_refused_beside_the_field(
    sample_store: Store, settings: RuleSettings
) -> None:
    app = build(sample_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        row, form = await _edit_an_overdue_action(pilot, app)
        assert row.start is not None
        save = form.query_one("#save-button", Button)
        before = row.start - timedelta(days=1)
        form.query_one("#deadline", Input).value = before.isoformat()
        form.query_one("#reason", Input).value = "typed by mistake"
        await pilot.pause()
        assert save.disabled
        error = _plain(form.query_one("#deadline-error", Static))
        assert error == (
            f"the deadline {before.isoformat()} is before the action's start "
            f"{row.start.isoformat()}"
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert sample_store.get_action(row.id).version == row.version
        form.query_one("#deadline", Input).value = row.start.isoformat()  # the start day is fine
        await pilot.pause()
        assert not save.disabled
        assert not form.query_one("#deadline-error", Static).display


async def test_a_value_the_store_refuses_shows_beside_its_field(
    sample_store: Store, settings: RuleSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store's ValidationError names a field: the form reopens with the message there."""
    app = build(sample_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        row, form = await _edit_an_overdue_action(pilot, app)
        wanted = (row.deadline + timedelta(days=30)).isoformat()
        form.query_one("#deadline", Input).value = wanted
        form.query_one("#reason", Input).value = "awaiting the new system"
        await pilot.pause()

        error_raised = ValidationError("the deadline is after the plan's end", field="deadline")
        again = await _save_refused(pilot, app, form, sample_store, monkeypatch, error_raised)
        assert again.query_one("#deadline", Input).value == wanted  # the work is kept
        assert again.query_one("#reason", Input).value == "awaiting the new system"
        error = again.query_one("#deadline-error", Static)
        assert _plain(error) == "the deadline is after the plan's end"
        assert again.query_one("#save-button", Button).disabled
        assert any("after the plan's end" in n for n in notifications(app))
        monkeypatch.undo()
        again.query_one("#deadline", Input).value = (row.deadline + timedelta(days=7)).isoformat()
        await pilot.pause()
        assert not error.display
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert sample_store.get_action(row.id).deadline == row.deadline + timedelta(days=7)


def _give_every_action_evidence(store: Store, settings: RuleSettings, evidence: str) -> None:
    """Store `evidence` on every action, so whichever row a test opens holds it."""
    for row in list(store.iter_actions(settings=settings)):
        store.update_action(row.id, ActionChanges(evidence=evidence), user="seed")


def _evidence_entries(store: Store, action_id: int) -> list[object]:
    return [e for e in store.history(action_id) if e.field == "evidence"]


async def test_evidence_keeps_its_line_breaks_and_enter_types_one(
    sample_store: Store, settings: RuleSettings
) -> None:
    _give_every_action_evidence(sample_store, settings, "Audit [b]report[/b]\nMinutes of 3 March")
    app = build(sample_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        row, form = await _edit_an_overdue_action(pilot, app)
        evidence = form.query_one("#evidence", TextArea)
        assert evidence.text == "Audit [b]report[/b]\nMinutes of 3 March"
        # Two lines on screen, the brackets shown as typed (never read as markup).
        assert evidence.render_line(0).text.rstrip() == "Audit [b]report[/b]"
        assert evidence.render_line(1).text.rstrip() == "Minutes of 3 March"
        # tab and shift+tab move between fields, through the evidence and out of it.
        form.query_one("#measure", Input).focus()  # the field before evidence
        await pilot.press("tab")
        assert app.focused is evidence
        await pilot.press("tab")
        assert app.focused is form.query_one("#notes", Input)
        await pilot.press("shift+tab")
        assert app.focused is evidence
        evidence.move_cursor(evidence.document.end)
        await pilot.press("enter", *"Survey")
        await settle(pilot)
        assert app.screen is form  # enter typed a line break; it did not save
        assert sample_store.get_action(row.id).version == row.version
        assert evidence.text == "Audit [b]report[/b]\nMinutes of 3 March\nSurvey"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, EditScreen)
        stored = sample_store.get_action(row.id)
        assert stored.evidence == "Audit [b]report[/b]\nMinutes of 3 March\nSurvey"
        assert sample_store.history(row.id)[-1].field == "evidence"


async def test_saving_another_field_leaves_multi_line_evidence_alone(
    sample_store: Store, settings: RuleSettings
) -> None:
    """Evidence shown without its escapes, and with its line breaks, is still unchanged."""
    stored = "Audit report\r\nMinutes \x1b[31mof March\u2028Survey\tresults\n\n  "
    _give_every_action_evidence(sample_store, settings, stored)
    app = build(sample_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        row, form = await _edit_an_overdue_action(pilot, app)
        evidence = form.query_one("#evidence", TextArea)
        assert evidence.text == "Audit report\nMinutes of March\nSurvey\tresults"
        kept = sample_store.get_action(row.id).evidence
        assert kept is not None
        assert "\x1b" in kept
        assert "\r\n" in kept
        before = len(_evidence_entries(sample_store, row.id))
        assert form.changes().evidence is None
        form.query_one("#progress", Input).value = "7" if row.progress != 7 else "8"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, EditScreen)
        assert sample_store.history(row.id)[-1].field == "progress"
        assert len(_evidence_entries(sample_store, row.id)) == before
        assert sample_store.get_action(row.id).evidence == kept


async def test_too_long_evidence_disables_save_and_empty_clears_it(
    sample_store: Store, settings: RuleSettings
) -> None:
    _give_every_action_evidence(sample_store, settings, "Audit report\nMinutes")
    app = build(sample_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        row, form = await _edit_an_overdue_action(pilot, app)
        save = form.query_one("#save-button", Button)
        evidence = form.query_one("#evidence", TextArea)
        evidence.text = "x" * MAX_TEXT + "\nmore"
        await pilot.pause()
        assert save.disabled
        error = form.query_one("#evidence-error", Static)
        assert _plain(error) == f"at most {MAX_TEXT:,} characters"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert sample_store.get_action(row.id).version == row.version
        evidence.text = " \n \n"
        await pilot.pause()
        assert not save.disabled
        assert not error.display
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, EditScreen)
        assert sample_store.get_action(row.id).evidence is None


async def test_evidence_the_store_refuses_comes_back_with_its_line_breaks(
    sample_store: Store, settings: RuleSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = build(sample_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        row, form = await _edit_an_overdue_action(pilot, app)
        form.query_one("#evidence", TextArea).text = "Audit report\nMinutes"
        await pilot.pause()

        error_raised = ValidationError("the evidence is not allowed", field="evidence")
        again = await _save_refused(pilot, app, form, sample_store, monkeypatch, error_raised)
        evidence = again.query_one("#evidence", TextArea)
        assert evidence.text == "Audit report\nMinutes"  # the work is kept, lines and all
        assert _plain(again.query_one("#evidence-error", Static)) == "the evidence is not allowed"
        assert again.query_one("#save-button", Button).disabled
        monkeypatch.undo()
        evidence.text = "Audit report\nMinutes of 3 March"
        await pilot.pause()
        assert not again.query_one("#save-button", Button).disabled
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert sample_store.get_action(row.id).evidence == "Audit report\nMinutes of 3 March"
